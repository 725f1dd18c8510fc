// Operations that map each line along one axis as a whole: softmax, logSoftmax, and the softmax
// cross-entropy of integer labels. Each function declares its primitive (see Primitive.swift).

/// `softmax(x)_i = exp(x_i) / Σ_j exp(x_j)` along `axis`, with the maximum subtracted first.
///
/// One fused operation (one exponential per element); the derivative rule `p·(g - Σ p·g)` is
/// written in differentiable operations on the saved output `p`. The Jacobian `diag(p) - p pᵀ` is
/// symmetric, so the same rule maps tangents.
@_specialize(where S == Float) @_specialize(where S == Double)
public func softmax<S>(_ x: Tensor<S>, alongAxis axis: Int = -1) -> Tensor<S> {
    let axis = Shape.normalize(axis: axis, rank: x.rank, operation: "softmax")
    return Primitive<S>(
        "softmax", x.lineMap(alongAxis: axis, Tensor<S>.softmaxKernel), saving: .output,
        derivative: { g, saved, _ in
            let p = saved.output
            return p * (g - (p * g).sum(alongAxes: [axis], keepingDimensions: true))
        }, tangent: .sameAsDerivative
    ).bind(x)
}

/// `log softmax(x) = x - logSumExp(x)` along `axis` (eq. 6.33), stable for any logits.
///
/// One fused operation: the forward pass reads each row twice and writes it once; the derivative
/// rule `g - softmax(x) · Σg` and the tangent rule `dx - Σ(softmax(x) · dx)` are written in
/// differentiable operations on the saved output, so higher derivatives work.
@_specialize(where S == Float) @_specialize(where S == Double)
public func logSoftmax<S>(_ x: Tensor<S>, alongAxis axis: Int = -1) -> Tensor<S> {
    let axis = Shape.normalize(axis: axis, rank: x.rank, operation: "logSoftmax")
    return Primitive<S>(
        "logSoftmax", x.lineMap(alongAxis: axis, Tensor<S>.logSoftmaxKernel), saving: .output,
        derivative: { g, saved, _ in g - exp(saved.output) * g.sum(alongAxes: [axis], keepingDimensions: true) },
        tangent: .rule { t, saved, _ in t - (exp(saved.output) * t).sum(alongAxes: [axis], keepingDimensions: true) }
    ).bind(x)
}

/// `logΣⱼexp(zᵢⱼ) - zᵢ,labelᵢ` for each row of logits `[batch, classes]`, as one primitive: one kernel
/// forward; derivative `(softmax(z) - onehot) · g` and tangent `Σⱼ(softmax(z) - onehot)ᵢⱼ·dzᵢⱼ`, both
/// in differentiable operations, so higher derivatives work. Only the label's log-probability is read,
/// so a logit of -∞ in another class gives a finite loss.
@_specialize(where S == Float)
@_specialize(where S == Double)
func softmaxCrossEntropyPerExample<S>(logits: Tensor<S>, labels: [Int]) -> Tensor<S> {
    let (batch, classCount) = (logits.shape[0], logits.shape[1])
    for label in labels {
        precondition(label >= 0 && label < classCount, "crossEntropy: label \(label) is out of range 0..<\(classCount)")
    }
    func kernel(_ buffers: KernelArguments<S>) {
        guard classCount > 0 else { return }
        for row in 0..<batch {
            let logitsOfRow = buffers[0] + row * classCount
            let shift = Tensor<S>.stableShift(logitsOfRow, length: classCount, stride: 1)
            let logSumExp = Tensor<S>.shiftedLogSumExp(logitsOfRow, length: classCount, stride: 1, shift: shift)
            buffers.output[row] = logSumExp - logitsOfRow[labels[row]]
        }
    }
    // `softmax(z) - onehot`, the derivative of each row's loss with respect to its logits.
    func error(_ saved: PrimitiveValues<S>) -> Tensor<S> {
        softmax(saved.inputs[0], alongAxis: 1) - oneHot(labels, classCount: classCount)
    }
    return Primitive<S>(
        "softmaxCrossEntropy", .kernel(shape: [batch], kernel), saving: .inputs,
        derivative: { g, saved, _ in error(saved) * g.reshaped(to: [batch, 1]) },
        tangent: .rule { t, saved, _ in (error(saved) * t).sum(alongAxes: [1]) }
    ).bind(logits)
}

extension Tensor {
    /// The computation that maps the lines along `axis` (normalised) with
    /// `kernel(source, target, outer, length, inner)` over the `[outer, length, inner]` view.
    func lineMap(
        alongAxis axis: Int,
        _ kernel: @escaping (UnsafeMutablePointer<Scalar>, UnsafeMutablePointer<Scalar>, Int, Int, Int) -> Void
    ) -> Primitive<Scalar>.Computation {
        let outer = shape[..<axis].reduce(1, *), length = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        return .kernel(shape: shape) { buffers in kernel(buffers[0], buffers.output, outer, length, inner) }
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
