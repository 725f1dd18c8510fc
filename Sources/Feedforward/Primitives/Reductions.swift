// Reductions along any axes, with or without kept dimensions. Each function declares its primitive:
// name, kernel, derivative, tangent rule (see Primitive.swift).

extension Tensor {
    /// Normalised, sorted, distinct axes; nil means all axes.
    func reductionAxes(_ axes: [Int]?, operation: String) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        var sorted = axes.map { Shape.normalize(axis: $0, rank: rank, operation: operation) }
        sorted.sort()
        var distinct: [Int] = []
        distinct.reserveCapacity(sorted.count)
        for axis in sorted where distinct.last != axis { distinct.append(axis) }
        return distinct
    }

    /// The shape after reducing `axes`, with size-1 dimensions kept in their place.
    func keptShape(reducing axes: [Int]) -> [Int] {
        shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    }

    /// The kernel that reduces the sorted `axes` of a buffer of `shape` into one of the kept shape:
    /// adjacent axes merge into one pass; several passes go through temporary buffers. With no axis,
    /// it copies; an empty axis gives the operation's identity.
    static func reductionKernel(
        _ operation: ReductionOperation, shape: [Int], axes: [Int]
    ) -> (_ source: UnsafeMutablePointer<Scalar>, _ target: UnsafeMutablePointer<Scalar>) -> Void {
        var runs: [(start: Int, end: Int)] = []
        for axis in axes {
            if let last = runs.last, last.end == axis { runs[runs.count - 1].end = axis + 1 } else { runs.append((axis, axis + 1)) }
        }
        var passes: [(outer: Int, length: Int, inner: Int)] = []
        var current = shape
        for run in runs.reversed() {
            passes.append((
                current[..<run.start].reduce(1, *), current[run.start..<run.end].reduce(1, *), current[run.end...].reduce(1, *)))
            current.replaceSubrange(run.start..<run.end, with: repeatElement(1, count: run.end - run.start))
        }
        let count = Shape.count(shape)
        let identity: Scalar = operation == .sum ? 0 : (operation == .maximum ? -.infinity : .infinity)
        return { source, target in
            guard !passes.isEmpty else { return target.update(from: source, count: count) }
            var from = source
            for (index, pass) in passes.enumerated() {
                let isLast = index == passes.count - 1
                let to = isLast ? target : UnsafeMutablePointer<Scalar>.allocate(capacity: Swift.max(1, pass.outer * pass.inner))
                if pass.length == 0 {
                    to.update(repeating: identity, count: pass.outer * pass.inner)
                } else {
                    Scalar._reduce(operation, from, to, outer: pass.outer, length: pass.length, inner: pass.inner)
                }
                if from != source { from.deallocate() }
                from = to
            }
        }
    }

    /// The shape without the reduced `axes`.
    func droppedShape(reducing axes: [Int]) -> [Int] {
        shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
    }

    /// The sum over `axes` divided by `divisor` when given, as one primitive whose output already
    /// has its final shape (reduced dimensions dropped unless `keepingDimensions`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func summed(_ name: String, axes: [Int], keepingDimensions: Bool, dividedBy divisor: Scalar?) -> Tensor {
        let kept = keptShape(reducing: axes)
        let original = shape
        let outputShape = keepingDimensions ? kept : droppedShape(reducing: axes)
        let reduce = Tensor.reductionKernel(.sum, shape: shape, axes: axes)
        // With no axis reduced the divisor is 1: nothing to divide.
        let divisor = axes.isEmpty ? nil : divisor
        let count = Shape.count(outputShape)
        return Primitive<Scalar>(
            name,
            .kernel(shape: outputShape) { buffers in
                reduce(buffers[0], buffers.output)
                if let divisor { for i in 0..<count { buffers.output[i] /= divisor } }
            },
            derivative: { g, _, _ in
                let spread = g.reshaped(to: kept).broadcasted(to: original)
                return divisor.map { spread / $0 } ?? spread
            },
            tangent: .rule { t, _, _ in t.summed(name, axes: axes, keepingDimensions: keepingDimensions, dividedBy: divisor) }
        ).bind(self)
    }

    /// The sum over `axes` (all axes when nil); reduced dimensions are dropped unless `keepingDimensions`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        summed("sum", axes: reductionAxes(axes, operation: "sum"), keepingDimensions: keepingDimensions, dividedBy: nil)
    }

    /// The sum along one axis.
    public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The mean over `axes` (all axes when nil).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let axes = reductionAxes(axes, operation: "mean")
        let count = axes.map { shape[$0] }.reduce(1, *)
        return summed("mean", axes: axes, keepingDimensions: keepingDimensions, dividedBy: Scalar(count))
    }

    /// The mean along one axis.
    public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The primitive of ``max(alongAxes:keepingDimensions:)`` and ``min(alongAxes:keepingDimensions:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func extremum(_ operation: ReductionOperation, _ name: String, axes: [Int]?, keepingDimensions: Bool) -> Tensor {
        let axes = reductionAxes(axes, operation: name)
        let kept = keptShape(reducing: axes)
        let reduce = Tensor.reductionKernel(operation, shape: shape, axes: axes)
        // Tangent and gradient are shared equally among the elements that attain the extremum.
        func attaining(_ saved: PrimitiveValues<Scalar>) -> (mask: Tensor, count: Tensor) {
            let mask = saved.inputs[0].detached().elementsEqual(saved.output.detached())
            return (mask, mask.sum(alongAxes: axes, keepingDimensions: true))
        }
        let result = Primitive<Scalar>(
            name, .kernel(shape: kept) { buffers in reduce(buffers[0], buffers.output) }, saving: [.inputs, .output],
            derivative: { g, saved, _ in
                let (mask, count) = attaining(saved)
                return g * mask / count
            },
            tangent: .rule { t, saved, _ in
                let (mask, count) = attaining(saved)
                return (t * mask).sum(alongAxes: axes, keepingDimensions: true) / count
            }
        ).bind(self)
        return keepingDimensions ? result : result.reshaped(to: droppedShape(reducing: axes))
    }

    /// The maximum over `axes` (all axes when nil); NaN propagates.
    public func max(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        extremum(.maximum, "max", axes: axes, keepingDimensions: keepingDimensions)
    }

    /// The minimum over `axes` (all axes when nil); NaN propagates.
    public func min(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        extremum(.minimum, "min", axes: axes, keepingDimensions: keepingDimensions)
    }

    /// `log Σ exp(x)` over `axes`, computed stably by subtracting the maximum first.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logSumExp(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let axes = reductionAxes(axes, operation: "logSumExp")
        let kept = keptShape(reducing: axes)
        let reduce = Tensor.reductionKernel(.maximum, shape: shape, axes: axes)
        let count = Shape.count(kept)
        // The shift, the maximum where it is finite and else 0, is a constant: the result does not
        // depend on it mathematically.
        let shift = Primitive<Scalar>(
            constant: "logSumExp_shift",
            .kernel(shape: kept) { buffers in
                reduce(buffers[0], buffers.output)
                for i in 0..<count where !buffers.output[i].isFinite { buffers.output[i] = 0 }
            }
        ).bind(self)
        let result = log(exp(self - shift).sum(alongAxes: axes, keepingDimensions: true)) + shift
        return keepingDimensions ? result : result.reshaped(to: droppedShape(reducing: axes))
    }

    /// The index of the largest element along `axis` for each position of the other axes, in
    /// row-major order of those positions (the first index on ties; NaN counts as largest).
    /// Indices are not differentiable.
    public func argmax(alongAxis axis: Int = -1) -> [Int] {
        argExtremum(alongAxis: axis) { $0 > $1 || ($0.isNaN && !$1.isNaN) }
    }

    /// The index of the smallest element along `axis` (see ``argmax(alongAxis:)``).
    public func argmin(alongAxis axis: Int = -1) -> [Int] {
        argExtremum(alongAxis: axis) { $0 < $1 || ($0.isNaN && !$1.isNaN) }
    }

    func argExtremum(alongAxis axis: Int, _ better: (Scalar, Scalar) -> Bool) -> [Int] {
        let axis = Shape.normalize(axis: axis, rank: rank, operation: "argmax")
        let length = shape[axis]
        precondition(length > 0, "argmax: dimension \(axis) of \(shape) is empty")
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var result = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = storage.base + o * length * inner + i
                var best = 0
                for j in 1..<length where better(base[j * inner], base[best * inner]) { best = j }
                result[o * inner + i] = best
            }
        }
        return result
    }
}

