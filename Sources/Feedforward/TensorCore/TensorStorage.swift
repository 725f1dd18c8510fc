import Foundation
import Synchronization

/// The heap buffer behind a ``Tensor``: a fixed number of contiguous elements, 64-byte
/// aligned from 64 bytes up (16-byte aligned below).
///
/// Tensors share storage until one of them is written to (copy-on-write); kernels read and write
/// the buffer directly through `base`.
@usableFromInline
final class TensorStorage<Scalar: TensorScalar>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Scalar>
    @usableFromInline let count: Int

    /// Allocates `count` uninitialised elements, reusing a released buffer of the same size when the
    /// ``BufferPool`` holds one.
    @usableFromInline
    init(uninitializedCount count: Int) {
        self.count = count
        let byteCount = Swift.max(count, 1) * MemoryLayout<Scalar>.stride
        base = BufferPool.take(byteCount: byteCount).bindMemory(to: Scalar.self, capacity: Swift.max(count, 1))
        TensorMemory.allocated(count * MemoryLayout<Scalar>.stride)
    }

    convenience init(repeating value: Scalar, count: Int) {
        self.init(uninitializedCount: count)
        base.initialize(repeating: value, count: count)
    }

    convenience init<C: Collection>(copying scalars: C) where C.Element == Scalar {
        self.init(uninitializedCount: scalars.count)
        // Contiguous sources (arrays, array slices, buffers) are copied in one block: where the element
        // type is not specialised, the loop below makes generic iterator calls for every element.
        let copied: Void? = scalars.withContiguousStorageIfAvailable { buffer in
            if let source = buffer.baseAddress { base.initialize(from: source, count: buffer.count) }
        }
        if copied != nil { return }
        var i = 0
        for value in scalars {
            base[i] = value
            i += 1
        }
    }

    /// A new storage holding the same elements.
    func copy() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count)
        let count = count
        Kernel<Scalar>.custom { buffers in buffers.output.update(from: buffers[0], count: count) }
            .launch(reading: [Tensor(storage: self, shape: [count])], writing: result)
        return result
    }

    deinit {
        TensorMemory.released(count * MemoryLayout<Scalar>.stride)
        BufferPool.give(UnsafeMutableRawPointer(base), byteCount: Swift.max(count, 1) * MemoryLayout<Scalar>.stride)
    }
}

/// Released tensor buffers of at least ``minimumByteCount`` bytes, kept for reuse by exact size.
///
/// A training step produces tensors of the same shapes every time (activations, gradients,
/// temporaries), so after the first step they are served from here and a step asks the allocator
/// for none of them: no fresh pages to fault in, no returning memory to the system between steps.
/// The pool holds at most ``capacityBytes``; buffers beyond that go back to the system. Setting the environment variable
/// `FEEDFORWARD_BUFFER_POOL=off` turns it off (the sanitizer runs do, so that every buffer's
/// use-after-free is seen).
public enum BufferPool {
    /// The most bytes the pool keeps (the default, 256 MiB, holds a few steps' worth of a large MLP).
    public static var capacityBytes: Int {
        get { state.withLock { $0.capacity } }
        set { state.withLock { $0.capacity = newValue; $0.trim() } }
    }

    /// Whether released buffers are kept for reuse (`FEEDFORWARD_BUFFER_POOL=off` turns it off).
    public static var isEnabled: Bool { state.withLock { $0.enabled } }

    /// Buffers of `byteCount` bytes obtained from the system since the process started (the pool's
    /// misses for that size).
    public static func systemAllocations(ofByteCount byteCount: Int) -> Int {
        state.withLock { $0.misses[byteCount, default: 0] }
    }

    /// Bytes held by the pool now, not in use by any tensor.
    public static var retainedBytes: Int { state.withLock { $0.retained } }

    /// Returns every retained buffer to the system.
    public static func drain() { state.withLock { $0.trim(to: 0) } }

    struct State {
        /// Addresses of free buffers by byte size.
        var buffers: [Int: [UInt]] = [:]
        var misses: [Int: Int] = [:]
        var retained = 0
        var capacity = 256 << 20
        let enabled: Bool

        mutating func trim(to limit: Int? = nil) {
            let limit = limit ?? capacity
            while retained > limit, let size = buffers.keys.max() {
                let address = buffers[size]!.removeLast()
                if buffers[size]!.isEmpty { buffers[size] = nil }
                retained -= size
                UnsafeMutableRawPointer(bitPattern: address)!.deallocate()
            }
        }
    }

    /// The pool's state behind a lock. `NSLock` rather than `Synchronization.Mutex`: ThreadSanitizer
    /// sees the pthread mutex under `NSLock`, but not the standard library's uninstrumented lock, and
    /// reported every pooled allocation as a race.
    final class LockedState: @unchecked Sendable {
        private let lock = NSLock()
        private var state: State

        init(_ state: State) { self.state = state }

        func withLock<R>(_ body: (inout State) -> R) -> R {
            lock.lock()
            defer { lock.unlock() }
            return body(&state)
        }
    }

    static let state = LockedState(State(enabled: ProcessInfo.processInfo.environment["FEEDFORWARD_BUFFER_POOL"] != "off"))

    /// Buffers below this size bypass the pool: malloc's own free lists serve them as fast as a
    /// locked pool would, and they are too small to fault in fresh pages.
    public static let minimumByteCount = 1024

    static func take(byteCount: Int) -> UnsafeMutableRawPointer {
        // Buffers shorter than a cache line take malloc's own alignment: an aligned allocation costs
        // several times a plain one, which showed in graphs of tiny tensors.
        guard byteCount >= minimumByteCount else {
            return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: byteCount < 64 ? 16 : 64)
        }
        let reused: UInt? = state.withLock { pool in
            guard let address = pool.buffers[byteCount]?.popLast() else {
                pool.misses[byteCount, default: 0] += 1
                return nil
            }
            if pool.buffers[byteCount]!.isEmpty { pool.buffers[byteCount] = nil }
            pool.retained -= byteCount
            return address
        }
        if let reused { return UnsafeMutableRawPointer(bitPattern: reused)! }
        return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
    }

    static func give(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        guard byteCount >= minimumByteCount else {
            pointer.deallocate()
            return
        }
        let address = UInt(bitPattern: pointer)
        let kept = state.withLock { pool in
            guard pool.enabled, pool.retained + byteCount <= pool.capacity else { return false }
            pool.buffers[byteCount, default: []].append(address)
            pool.retained += byteCount
            return true
        }
        if !kept { pointer.deallocate() }
    }
}

/// Bytes held by tensor storage in this process: live now, and the peak since the last reset.
/// Used to measure what recomputation and graph release save.
public enum TensorMemory {
    static let live = Atomic<Int>(0)
    static let peak = Atomic<Int>(0)

    /// Bytes of tensor storage alive now.
    public static var liveBytes: Int { live.load(ordering: .relaxed) }

    /// The most bytes alive at once since the last ``resetPeak()``.
    public static var peakBytes: Int { peak.load(ordering: .relaxed) }

    /// Starts a new peak measurement from the current live bytes.
    public static func resetPeak() { peak.store(liveBytes, ordering: .relaxed) }

    @inline(__always)
    static func allocated(_ bytes: Int) {
        let now = live.wrappingAdd(bytes, ordering: .relaxed).newValue
        var seen = peak.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, current) = peak.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = current
        }
    }

    @inline(__always)
    static func released(_ bytes: Int) {
        live.wrappingSubtract(bytes, ordering: .relaxed)
    }
}
