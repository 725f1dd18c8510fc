import Foundation
import Testing
@testable import Feedforward

// The harness every operation and every layer is checked with (PyTorch's OpInfo, Chainer's
// FunctionTestCase): given a function of Double tensors, sample inputs and, where there is one, a
// reference for its value computed without the library, it checks
//  - the value against the reference;
//  - first derivatives (reverse mode) against central differences;
//  - forward mode (the JVP) against central differences;
//  - for smooth functions, second derivatives (reverse over reverse) against central differences of
//    the gradient, reverse over forward against reverse over reverse, and the second derivative of
//    sin ∘ f (which differentiates the derivative rules themselves, so linear operations get a
//    non-zero second derivative through them);
//  - capture: the value and gradients replayed by `CapturedGradient` against eager evaluation, bit for
//    bit (every kernel must reach the trace).

/// Runs every check of the harness on `f` at `inputs`.
///
/// - Parameters:
///   - smooth: whether second derivatives exist at `inputs` (false for piecewise-linear functions).
///   - composed: whether to check the second derivative of `sin ∘ f` too (operations whose own second
///     derivative is non-zero may skip it to save time).
///   - reference: the value of `f` at `inputs` computed without the library.
func expectOperationChecks(
    _ name: String, at inputs: [Tensor<Double>], smooth: Bool = true, composed: Bool = true,
    reference: Tensor<Double>? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ f: @escaping ([Tensor<Double>]) -> Tensor<Double>
) {
    if let reference {
        let value = withoutGradients { f(inputs) }
        #expect(value.shape == reference.shape, "\(name) shape \(value.shape), reference \(reference.shape)", sourceLocation: sourceLocation)
        #expect(value.isApproximatelyEqual(to: reference, absoluteTolerance: 1e-12, relativeTolerance: 1e-12),
                "\(name) value \(value), reference \(reference)", sourceLocation: sourceLocation)
    }
    let first = gradientCheck(at: inputs, of: f)
    #expect(first.passed, "\(name) first order: \(first)", sourceLocation: sourceLocation)
    let forward = forwardModeCheck(at: inputs, of: f)
    #expect(forward.passed, "\(name) forward mode: \(forward)", sourceLocation: sourceLocation)
    let capture = captureDisagreement(at: inputs, of: f)
    #expect(capture == nil, "\(name) capture: \(capture ?? "")", sourceLocation: sourceLocation)
    guard smooth else { return }
    let second = secondOrderGradientCheck(at: inputs, of: f)
    #expect(second.passed, "\(name) second order: \(second)", sourceLocation: sourceLocation)
    let reverseOverForward = reverseOverForwardDifference(at: inputs, of: f)
    #expect(reverseOverForward < 1e-9, "\(name) reverse over forward differs from reverse over reverse by \(reverseOverForward)",
            sourceLocation: sourceLocation)
    guard composed else { return }
    let secondComposed = secondOrderGradientCheck(at: inputs) { sin(f($0)) }
    #expect(secondComposed.passed, "\(name) second order of sin ∘ f: \(secondComposed)", sourceLocation: sourceLocation)
}

/// The largest relative difference between two exact computations of `∇ₓ[vᵀ Jᵀ p]`: reverse mode
/// over the forward-mode JVP `J v`, and reverse mode over the reverse-mode `Jᵀ p`.
func reverseOverForwardDifference(at inputs: [Tensor<Double>], of f: @escaping ([Tensor<Double>]) -> Tensor<Double>) -> Double {
    let shape = withoutGradients { f(inputs) }.shape
    let p = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Double($0 % 5) * 0.25 + 0.5 })
    let v = inputs.enumerated().map { testTensor($1.shape, seed: 700 + UInt64($0)) }
    let overForward = valueWithGradient(at: inputs) { x in (valueWithJVP(at: x, along: v, of: f).tangent * p).sum() }.gradients
    let overReverse = valueWithGradient(at: inputs) { x in
        zip(valueWithGradient(at: x) { (f($0) * p).sum() }.gradients, v).map { ($0 * $1).sum() }.reduce(Tensor(0), +)
    }.gradients
    var worst = 0.0
    for (a, b) in zip(overForward, overReverse) {
        for (x, y) in zip(a.scalars, b.scalars) { worst = Swift.max(worst, Swift.abs(x - y) / Swift.max(1, Swift.abs(y))) }
    }
    return worst
}

/// The inputs of a function as the parameters of a model, so that `CapturedGradient` captures it.
struct ArgumentList: Layer {
    var arguments: [Tensor<Double>]

    func callAsFunction(_ input: Tensor<Double>) -> Tensor<Double> { input }

    mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Double>) throws -> Void) rethrows {
        for index in arguments.indices { try body(parameterName(prefix, String(index)), &arguments[index]) }
    }
}

/// Why `CapturedGradient`'s replay of the projected `f` differs from eager evaluation at `inputs`
/// (nil when value and gradients agree bit for bit): a kernel the trace did not see, or a capture error.
func captureDisagreement(at inputs: [Tensor<Double>], of f: @escaping ([Tensor<Double>]) -> Tensor<Double>) -> String? {
    let projection = withoutGradients { checkProjection(shape: f(inputs).shape, salt: 1) }
    let loss = { (model: ArgumentList, _: [Tensor<Double>]) in (f(model.arguments) * projection).sum() }
    let step = CapturedGradient<ArgumentList>(of: loss)
    let model = ArgumentList(arguments: inputs)
    do {
        // The first call captures, and checks the record at other values; the second replays.
        _ = try step(at: model)
        let replayed = try step(at: model)
        let eager = valueWithGradient(at: model) { loss($0, []) }
        if !replayed.value.isBitwiseEqual(to: eager.value) { return "value \(replayed.value), eager \(eager.value)" }
        for (name, (a, b)) in zip(eager.gradients.names, zip(replayed.gradients.tensors, eager.gradients.tensors))
        where !a.isBitwiseEqual(to: b) {
            return "gradient of \(name): \(a), eager \(b)"
        }
        return nil
    } catch {
        return "\(error)"
    }
}

/// Values in `[lower, upper)` that stay at least `gap` away from every point of `avoid`.
func awayFrom(_ avoid: [Double], _ shape: [Int], seed: UInt64, lower: Double = -2, upper: Double = 2, gap: Double = 0.1) -> Tensor<Double> {
    var values = testValues(shape.reduce(1, *), seed: seed, lower: lower, upper: upper)
    for i in values.indices {
        for a in avoid where Swift.abs(values[i] - a) < gap {
            values[i] = a + (values[i] < a ? -gap : gap)
        }
    }
    return Tensor(shape: shape, scalars: values)
}

// MARK: References, computed without the library's operations

/// A tensor of `shape` whose element at each multi-index is `value(index)`.
func referenceTensor(_ shape: [Int], _ value: ([Int]) -> Double) -> Tensor<Double> {
    Tensor(shape: shape, scalars: allIndices(shape).map(value))
}

/// `f` applied to every element of `x`.
func referenceMap(_ x: Tensor<Double>, _ f: (Double) -> Double) -> Tensor<Double> {
    Tensor(shape: x.shape, scalars: x.scalars.map(f))
}

/// `f` applied to the broadcast elements of `a` and `b`.
func referenceMap(_ a: Tensor<Double>, _ b: Tensor<Double>, _ f: (Double, Double) -> Double) -> Tensor<Double> {
    let (shape, scalars) = referenceBinary(a.scalars, a.shape, b.scalars, b.shape, f)
    return Tensor(shape: shape, scalars: scalars)
}

/// `combine` of the elements of each line of `x` over `axes` (sorted; all when nil).
func referenceReduction(
    _ x: Tensor<Double>, axes: [Int]?, keepingDimensions: Bool, _ combine: ([Double]) -> Double
) -> Tensor<Double> {
    let axes = (axes ?? Array(0..<x.rank)).map { $0 < 0 ? $0 + x.rank : $0 }
    let kept = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    var groups: [[Int]: [Double]] = [:]
    for index in allIndices(x.shape) {
        let key = index.enumerated().map { axes.contains($0.offset) ? 0 : $0.element }
        groups[key, default: []].append(x[element: index])
    }
    let result = referenceTensor(kept) { combine(groups[$0] ?? []) }
    let dropped = x.shape.indices.filter { !axes.contains($0) }.map { x.shape[$0] }
    return keepingDimensions ? result : Tensor(shape: dropped, scalars: result.scalars)
}

/// `f` of each line of `x` along `axis`, element by element (`f(line, position)`).
func referenceAlongAxis(_ x: Tensor<Double>, axis: Int, _ f: ([Double], Int) -> Double) -> Tensor<Double> {
    let axis = axis < 0 ? axis + x.rank : axis
    return referenceTensor(x.shape) { index in
        let line = (0..<x.shape[axis]).map { j -> Double in
            var at = index
            at[axis] = j
            return x[element: at]
        }
        return f(line, index[axis])
    }
}

/// `op(a) · op(b)` for rank-2 operands or batches of them (a rank-2 operand shared by the batch).
func referenceMatmul(_ a: Tensor<Double>, _ b: Tensor<Double>, transposeA: Bool, transposeB: Bool) -> Tensor<Double> {
    let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
    let k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
    let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    let batch = a.rank > 2 ? Array(a.shape.dropLast(2)) : Array(b.shape.dropLast(2))
    func entry(_ t: Tensor<Double>, _ batchIndex: [Int], _ row: Int, _ column: Int, transposed: Bool) -> Double {
        let prefix = t.rank > 2 ? batchIndex : []
        return transposed ? t[element: prefix + [column, row]] : t[element: prefix + [row, column]]
    }
    return referenceTensor(batch + [m, n]) { index in
        let batchIndex = Array(index.dropLast(2))
        let (i, j) = (index[index.count - 2], index[index.count - 1])
        return (0..<k).map { l in
            entry(a, batchIndex, i, l, transposed: transposeA) * entry(b, batchIndex, l, j, transposed: transposeB)
        }.reduce(0, +)
    }
}
