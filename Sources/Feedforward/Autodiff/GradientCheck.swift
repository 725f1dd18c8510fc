/// The outcome of a comparison between analytic and finite-difference derivatives.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// The largest `|analytic - numeric|` over all checked elements.
    public var maximumAbsoluteError: Double
    /// The largest error relative to `max(1, |numeric|)`.
    public var maximumRelativeError: Double
    /// Where that largest error was: input index and element index.
    public var worstInput: Int
    /// The element index, within that input, of the largest error.
    public var worstElement: Int
    /// Whether every element agreed within the tolerance.
    public var passed: Bool

    public var description: String {
        "\(passed ? "passed" : "FAILED"): max abs error \(maximumAbsoluteError), max rel error "
            + "\(maximumRelativeError) at input \(worstInput) element \(worstElement)"
    }
}

/// A fixed pseudo-random tensor for projecting outputs to scalars in checks.
func checkProjection(shape: [Int], salt: UInt64) -> Tensor<Double> {
    var state = 0x9E37_79B9_7F4A_7C15 &* (salt &+ 1)
    let count = shape.reduce(1, *)
    let values = (0..<count).map { _ -> Double in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return 0.5 + Double(state >> 11) * 0x1p-53  // in [0.5, 1.5): no cancellation to zero
    }
    return Tensor(shape: shape, scalars: values)
}

/// Compares `analytic` and `numeric` gradients element by element.
func compareGradients(_ analytic: [Tensor<Double>], _ numeric: [Tensor<Double>], tolerance: Double) -> GradientCheckResult {
    var result = GradientCheckResult(maximumAbsoluteError: 0, maximumRelativeError: 0, worstInput: 0, worstElement: 0, passed: true)
    for (inputIndex, (a, n)) in zip(analytic, numeric).enumerated() {
        for i in 0..<n.scalarCount {
            let x = a.storage.base[i]
            let y = n.storage.base[i]
            let absolute = Swift.abs(x - y)
            let relative = absolute / Swift.max(1, Swift.abs(y))
            if relative > result.maximumRelativeError || relative.isNaN {
                result.maximumRelativeError = relative
                result.worstInput = inputIndex
                result.worstElement = i
            }
            result.maximumAbsoluteError = Swift.max(result.maximumAbsoluteError, absolute)
            if !(relative <= tolerance) { result.passed = false }
        }
    }
    return result
}

/// Central differences of the scalar `f` with respect to every element of every input.
func numericGradients(at inputs: [Tensor<Double>], step: Double, of f: ([Tensor<Double>]) -> Double) -> [Tensor<Double>] {
    inputs.indices.map { k in
        var gradient = [Double](repeating: 0, count: inputs[k].scalarCount)
        for i in gradient.indices {
            var shifted = inputs
            let original = inputs[k].storage.base[i]
            let h = step * Swift.max(1, Swift.abs(original))
            shifted[k].withUnsafeMutableBufferPointer { $0[i] = original + h }
            let plus = f(shifted)
            shifted[k].withUnsafeMutableBufferPointer { $0[i] = original - h }
            let minus = f(shifted)
            gradient[i] = (plus - minus) / (2 * h)
        }
        return Tensor(shape: inputs[k].shape, scalars: gradient)
    }
}

/// Checks the reverse-mode gradient of `f` against central differences in Double.
///
/// A non-scalar output is first projected to a scalar with fixed pseudo-random weights, so every
/// output element is checked. Use it in your own tests:
/// ```swift
/// let result = gradientCheck(at: [x, w]) { matmul($0[0], $0[1]).sum() }
/// #expect(result.passed, "\(result)")
/// ```
public func gradientCheck(
    at inputs: [Tensor<Double>], step: Double = 1e-6, tolerance: Double = 1e-5,
    of f: @escaping ([Tensor<Double>]) -> Tensor<Double>
) -> GradientCheckResult {
    let projection = withoutGradients { checkProjection(shape: f(inputs).shape, salt: 1) }
    let scalarized: ([Tensor<Double>]) -> Tensor<Double> = { (f($0) * projection).sum() }
    let analytic = valueWithGradient(at: inputs, of: scalarized).gradients
    let numeric = numericGradients(at: inputs, step: step) { x in withoutGradients { scalarized(x).scalar } }
    return compareGradients(analytic, numeric, tolerance: tolerance)
}

/// Checks second derivatives: the Hessian-vector product of the projected `f` (reverse over reverse)
/// against central differences of its gradient, along a fixed pseudo-random direction.
public func secondOrderGradientCheck(
    at inputs: [Tensor<Double>], step: Double = 1e-5, tolerance: Double = 1e-4,
    of f: @escaping ([Tensor<Double>]) -> Tensor<Double>
) -> GradientCheckResult {
    let projection = withoutGradients { checkProjection(shape: f(inputs).shape, salt: 2) }
    let directions = inputs.enumerated().map { checkProjection(shape: $1.shape, salt: UInt64(3 + $0)) - 1 }
    let scalarized: ([Tensor<Double>]) -> Tensor<Double> = { (f($0) * projection).sum() }
    // Analytic: ∇ₓ[(∇ₓ f)ᵀ v], all inputs at once.
    let analytic = valueWithGradient(at: inputs) { x in
        let first = valueWithGradient(at: x, of: scalarized).gradients
        return zip(first, directions).map { ($0 * $1).sum() }.reduce(Tensor(0), +)
    }.gradients
    // Numeric: central differences of (∇f)ᵀ v, with the analytic first gradient.
    let numeric = numericGradients(at: inputs, step: step) { x in
        let first = valueWithGradient(at: x, of: scalarized).gradients
        return zip(first, directions).map { ($0 * $1).sum().scalar }.reduce(0, +)
    }
    return compareGradients(analytic, numeric, tolerance: tolerance)
}

/// Checks forward mode: the Jacobian-vector product of `f` by forward accumulation
/// (``valueWithJVP(at:along:of:)-([Tensor<S>],_,_)``) along a fixed pseudo-random direction, against
/// central differences of `f` along that direction, element by element of the output.
public func forwardModeCheck(
    at inputs: [Tensor<Double>], step: Double = 1e-6, tolerance: Double = 1e-5,
    of f: @escaping ([Tensor<Double>]) -> Tensor<Double>
) -> GradientCheckResult {
    let directions = inputs.enumerated().map { checkProjection(shape: $1.shape, salt: UInt64(7 + $0)) - 1 }
    let analytic = valueWithJVP(at: inputs, along: directions, of: f).tangent
    let numeric = withoutGradients { () -> Tensor<Double> in
        let scale = inputs.map { $0.scalars.map(Swift.abs).max() ?? 0 }.max() ?? 0
        let h = step * Swift.max(1, scale)
        let plus = f(zip(inputs, directions).map { $0 + $1 * h })
        let minus = f(zip(inputs, directions).map { $0 - $1 * h })
        return (plus - minus) / (2 * h)
    }
    return compareGradients([analytic], [numeric], tolerance: tolerance)
}
