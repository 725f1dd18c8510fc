import Synchronization

/// A replayable record of kernel calls: while a trace is active, every kernel dispatch appends an
/// entry that repeats the same call on the same buffers, each buffer named by its slot in a table.
///
/// Slots are of three kinds. *Bound* slots are registered before tracing (a model's parameters, the
/// data inputs); their pointers are written into the table before each replay. *Owned* slots are
/// buffers written by a traced kernel; the trace keeps their storage. *Constant* slots are buffers
/// read by a kernel without having been written by one (a tensor created from host values, a tensor
/// captured by the traced function); the trace keeps them with the contents they had. A kernel that
/// writes into a constant in place makes it owned: an entry first restores the contents it had at
/// that point, so every replay starts from the same values.
///
/// ``Kernel/launch(reading:writing:)``, through which every kernel on tensor storage runs, checks
/// ``active`` (one relaxed atomic load while no trace is running) and builds an entry only when it
/// returns a trace.
final class KernelTrace: @unchecked Sendable {
    /// The slot table handed to each entry: one base pointer per slot.
    typealias Table = UnsafeMutablePointer<UnsafeMutableRawPointer>
    typealias Entry = (Table) -> Void

    enum SlotKind { case bound, owned, constant }

    /// How many traces are recording in any task. While there are none, dispatch sites skip the
    /// task-local read.
    static let activeCount = Atomic<Int>(0)
    @TaskLocal static var current: KernelTrace?

    /// The trace recording in this task, if any.
    @inline(__always)
    static var active: KernelTrace? {
        activeCount.load(ordering: .relaxed) == 0 ? nil : current
    }

    private(set) var kinds: [SlotKind] = []
    /// The storage of each owned or constant slot (nil for bound slots).
    private(set) var storages: [AnyObject?] = []
    /// Each slot's base pointer during tracing.
    private(set) var pointers: [UnsafeMutableRawPointer] = []
    private(set) var entries: [Entry] = []
    private var slotByStorage: [ObjectIdentifier: Int] = [:]
    /// Set when a traced kernel writes into a bound buffer (a parameter or an input).
    private(set) var wroteIntoBoundSlot = false

    /// Registers a buffer whose pointer is supplied at each replay; returns its slot.
    func bind<S>(_ storage: TensorStorage<S>) -> Int {
        precondition(slotByStorage[ObjectIdentifier(storage)] == nil, "KernelTrace.bind: a buffer is bound twice")
        return addSlot(storage, kind: .bound)
    }

    /// The slot of a buffer a kernel reads; an unknown buffer becomes a constant.
    func slot<S>(reading storage: TensorStorage<S>) -> Int {
        slotByStorage[ObjectIdentifier(storage)] ?? addSlot(storage, kind: .constant)
    }

    /// The slot of a buffer a kernel writes. Call it before the kernel runs: a constant written in
    /// place is first saved so that replays restore it.
    func slot<S>(writing storage: TensorStorage<S>) -> Int {
        guard let slot = slotByStorage[ObjectIdentifier(storage)] else { return addSlot(storage, kind: .owned) }
        switch kinds[slot] {
        case .owned: break
        case .bound: wroteIntoBoundSlot = true
        case .constant:
            let saved = storage.copyUntraced()
            let count = storage.count
            entries.append { table in
                table[slot].assumingMemoryBound(to: S.self).update(from: saved.base, count: count)
            }
            kinds[slot] = .owned
        }
        return slot
    }

    private func addSlot<S>(_ storage: TensorStorage<S>, kind: SlotKind) -> Int {
        let slot = kinds.count
        kinds.append(kind)
        storages.append(kind == .bound ? nil : storage)
        pointers.append(UnsafeMutableRawPointer(storage.base))
        slotByStorage[ObjectIdentifier(storage)] = slot
        return slot
    }

    /// The slot of `storage` if a kernel has read or written it, or it is bound.
    func existingSlot<S>(of storage: TensorStorage<S>) -> Int? { slotByStorage[ObjectIdentifier(storage)] }

    /// Stops keeping the storage of `slot` (its owner keeps it instead).
    func releaseStorage(ofSlot slot: Int) { storages[slot] = nil }

    /// Runs `body` with this trace recording the kernels it dispatches.
    func recording<R>(_ body: () throws -> R) rethrows -> R {
        KernelTrace.activeCount.add(1, ordering: .relaxed)
        defer { KernelTrace.activeCount.subtract(1, ordering: .relaxed) }
        return try KernelTrace.$current.withValue(self, operation: body)
    }

    // MARK: Entries

    /// Records a kernel that reads the buffers of `operands` and writes `output` (which may be one
    /// of them); called by ``Kernel/launch(reading:writing:)`` before the kernel runs.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    func append<S>(reading operands: [Tensor<S>], writing output: TensorStorage<S>, _ kernel: Kernel<S>) {
        let slots = operands.map { slot(reading: $0.storage) }
        let outputSlot = slot(writing: output)
        entries.append { table in
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<S>.self, capacity: slots.count) { buffers in
                for index in 0..<slots.count { buffers[index] = table[slots[index]].assumingMemoryBound(to: S.self) }
                kernel.run(
                    KernelArguments(operands: UnsafeBufferPointer(buffers), output: table[outputSlot].assumingMemoryBound(to: S.self)))
            }
        }
    }
}

extension TensorStorage {
    /// A copy made outside any trace (for the trace's own bookkeeping).
    func copyUntraced() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count)
        result.base.update(from: base, count: count)
        return result
    }
}
