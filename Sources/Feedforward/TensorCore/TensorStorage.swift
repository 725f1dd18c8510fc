/// The heap buffer behind a ``Tensor``: a fixed number of contiguous, 64-byte aligned elements.
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
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(count, 1) * MemoryLayout<Scalar>.stride, alignment: 64)
        base = raw.bindMemory(to: Scalar.self, capacity: Swift.max(count, 1))
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
        UnsafeMutableRawPointer(base).deallocate()
    }
}
