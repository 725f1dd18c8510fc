import Foundation

// Reshaping, permuting, broadcasting, joining and slicing. Each function declares its primitive:
// name, kernel, derivative, tangent rule (see Primitive.swift). All are linear, so each tangent rule
// is the operation itself applied to the tangent.

extension Tensor {
    /// The computation that copies the elements reached from `offset` by walking `dimensions` with
    /// `strides` into a new contiguous buffer of shape `dimensions` (a strided gather, exact for every value).
    static func stridedCopy(offset: Int = 0, dimensions: [Int], strides: [Int]) -> Primitive<Scalar>.Computation {
        let plan = StridedCopyPlan(dimensions: dimensions, strides: strides)
        return .kernel(shape: dimensions) { buffers in plan.run(from: buffers[0] + offset, to: buffers.output) }
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
        return Primitive<Scalar>(
            "reshape", .view(shape: newShape), derivative: { g, _, _ in g.reshaped(to: original) },
            tangent: .rule { t, _, _ in t.reshaped(to: newShape) }
        ).bind(self)
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
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Primitive<Scalar>(
            "permute", Tensor.stridedCopy(dimensions: permutation.map { shape[$0] }, strides: permutation.map { strides[$0] }),
            derivative: { g, _, _ in g.permuted(inverse) }, tangent: .rule { t, _, _ in t.permuted(permutation) }
        ).bind(self)
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
        let original = shape
        return Primitive<Scalar>(
            "broadcast", Tensor.stridedCopy(dimensions: newShape, strides: broadcastStrides),
            derivative: { g, _, _ in g.summed(toShape: original) }, tangent: .rule { t, _, _ in t.broadcasted(to: newShape) }
        ).bind(self)
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
    let rowLength = shape[axis] * inner
    let sizes = tensors.map { $0.shape[axis] }
    // Where each input starts along `axis`.
    var offsets = [0]
    for size in sizes.dropLast() { offsets.append(offsets[offsets.count - 1] + size) }
    let starts = offsets
    let outputShape = shape
    return Primitive<S>(
        "concatenate",
        .kernel(shape: shape) { buffers in
            for index in sizes.indices {
                copyBlocks(
                    from: buffers[index], to: buffers.output + starts[index] * inner, outer: outer, block: sizes[index] * inner,
                    rowLength: rowLength)
            }
        },
        derivative: { g, _, input in g.slice(alongAxis: axis, starts[input]..<(starts[input] + sizes[input])) },
        tangent: .rule { t, _, input in
            var origin = [Int](repeating: 0, count: outputShape.count)
            origin[axis] = starts[input]
            return t.padded(into: outputShape, at: origin)
        }
    ).bind(tensors)
}

/// Copies `outer` blocks of `block` elements from `source` (contiguous) to rows of `rowLength` in `target`.
private func copyBlocks<S>(from source: UnsafeMutablePointer<S>, to target: UnsafeMutablePointer<S>, outer: Int, block: Int, rowLength: Int) {
    guard block > 0 else { return }
    for o in 0..<outer {
        (target + o * rowLength).update(from: source + o * block, count: block)
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
        let original = shape
        return Primitive<Scalar>(
            "slice", Tensor.stridedCopy(offset: offset, dimensions: dimensions, strides: strides),
            derivative: { g, _, _ in g.padded(into: original, at: full.map(\.lowerBound)) }, tangent: .rule { t, _, _ in t[full] }
        ).bind(self)
    }

    /// This tensor placed in a zero tensor of `shape` starting at `origin` (the derivative of slicing).
    public func padded(into newShape: [Int], at origin: [Int]) -> Tensor {
        precondition(newShape.count == rank && origin.count == rank, "padded: shape \(newShape) and origin \(origin) for \(shape)")
        for axis in 0..<rank {
            precondition(origin[axis] >= 0 && origin[axis] + shape[axis] <= newShape[axis],
                "padded: \(shape) at origin \(origin) does not fit in \(newShape)")
        }
        let strides = Tensor.contiguousStrides(newShape)
        let offset = zip(origin, strides).map { $0 * $1 }.reduce(0, +)
        // Zeros, then this tensor written at its place: the inverse of a strided copy.
        let plan = StridedCopyPlan(dimensions: shape, strides: strides)
        let total = Shape.count(newShape)
        let ranges = zip(origin, shape).map { $0..<($0 + $1) }
        return Primitive<Scalar>(
            "pad",
            .kernel(shape: newShape) { buffers in
                buffers.output.update(repeating: 0, count: total)
                plan.run(from: buffers[0], to: buffers.output + offset, scattering: true)
            },
            derivative: { g, _, _ in g[ranges] }, tangent: .rule { t, _, _ in t.padded(into: newShape, at: origin) }
        ).bind(self)
    }

    /// The rows (first-axis entries) at `indices`, in that order; indices may repeat.
    public func gatheringRows(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gatheringRows: needs rank 1 or more")
        let rowLength = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = indices.count
        for index in indices {
            precondition(index >= 0 && index < shape[0], "gatheringRows: index \(index) is out of range 0..<\(shape[0])")
        }
        let rows = shape[0]
        return Primitive<Scalar>(
            "gatherRows",
            .kernel(shape: newShape) { buffers in Tensor.gatherRows(indices, rowLength: rowLength, from: buffers[0], to: buffers.output) },
            derivative: { g, _, _ in g.scatteringRows(indices, rowCount: rows) }, tangent: .rule { t, _, _ in t.gatheringRows(indices) }
        ).bind(self)
    }

    /// A tensor of `rowCount` rows where row `indices[i]` accumulates row `i` of this tensor
    /// (the derivative of ``gatheringRows(_:)``).
    public func scatteringRows(_ indices: [Int], rowCount: Int) -> Tensor {
        precondition(rank >= 1 && indices.count == shape[0], "scatteringRows: \(indices.count) indices for shape \(shape)")
        var newShape = shape
        newShape[0] = rowCount
        let rowLength = shape.dropFirst().reduce(1, *)
        for index in indices {
            precondition(index >= 0 && index < rowCount, "scatteringRows: index \(index) is out of range 0..<\(rowCount)")
        }
        let row = BroadcastPlan(lhsShape: [rowLength], rhsShape: [rowLength], outputShape: [rowLength])
        let total = Shape.count(newShape)
        return Primitive<Scalar>(
            "scatterRows",
            .kernel(shape: newShape) { buffers in
                Tensor.scatterRows(indices, plan: row, count: total, from: buffers[0], to: buffers.output)
            },
            derivative: { g, _, _ in g.gatheringRows(indices) }, tangent: .rule { t, _, _ in t.scatteringRows(indices, rowCount: rowCount) }
        ).bind(self)
    }
}

extension Tensor {
    /// Row `r` of `target` is row `indices[r]` of `source`.
    static func gatherRows(_ indices: [Int], rowLength: Int, from source: UnsafeMutablePointer<Scalar>, to target: UnsafeMutablePointer<Scalar>) {
        for (r, index) in indices.enumerated() {
            (target + r * rowLength).update(from: source + index * rowLength, count: rowLength)
        }
    }

    /// Zeros `count` elements of `target`, then adds row `r` of `source` into row `indices[r]`.
    static func scatterRows(
        _ indices: [Int], plan row: BroadcastPlan, count: Int, from source: UnsafeMutablePointer<Scalar>,
        to target: UnsafeMutablePointer<Scalar>
    ) {
        target.update(repeating: 0, count: count)
        let rowLength = row.count
        for (r, index) in indices.enumerated() {
            let destination = target + index * rowLength
            Scalar._applyBinary(.add, destination, source + r * rowLength, destination, plan: row)
        }
    }
}

/// A strided walk over `dimensions`, decided once: the last dimension runs as one row, and an
/// odometer over the leading dimensions finds each row's start.
struct StridedCopyPlan: Sendable {
    let outerDimensions: [Int]
    let outerStrides: [Int]
    let rowLength: Int
    let rowStride: Int
    let count: Int

    init(dimensions: [Int], strides: [Int]) {
        outerDimensions = Array(dimensions.dropLast())
        outerStrides = Array(strides.dropLast())
        rowLength = dimensions.last ?? 1
        rowStride = strides.last ?? 1
        count = dimensions.reduce(1, *)
    }

    /// Copies the strided elements of `source` to contiguous `target` (a gather); with `scattering`,
    /// copies contiguous `source` to the strided places of `target` instead.
    ///
    /// Rows are copied whole when contiguous and, when gathering, filled with one value when broadcast
    /// (stride 0); other strides (transposes) go element by element.
    func run<S>(from source: UnsafeMutablePointer<S>, to target: UnsafeMutablePointer<S>, scattering: Bool = false) {
        guard count > 0 else { return }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: outerDimensions.count) { position in
            position.initialize(repeating: 0)
            var offset = 0
            for row in 0..<(count / rowLength) {
                let contiguous = row * rowLength
                if scattering {
                    let destination = target + offset
                    let from = source + contiguous
                    if rowStride == 1 {
                        destination.update(from: from, count: rowLength)
                    } else {
                        for j in 0..<rowLength { destination[j * rowStride] = from[j] }
                    }
                } else {
                    let destination = target + contiguous
                    let from = source + offset
                    switch rowStride {
                    case 1: destination.update(from: from, count: rowLength)
                    case 0: destination.update(repeating: from.pointee, count: rowLength)
                    default: for j in 0..<rowLength { destination[j] = from[j * rowStride] }
                    }
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
        }
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
