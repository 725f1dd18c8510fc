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

    /// Allocates `count` uninitialised elements.
    @usableFromInline
    init(uninitializedCount count: Int) {
        self.count = count
        // Buffers shorter than a cache line take malloc's own alignment: an aligned allocation costs
        // several times a plain one, which showed in graphs of tiny tensors.
        let byteCount = Swift.max(count, 1) * MemoryLayout<Scalar>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: byteCount < 64 ? 16 : 64)
        base = raw.bindMemory(to: Scalar.self, capacity: Swift.max(count, 1))
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
        result.base.update(from: base, count: count)
        return result
    }

    deinit {
        TensorMemory.released(count * MemoryLayout<Scalar>.stride)
        UnsafeMutableRawPointer(base).deallocate()
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
