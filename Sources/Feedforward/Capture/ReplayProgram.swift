/// A finished kernel trace ready to run: its entries, its slot table, the buffers it keeps, and
/// where the value and gradients are found after a run. Generic over the element type only, so its
/// run is specialised for `Float` and `Double` whatever the model's type.
final class ReplayProgram<Scalar: TensorScalar> {
    /// Where a result lives: a buffer the program owns (index into ``ownedOutputs``), or a constant.
    enum Output {
        case owned(Int)
        case constant(TensorStorage<Scalar>)
    }

    /// One base pointer per slot; bound slots are written before each run.
    let table: KernelTrace.Table
    private let slotCount: Int
    private let entries: [KernelTrace.Entry]
    /// The owned and constant buffers the entries use, other than the owned outputs.
    private let retained: [AnyObject]
    private let names: [String]
    private let indexByName: [String: Int]
    /// The value first, then one gradient per parameter.
    private let outputs: [Output]
    private let outputShapes: [[Int]]
    /// Buffers of results, held only here between runs so that one still held by a caller is seen.
    private var ownedOutputs: [TensorStorage<Scalar>]
    private let ownedOutputSlots: [Int]

    init(
        trace: KernelTrace, names: [String], outputs: [Output], outputShapes: [[Int]],
        ownedOutputs: [TensorStorage<Scalar>], ownedOutputSlots: [Int]
    ) {
        entries = trace.entries
        slotCount = trace.pointers.count
        table = .allocate(capacity: Swift.max(1, slotCount))
        table.initialize(from: trace.pointers, count: slotCount)
        retained = trace.storages.compactMap { $0 }
        self.names = names
        indexByName = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        self.outputs = outputs
        self.outputShapes = outputShapes
        self.ownedOutputs = ownedOutputs
        self.ownedOutputSlots = ownedOutputSlots
    }

    deinit {
        table.deinitialize(count: slotCount)
        table.deallocate()
    }

    /// Runs the entries on the table as bound and returns the value and gradients.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func run() -> (value: Tensor<Scalar>, gradients: ParameterGradients<Scalar>) {
        // A result buffer a caller still holds is left to the caller (copy-on-write's rule).
        for index in ownedOutputs.indices where !isKnownUniquelyReferenced(&ownedOutputs[index]) {
            ownedOutputs[index] = TensorStorage(uninitializedCount: ownedOutputs[index].count)
            table[ownedOutputSlots[index]] = UnsafeMutableRawPointer(ownedOutputs[index].base)
        }
        for entry in entries { entry(table) }
        var gradients: [Tensor<Scalar>] = []
        gradients.reserveCapacity(outputs.count - 1)
        for index in 1..<outputs.count { gradients.append(result(index)) }
        return (result(0), ParameterGradients(names: names, tensors: gradients, indexByName: indexByName))
    }

    @inline(__always)
    private func result(_ index: Int) -> Tensor<Scalar> {
        switch outputs[index] {
        case .owned(let buffer): return Tensor(storage: ownedOutputs[buffer], shape: outputShapes[index])
        case .constant(let storage): return Tensor(storage: storage, shape: outputShapes[index])
        }
    }
}
