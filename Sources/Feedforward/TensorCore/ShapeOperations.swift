import Foundation

// Reshaping, permuting, broadcasting, joining and slicing, each with its derivative rule.

extension Tensor {
    /// Copies the elements reached from `base` by walking `dimensions` with `strides` into a new
    /// contiguous tensor of shape `dimensions` (a strided gather, exact for every value).
    ///
    /// Rows along the last dimension are copied whole when they are contiguous and filled with one
    /// value when they are broadcast (stride 0); other strides (transposes) are gathered element by
    /// element. An odometer over the leading dimensions finds each row's start.
    static func stridedCopy(_ base: UnsafePointer<Scalar>, dimensions: [Int], strides: [Int]) -> Tensor {
        let result = Tensor(uninitializedShape: dimensions)
        let count = result.scalarCount
        guard count > 0 else { return result }
        let output = result.storage.base
        guard let rowLength = dimensions.last, let rowStride = strides.last else {
            output.initialize(to: base.pointee)
            return result
        }
        let outerDimensions = Array(dimensions.dropLast())
        let outerStrides = Array(strides.dropLast())
        var position = [Int](repeating: 0, count: outerDimensions.count)
        var offset = 0
        for row in 0..<(count / rowLength) {
            let destination = output + row * rowLength
            let source = base + offset
            switch rowStride {
            case 1: destination.update(from: source, count: rowLength)
            case 0: destination.update(repeating: source.pointee, count: rowLength)
            default: for j in 0..<rowLength { destination[j] = source[j * rowStride] }
            }
            var axis = outerDimensions.count - 1
            while axis >= 0 {
                position[axis] += 1
                offset += outerStrides[axis]
                if position[axis] < outerDimensions[axis] { break }
                offset -= outerStrides[axis] * outerDimensions[axis]
                position[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    /// Row-major strides of `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// The same elements with a new shape of equal element count; one dimension may be -1 (inferred).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func reshaped(to newShape: [Int]) -> Tensor {
        var newShape = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            precondition(known > 0 && scalarCount % known == 0, "reshaped(to:): cannot reshape \(shape) to \(newShape)")
            newShape[inferred] = scalarCount / known
        }
        precondition(Shape.count(newShape) == scalarCount, "reshaped(to:): cannot reshape \(shape) to \(newShape)")
        if newShape == shape { return self }
        let original = shape
        return Tensor.record(
            "reshape", output: Tensor(storage: storage, shape: newShape), inputs: [self],
            tangent: { t, _ in t[0].map { $0.reshaped(to: newShape) } }
        ) { g, _, _ in
            [g.reshaped(to: original)]
        }
    }

    /// The elements as a rank-1 tensor.
    public func flattened() -> Tensor { reshaped(to: [scalarCount]) }

    /// Removes dimensions of size 1 (all of them, or those at `axes`).
    public func squeezed(axes: [Int]? = nil) -> Tensor {
        let drop = Set((axes ?? shape.indices.filter { shape[$0] == 1 }).map {
            Shape.normalize(axis: $0, rank: rank, operation: "squeezed")
        })
        for axis in drop { precondition(shape[axis] == 1, "squeezed: dimension \(axis) of \(shape) is not 1") }
        return reshaped(to: shape.indices.filter { !drop.contains($0) }.map { shape[$0] })
    }

    /// Inserts a dimension of size 1 at `axis` (negative axes count from the end of the result).
    public func expandingShape(at axis: Int) -> Tensor {
        let axis = Shape.normalize(axis: axis, rank: rank + 1, operation: "expandingShape")
        var newShape = shape
        newShape.insert(1, at: axis)
        return reshaped(to: newShape)
    }

    /// The dimensions reordered: result dimension `i` is dimension `permutation[i]` of this tensor.
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(permutation.sorted() == Array(0..<rank), "permuted: \(permutation) is not a permutation of 0..<\(rank)")
        if permutation == Array(0..<rank) { return self }
        let strides = Tensor.contiguousStrides(shape)
        let output = Tensor.stridedCopy(
            storage.base, dimensions: permutation.map { shape[$0] }, strides: permutation.map { strides[$0] })
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Tensor.record(
            "permute", output: output, inputs: [self], tangent: { t, _ in t[0].map { $0.permuted(permutation) } }
        ) { g, _, _ in [g.permuted(inverse)] }
    }

    /// The last two dimensions swapped (a matrix transpose for rank 2).
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed: needs rank 2 or more, got shape \(shape)")
        var permutation = Array(0..<rank)
        permutation.swapAt(rank - 1, rank - 2)
        return permuted(permutation)
    }

    /// The elements repeated along broadcast dimensions to fill `newShape` (NumPy rules).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func broadcasted(to newShape: [Int]) -> Tensor {
        if newShape == shape { return self }
        precondition(
            Shape.broadcast(shape, newShape, operation: "broadcasted(to:)") == newShape,
            "broadcasted(to:): \(shape) does not broadcast to \(newShape)")
        let strides = Tensor.contiguousStrides(shape)
        let offset = newShape.count - rank
        let broadcastStrides = newShape.indices.map { axis in
            axis < offset || shape[axis - offset] == 1 ? 0 : strides[axis - offset]
        }
        let output = Tensor.stridedCopy(storage.base, dimensions: newShape, strides: broadcastStrides)
        let original = shape
        return Tensor.record(
            "broadcast", output: output, inputs: [self], tangent: { t, _ in t[0].map { $0.broadcasted(to: newShape) } }
        ) { g, _, _ in [g.summed(toShape: original)] }
    }

    /// Sums the broadcast dimensions away so the result has `targetShape` (the inverse of
    /// ``broadcasted(to:)``; used to reduce a broadcast gradient to its operand's shape).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func summed(toShape targetShape: [Int]) -> Tensor {
        if targetShape == shape { return self }
        let offset = rank - targetShape.count
        precondition(offset >= 0, "summed(toShape:): cannot reduce \(shape) to \(targetShape)")
        var axes = Array(0..<offset)
        for (i, dimension) in targetShape.enumerated() where dimension == 1 && shape[i + offset] != 1 {
            axes.append(i + offset)
        }
        return sum(alongAxes: axes).reshaped(to: targetShape)
    }
}

// MARK: Joining and slicing

/// Joins tensors along an existing axis; all other dimensions must match.
public func concatenate<S>(_ tensors: [Tensor<S>], alongAxis axis: Int = 0) -> Tensor<S> {
    precondition(!tensors.isEmpty, "concatenate: no tensors")
    let first = tensors[0]
    let axis = Shape.normalize(axis: axis, rank: first.rank, operation: "concatenate")
    for t in tensors {
        precondition(
            t.rank == first.rank && t.shape.indices.allSatisfy { $0 == axis || t.shape[$0] == first.shape[$0] },
            "concatenate: shapes \(tensors.map(\.shape)) differ outside axis \(axis)")
    }
    var shape = first.shape
    shape[axis] = tensors.map { $0.shape[axis] }.reduce(0, +)
    let outer = first.shape[..<axis].reduce(1, *)
    let inner = first.shape[(axis + 1)...].reduce(1, *)
    let result = Tensor<S>(uninitializedShape: shape)
    let rowLength = shape[axis] * inner
    var start = 0
    for t in tensors {
        let block = t.shape[axis] * inner
        for o in 0..<outer where block > 0 {
            memcpy(result.storage.base + o * rowLength + start, t.storage.base + o * block, block * MemoryLayout<S>.stride)
        }
        start += block
    }
    let sizes = tensors.map { $0.shape[axis] }
    let tangent = { (t: [Tensor<S>?], _: Tensor<S>) -> Tensor<S>? in
        concatenate(zip(t, tensors).map { $0 ?? Tensor.zeros(like: $1) }, alongAxis: axis)
    }
    return Tensor.record("concatenate", output: result, inputs: tensors, tangent: tangent) { g, _, needs in
        var offset = 0
        return sizes.enumerated().map { index, size in
            defer { offset += size }
            return needs[index] ? g.slice(alongAxis: axis, offset..<(offset + size)) : nil
        }
    }
}

/// Joins tensors of equal shape along a new axis.
public func stack<S>(_ tensors: [Tensor<S>], alongAxis axis: Int = 0) -> Tensor<S> {
    precondition(!tensors.isEmpty, "stack: no tensors")
    precondition(tensors.allSatisfy { $0.shape == tensors[0].shape }, "stack: shapes \(tensors.map(\.shape)) differ")
    return concatenate(tensors.map { $0.expandingShape(at: axis) }, alongAxis: axis)
}

extension Tensor {
    /// The elements with index in `range` along `axis`.
    public func slice(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = Shape.normalize(axis: axis, rank: rank, operation: "slice")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice: range \(range) is out of bounds for dimension \(axis) of \(shape)")
        var ranges = shape.map { 0..<$0 }
        ranges[axis] = range
        return self[ranges]
    }

    /// The sub-tensor selected by one range per leading dimension (missing trailing ranges take all).
    public subscript(_ ranges: [Range<Int>]) -> Tensor {
        precondition(ranges.count <= rank, "subscript: \(ranges.count) ranges for shape \(shape)")
        let full = ranges + shape[ranges.count...].map { 0..<$0 }
        for (axis, range) in full.enumerated() {
            precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "subscript: range \(range) is out of bounds for dimension \(axis) of \(shape)")
        }
        let strides = Tensor.contiguousStrides(shape)
        let offset = zip(full, strides).map { $0.lowerBound * $1 }.reduce(0, +)
        let dimensions = full.map(\.count)
        if dimensions == shape { return self }
        let output = Tensor.stridedCopy(storage.base + offset, dimensions: dimensions, strides: strides)
        let original = shape
        return Tensor.record("slice", output: output, inputs: [self], tangent: { t, _ in t[0].map { $0[full] } }) { g, _, _ in
            [g.padded(into: original, at: full.map(\.lowerBound))]
        }
    }

    /// This tensor placed in a zero tensor of `shape` starting at `origin` (the derivative of slicing).
    public func padded(into newShape: [Int], at origin: [Int]) -> Tensor {
        precondition(newShape.count == rank && origin.count == rank, "padded: shape \(newShape) and origin \(origin) for \(shape)")
        for axis in 0..<rank {
            precondition(origin[axis] >= 0 && origin[axis] + shape[axis] <= newShape[axis],
                "padded: \(shape) at origin \(origin) does not fit in \(newShape)")
        }
        let result = Tensor(storage: TensorStorage(repeating: 0, count: Shape.count(newShape)), shape: newShape)
        let strides = Tensor.contiguousStrides(newShape)
        let offset = zip(origin, strides).map { $0 * $1 }.reduce(0, +)
        // Walk this tensor's elements and write each at its place in the result.
        var index = [Int](repeating: 0, count: rank)
        for i in 0..<scalarCount {
            var target = offset
            for axis in 0..<rank { target += index[axis] * strides[axis] }
            result.storage.base[target] = storage.base[i]
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        let ranges = zip(origin, shape).map { $0..<($0 + $1) }
        return Tensor.record(
            "pad", output: result, inputs: [self], tangent: { t, _ in t[0].map { $0.padded(into: newShape, at: origin) } }
        ) { g, _, _ in [g[ranges]] }
    }

    /// The rows (first-axis entries) at `indices`, in that order; indices may repeat.
    public func gatheringRows(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gatheringRows: needs rank 1 or more")
        let rowLength = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = indices.count
        let result = Tensor(uninitializedShape: newShape)
        for (r, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[0], "gatheringRows: index \(index) is out of range 0..<\(shape[0])")
            memcpy(result.storage.base + r * rowLength, storage.base + index * rowLength, rowLength * MemoryLayout<Scalar>.stride)
        }
        let rows = shape[0]
        return Tensor.record(
            "gatherRows", output: result, inputs: [self], tangent: { t, _ in t[0].map { $0.gatheringRows(indices) } }
        ) { g, _, _ in
            [g.scatteringRows(indices, rowCount: rows)]
        }
    }

    /// A tensor of `rowCount` rows where row `indices[i]` accumulates row `i` of this tensor
    /// (the derivative of ``gatheringRows(_:)``).
    public func scatteringRows(_ indices: [Int], rowCount: Int) -> Tensor {
        precondition(rank >= 1 && indices.count == shape[0], "scatteringRows: \(indices.count) indices for shape \(shape)")
        var newShape = shape
        newShape[0] = rowCount
        let rowLength = shape.dropFirst().reduce(1, *)
        let result = Tensor(storage: TensorStorage(repeating: 0, count: Shape.count(newShape)), shape: newShape)
        let row = BroadcastPlan(lhsShape: [rowLength], rhsShape: [rowLength], outputShape: [rowLength])
        for (r, index) in indices.enumerated() {
            precondition(index >= 0 && index < rowCount, "scatteringRows: index \(index) is out of range 0..<\(rowCount)")
            let target = result.storage.base + index * rowLength
            Scalar._applyBinary(.add, target, storage.base + r * rowLength, target, plan: row)
        }
        return Tensor.record(
            "scatterRows", output: result, inputs: [self],
            tangent: { t, _ in t[0].map { $0.scatteringRows(indices, rowCount: rowCount) } }
        ) { g, _, _ in [g.gatheringRows(indices)] }
    }
}

/// One-hot rows: row `i` has 1 at column `labels[i]` and 0 elsewhere (shape `[labels.count, classCount]`).
public func oneHot<S>(_ labels: [Int], classCount: Int) -> Tensor<S> {
    let result = Tensor<S>(storage: TensorStorage(repeating: 0, count: labels.count * classCount), shape: [labels.count, classCount])
    for (row, label) in labels.enumerated() {
        precondition(label >= 0 && label < classCount, "oneHot: label \(label) is out of range 0..<\(classCount)")
        result.storage.base[row * classCount + label] = 1
    }
    return result
}
