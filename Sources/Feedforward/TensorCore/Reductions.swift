// Reductions along any axes, with or without kept dimensions, each with its derivative rule.

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

    /// Runs a reduction kernel over `axes` (sorted), merging runs of adjacent axes; without recording.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func reduced(_ operation: ReductionOperation, axes: [Int]) -> Tensor {
        var current = self.detached()
        var currentShape = shape
        var runs: [(start: Int, end: Int)] = []
        for axis in axes {
            if let last = runs.last, last.end == axis { runs[runs.count - 1].end = axis + 1 } else { runs.append((axis, axis + 1)) }
        }
        for run in runs.reversed() {
            let outer = currentShape[..<run.start].reduce(1, *)
            let length = currentShape[run.start..<run.end].reduce(1, *)
            let inner = currentShape[run.end...].reduce(1, *)
            var newShape = currentShape
            newShape.replaceSubrange(run.start..<run.end, with: repeatElement(1, count: run.end - run.start))
            let result = Tensor(uninitializedShape: newShape)
            if length == 0 {
                let identity: Scalar = operation == .sum ? 0 : (operation == .maximum ? -.infinity : .infinity)
                let count = result.scalarCount
                KernelTrace.active?.append(writing: result.storage) { y in y.update(repeating: identity, count: count) }
                result.storage.base.update(repeating: identity, count: count)
            } else {
                if let trace = KernelTrace.active {
                    trace.append(reading: current.storage, writing: result.storage) { x, y in
                        Scalar._reduce(operation, x, y, outer: outer, length: length, inner: inner)
                    }
                }
                Scalar._reduce(operation, current.storage.base, result.storage.base, outer: outer, length: length, inner: inner)
            }
            current = result
            currentShape = newShape
        }
        return Tensor(storage: current.storage, shape: currentShape)
    }

    /// The sum over `axes` divided by `divisor` when given, recorded as one operation whose output
    /// already has its final shape (reduced dimensions dropped unless `keepingDimensions`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func summed(_ name: String, axes: [Int], keepingDimensions: Bool, dividedBy divisor: Scalar?) -> Tensor {
        let kept = keptShape(reducing: axes)
        let original = shape
        let total = reduced(.sum, axes: axes)
        // With no axis reduced, `total` shares this tensor's storage and the divisor is 1: nothing to divide.
        if let divisor, !axes.isEmpty {
            let count = total.scalarCount
            KernelTrace.active?.append(reading: total.storage, writing: total.storage) { x, y in
                Tensor.divide(x, y, count: count, by: divisor)
            }
            Tensor.divide(total.storage.base, total.storage.base, count: count, by: divisor)
        }
        let finalShape = keepingDimensions ? kept : shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
        let output = Tensor(storage: total.storage, shape: finalShape)
        let tangent = { (t: [Tensor?], _: Tensor) -> Tensor? in
            t[0].map { $0.summed(name, axes: axes, keepingDimensions: keepingDimensions, dividedBy: divisor) }
        }
        return Tensor.record(name, output: output, inputs: [self], tangent: tangent) { g, _, _ in
            let spread = g.reshaped(to: kept).broadcasted(to: original)
            return [divisor.map { spread / $0 } ?? spread]
        }
    }

    /// `target[i] = source[i] / divisor` (the division of a mean, in place when both are the same buffer).
    @inline(__always)
    static func divide(_ source: UnsafeMutablePointer<Scalar>, _ target: UnsafeMutablePointer<Scalar>, count: Int, by divisor: Scalar) {
        for i in 0..<count { target[i] = source[i] / divisor }
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

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func extremum(_ operation: ReductionOperation, _ name: String, axes: [Int]?, keepingDimensions: Bool) -> Tensor {
        let axes = reductionAxes(axes, operation: name)
        let kept = keptShape(reducing: axes)
        let input = self
        // Tangent and gradient are shared equally among the elements that attain the extremum.
        func attaining(_ y: Tensor) -> (mask: Tensor, count: Tensor) {
            let mask = input.detached().elementsEqual(y.detached())
            return (mask, mask.sum(alongAxes: axes, keepingDimensions: true))
        }
        let tangent = { (t: [Tensor?], y: Tensor) -> Tensor? in
            let (mask, count) = attaining(y)
            return t[0].map { ($0 * mask).sum(alongAxes: axes, keepingDimensions: true) / count }
        }
        var result = Tensor.record(
            name, output: reduced(operation, axes: axes), inputs: [self], savesOutput: true, tangent: tangent
        ) { g, y, _ in
            let (mask, count) = attaining(y)
            return [g.reshaped(to: kept) * mask / count]
        }
        if !keepingDimensions { result = result.reshaped(to: shape.indices.filter { !axes.contains($0) }.map { shape[$0] }) }
        return result
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
        // The shift is a constant: the result does not depend on it mathematically.
        var shift = reduced(.maximum, axes: axes)
        shift.makeUnique()  // with no axis reduced, `reduced` returns this tensor's own storage
        let count = shift.scalarCount
        KernelTrace.active?.append(reading: shift.storage, writing: shift.storage) { x, y in
            Tensor.zeroNonFinite(x, y, count: count)
        }
        Tensor.zeroNonFinite(shift.storage.base, shift.storage.base, count: count)
        shift = Tensor(storage: shift.storage, shape: keptShape(reducing: axes))
        var result = log(exp(self - shift).sum(alongAxes: axes, keepingDimensions: true)) + shift
        if !keepingDimensions { result = result.reshaped(to: shape.indices.filter { !axes.contains($0) }.map { shape[$0] }) }
        return result
    }

    /// `target[i] = source[i]` where it is finite, else 0.
    @inline(__always)
    static func zeroNonFinite(_ source: UnsafeMutablePointer<Scalar>, _ target: UnsafeMutablePointer<Scalar>, count: Int) {
        for i in 0..<count { target[i] = source[i].isFinite ? source[i] : 0 }
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

/// `softmax(x)_i = exp(x_i) / Σ_j exp(x_j)` along `axis`, with the maximum subtracted first.
///
/// One fused operation (one exponential per element); the derivative rule `p·(g - Σ p·g)` and the
/// tangent rule `p·(dx - Σ p·dx)` are written in differentiable operations on the saved output `p`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func softmax<S>(_ x: Tensor<S>, alongAxis axis: Int = -1) -> Tensor<S> {
    let (result, axis) = x.mappingLines(alongAxis: axis, operation: "softmax", Tensor<S>.softmaxKernel)
    return Tensor.record(
        "softmax", output: result, inputs: [x], savesOutput: true,
        tangent: { t, p in t[0].map { p * ($0 - (p * $0).sum(alongAxes: [axis], keepingDimensions: true)) } }
    ) { g, p, _ in [p * (g - (p * g).sum(alongAxes: [axis], keepingDimensions: true))] }
}

/// `log softmax(x) = x - logSumExp(x)` along `axis` (eq. 6.33), stable for any logits.
///
/// One fused operation: the forward pass reads each row twice and writes it once; the derivative
/// rule `g - softmax(x) · Σg` and the tangent rule `dx - Σ(softmax(x) · dx)` are written in
/// differentiable operations on the saved output, so higher derivatives work.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func logSoftmax<S>(_ x: Tensor<S>, alongAxis axis: Int = -1) -> Tensor<S> {
    let (result, axis) = x.mappingLines(alongAxis: axis, operation: "logSoftmax", Tensor<S>.logSoftmaxKernel)
    return Tensor.record(
        "logSoftmax", output: result, inputs: [x], savesOutput: true,
        tangent: { t, y in t[0].map { $0 - (exp(y) * $0).sum(alongAxes: [axis], keepingDimensions: true) } }
    ) { g, y, _ in [g - exp(y) * g.sum(alongAxes: [axis], keepingDimensions: true)] }
}

extension Tensor {
    /// A new tensor of this shape from `kernel(source, target, outer, length, inner)`, which maps the
    /// lines along `axis` of the `[outer, length, inner]` view (recorded in an active kernel trace);
    /// returns it with the normalised axis. Not recorded for differentiation.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func mappingLines(
        alongAxis axis: Int, operation: String,
        _ kernel: @escaping (UnsafeMutablePointer<Scalar>, UnsafeMutablePointer<Scalar>, Int, Int, Int) -> Void
    ) -> (result: Tensor, axis: Int) {
        let axis = Shape.normalize(axis: axis, rank: rank, operation: operation)
        let outer = shape[..<axis].reduce(1, *), length = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        let result = Tensor(uninitializedShape: shape)
        KernelTrace.active?.append(reading: storage, writing: result.storage) { source, target in
            kernel(source, target, outer, length, inner)
        }
        kernel(storage.base, result.storage.base, outer, length, inner)
        return (result, axis)
    }

    /// The shift that keeps the exponentials of `length` elements `row[j * stride]` finite: their
    /// maximum where it is finite, else 0 (NaN counts as largest, and propagates).
    @inline(__always)
    static func stableShift(_ row: UnsafeMutablePointer<Scalar>, length: Int, stride: Int) -> Scalar {
        var maximum = row[0]
        for j in 1..<length where row[j * stride] > maximum || row[j * stride].isNaN { maximum = row[j * stride] }
        return maximum.isFinite ? maximum : 0
    }

    /// `log Σ exp(row[j * stride])` over `length` elements, computed as `shift + log Σ exp(row[j * stride] - shift)`
    /// with the line's ``stableShift(_:length:stride:)``.
    @inline(__always)
    static func shiftedLogSumExp(_ row: UnsafeMutablePointer<Scalar>, length: Int, stride: Int, shift: Scalar) -> Scalar {
        var total: Scalar = 0
        for j in 0..<length { total += Scalar.exp(row[j * stride] - shift) }
        return Scalar.log(total) + shift
    }

    /// Calls `body(line, target line, shift)` for each line along the middle axis of a
    /// `[outer, length, inner]` view (elements `inner` apart), with the line's ``stableShift(_:length:stride:)``.
    @inline(__always)
    static func forEachLine(
        _ source: UnsafeMutablePointer<Scalar>, _ target: UnsafeMutablePointer<Scalar>, outer: Int, length: Int, inner: Int,
        _ body: (UnsafeMutablePointer<Scalar>, UnsafeMutablePointer<Scalar>, Scalar) -> Void
    ) {
        guard length > 0 else { return }
        for o in 0..<outer {
            for i in 0..<inner {
                let offset = o * length * inner + i
                body(source + offset, target + offset, stableShift(source + offset, length: length, stride: inner))
            }
        }
    }

    /// `target = exp(source - m) / Σ exp(source - m)` along the middle axis of a `[outer, length, inner]`
    /// view, `m` its ``stableShift(_:length:stride:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func softmaxKernel(
        _ source: UnsafeMutablePointer<Scalar>, _ target: UnsafeMutablePointer<Scalar>, _ outer: Int, _ length: Int, _ inner: Int
    ) {
        forEachLine(source, target, outer: outer, length: length, inner: inner) { line, out, shift in
            var total: Scalar = 0
            for j in 0..<length {
                let e = Scalar.exp(line[j * inner] - shift)
                out[j * inner] = e
                total += e
            }
            for j in 0..<length { out[j * inner] /= total }
        }
    }

    /// `target = source - logSumExp(source)` along the middle axis of a `[outer, length, inner]` view,
    /// shifted by its ``stableShift(_:length:stride:)`` as in ``logSumExp(alongAxes:keepingDimensions:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func logSoftmaxKernel(
        _ source: UnsafeMutablePointer<Scalar>, _ target: UnsafeMutablePointer<Scalar>, _ outer: Int, _ length: Int, _ inner: Int
    ) {
        forEachLine(source, target, outer: outer, length: length, inner: inner) { line, out, shift in
            let logSumExp = shiftedLogSumExp(line, length: length, stride: inner, shift: shift)
            for j in 0..<length { out[j * inner] = line[j * inner] - logSumExp }
        }
    }
}
