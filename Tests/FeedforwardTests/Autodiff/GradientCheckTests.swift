import Foundation
import Testing
@testable import Feedforward

/// Checks the first derivative of `f` by central differences, and, for smooth operations, the
/// second derivative of `f` itself and of `sin ∘ f` (which also differentiates the operation's
/// derivative rule, so linear operations get a non-zero second derivative through them). Operations
/// whose own second derivative is non-zero may skip the composition (`composed: false`) to save time.
private func expectDerivatives(
    _ name: String, composed: Bool = true, at inputs: [Tensor<Double>], smooth: Bool = true,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ f: @escaping ([Tensor<Double>]) -> Tensor<Double>
) {
    let first = gradientCheck(at: inputs, of: f)
    #expect(first.passed, "\(name) first order: \(first)", sourceLocation: sourceLocation)
    let forward = forwardModeCheck(at: inputs, of: f)
    #expect(forward.passed, "\(name) forward mode: \(forward)", sourceLocation: sourceLocation)
    guard smooth else { return }
    let second = secondOrderGradientCheck(at: inputs, of: f)
    #expect(second.passed, "\(name) second order: \(second)", sourceLocation: sourceLocation)
    let reverseOverForward = reverseOverForwardAgreement(at: inputs, of: f)
    #expect(reverseOverForward < 1e-9, "\(name) reverse over forward differs from reverse over reverse by \(reverseOverForward)",
            sourceLocation: sourceLocation)
    guard composed else { return }
    let secondComposed = secondOrderGradientCheck(at: inputs) { sin(f($0)) }
    #expect(secondComposed.passed, "\(name) second order of sin ∘ f: \(secondComposed)", sourceLocation: sourceLocation)
}

/// The largest relative difference between two exact computations of `∇ₓ[vᵀ Jᵀ p]`: reverse mode
/// over the forward-mode JVP `J v`, and reverse mode over the reverse-mode `Jᵀ p`.
private func reverseOverForwardAgreement(at inputs: [Tensor<Double>], of f: @escaping ([Tensor<Double>]) -> Tensor<Double>) -> Double {
    let projection = withoutGradients { f(inputs) }.scalars.indices.map { Double($0 % 5) * 0.25 + 0.5 }
    let p = Tensor(shape: withoutGradients { f(inputs) }.shape, scalars: projection)
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

/// Values in `[lower, upper)` that stay at least `gap` away from every point of `avoid`.
private func awayFrom(_ avoid: [Double], _ shape: [Int], seed: UInt64, lower: Double = -2, upper: Double = 2, gap: Double = 0.1) -> Tensor<Double> {
    var values = testValues(shape.reduce(1, *), seed: seed, lower: lower, upper: upper)
    for i in values.indices {
        for a in avoid where Swift.abs(values[i] - a) < gap {
            values[i] = a + (values[i] < a ? -gap : gap)
        }
    }
    return Tensor(shape: shape, scalars: values)
}

@Suite struct GradientCheckTests {
    @Test func arithmeticWithBroadcasting() {
        let shapePairs: [([Int], [Int])] = [([2, 3], [2, 3]), ([2, 3], [3]), ([3], [2, 3]), ([2, 1], [1, 3]), ([], [2, 3]), ([2, 3], []), ([2, 1, 3], [4, 1])]
        for (index, (aShape, bShape)) in shapePairs.enumerated() {
            let seed = UInt64(index * 10)
            let a = testTensor(aShape, seed: seed)
            let b = testTensor(bShape, seed: seed + 1)
            let positive = testTensor(bShape, seed: seed + 2, lower: 0.5, upper: 2)
            let label = "\(aShape) ∘ \(bShape)"
            expectDerivatives("add " + label, at: [a, b]) { $0[0] + $0[1] }
            expectDerivatives("subtract " + label, at: [a, b]) { $0[0] - $0[1] }
            expectDerivatives("multiply " + label, composed: false, at: [a, b]) { $0[0] * $0[1] }
            expectDerivatives("divide " + label, composed: false, at: [a, positive]) { $0[0] / $0[1] }
            expectDerivatives("pow " + label, composed: false, at: [testTensor(aShape, seed: seed + 3, lower: 0.5, upper: 2), b]) { pow($0[0], $0[1]) }
            expectDerivatives("maximum " + label, at: [a, b]) { maximum($0[0], $0[1]) }
            expectDerivatives("minimum " + label, at: [a, b]) { minimum($0[0], $0[1]) }
        }
        // Ties between maximum's or minimum's arguments are kinks; the random values above have none.
        let a = testTensor([2, 3], seed: 5)
        let b = testTensor([2, 3], seed: 6)
        #expect(!zip(a.scalars, b.scalars).contains { Swift.abs($0 - $1) < 1e-3 })
    }

    @Test func scalarArithmetic() {
        let x = testTensor([2, 3], seed: 20)
        let positive = testTensor([2, 3], seed: 21, lower: 0.5, upper: 2)
        expectDerivatives("negate", at: [x]) { -$0[0] }
        expectDerivatives("x + 2", at: [x]) { $0[0] + 2 }
        expectDerivatives("2 + x", at: [x]) { 2 + $0[0] }
        expectDerivatives("x - 2", at: [x]) { $0[0] - 2 }
        expectDerivatives("2 - x", at: [x]) { 2 - $0[0] }
        expectDerivatives("x * 3", at: [x]) { $0[0] * 3 }
        expectDerivatives("3 * x", at: [x]) { 3 * $0[0] }
        expectDerivatives("x / 3", at: [x]) { $0[0] / 3 }
        expectDerivatives("3 / x", at: [positive]) { 3 / $0[0] }
        expectDerivatives("rank 0", at: [Tensor(0.7), Tensor(-1.3)]) { $0[0] * $0[1] + $0[0] / ($0[1] * $0[1]) }
        expectDerivatives("compound", at: [x, positive]) { inputs in
            var y = inputs[0]
            y += inputs[1]
            y *= inputs[0]
            y -= 1
            y /= inputs[1]
            return y
        }
    }

    @Test func unaryMath() {
        let x = testTensor([2, 3], seed: 30)
        let positive = testTensor([2, 3], seed: 31, lower: 0.2, upper: 3)
        let aboveMinusOne = testTensor([2, 3], seed: 32, lower: -0.8, upper: 3)
        let awayFromZero = awayFrom([0], [2, 3], seed: 33)
        expectDerivatives("exp", at: [x]) { exp($0[0]) }
        expectDerivatives("log", at: [positive]) { log($0[0]) }
        expectDerivatives("log1p", at: [aboveMinusOne]) { log1p($0[0]) }
        expectDerivatives("expm1", at: [x]) { expm1($0[0]) }
        expectDerivatives("sqrt", at: [positive]) { sqrt($0[0]) }
        expectDerivatives("square", at: [x]) { square($0[0]) }
        expectDerivatives("pow 3", at: [x]) { pow($0[0], 3) }
        expectDerivatives("pow 2", at: [x]) { pow($0[0], 2) }
        expectDerivatives("pow 1", at: [x]) { pow($0[0], 1) }
        expectDerivatives("pow 0", at: [x]) { pow($0[0], 0) }
        expectDerivatives("pow 0.5", at: [positive]) { pow($0[0], 0.5) }
        expectDerivatives("pow -2", at: [positive]) { pow($0[0], -2) }
        expectDerivatives("pow -1.5", at: [positive]) { pow($0[0], -1.5) }
        expectDerivatives("abs", at: [awayFromZero]) { abs($0[0]) }
        expectDerivatives("sin", at: [x]) { sin($0[0]) }
        expectDerivatives("cos", at: [x]) { cos($0[0]) }
        expectDerivatives("atan", at: [x]) { atan($0[0]) }
        expectDerivatives("tanh", at: [x]) { tanh($0[0]) }
        expectDerivatives("sigmoid", at: [x * 3]) { sigmoid($0[0]) }
        expectDerivatives("softplus", at: [x * 3]) { softplus($0[0]) }
        expectDerivatives("relu", at: [awayFromZero]) { relu($0[0]) }
        expectDerivatives("clamp", at: [awayFrom([-0.5, 0.7], [2, 3], seed: 34)]) { clamp($0[0], min: -0.5, max: 0.7) }
        expectDerivatives("where", at: [x, testTensor([3], seed: 35)]) { inputs in
            `where`(Tensor<Double>(shape: [2, 1], scalars: [1, 0]), inputs[0], inputs[1])
        }
        expectDerivatives("where data-dependent", at: [awayFromZero]) { `where`($0[0] .> 0, exp($0[0]), square($0[0])) }
        expectDerivatives("pow tensor exponent", at: [positive, x]) { pow($0[0], $0[1]) }
        expectDerivatives("pow integral tensor exponent, negative base", at: [x * 2 - 0.1]) { pow($0[0], Tensor([3.0])) }
    }

    @Test func reductions() {
        let x = testTensor([2, 2, 3], seed: 40)
        // First order along every axis set; both orders on a representative subset (kept small for time).
        for axes in [[0], [1], [2], [0, 1], [1, 2], [0, 1, 2]] {
            for f in [
                { (t: Tensor<Double>) in t.sum(alongAxes: axes) }, { $0.mean(alongAxes: axes) }, { $0.max(alongAxes: axes) },
                { $0.min(alongAxes: axes) }, { $0.logSumExp(alongAxes: axes) },
            ] {
                let result = gradientCheck(at: [x]) { f($0[0]) }
                #expect(result.passed, "axes \(axes): \(result)")
            }
        }
        for (axes, keeps) in [(nil, [false, true]), ([1], [true]), ([0, 2], [false, true]), ([-1], [false])] as [([Int]?, [Bool])] {
            for keep in keeps {
                let label = "axes \(axes.map { "\($0)" } ?? "all") keep \(keep)"
                expectDerivatives("sum " + label, at: [x]) { $0[0].sum(alongAxes: axes, keepingDimensions: keep) }
                expectDerivatives("mean " + label, at: [x]) { $0[0].mean(alongAxes: axes, keepingDimensions: keep) }
                expectDerivatives("max " + label, at: [x]) { $0[0].max(alongAxes: axes, keepingDimensions: keep) }
                expectDerivatives("min " + label, at: [x]) { $0[0].min(alongAxes: axes, keepingDimensions: keep) }
                expectDerivatives("logSumExp " + label, composed: false, at: [x]) { $0[0].logSumExp(alongAxes: axes, keepingDimensions: keep) }
            }
        }
        expectDerivatives("sum rank 0", at: [Tensor(1.5)]) { $0[0].sum() * $0[0] }
        let logits = testTensor([3, 4], seed: 41, lower: -3, upper: 3)
        for axis in [-1, 0, 1] {
            expectDerivatives("softmax axis \(axis)", at: [logits]) { softmax($0[0], alongAxis: axis) }
            expectDerivatives("logSoftmax axis \(axis)", at: [logits]) { logSoftmax($0[0], alongAxis: axis) }
        }
        // Large logits: the stable forms keep the derivatives finite and correct.
        expectDerivatives("logSoftmax large", at: [logits * 300]) { logSoftmax($0[0] / 300) }
    }

    @Test func shapeOperations() {
        let x = testTensor([2, 3, 4], seed: 50)
        expectDerivatives("reshaped", at: [x]) { $0[0].reshaped(to: [4, -1]) }
        expectDerivatives("flattened", at: [x]) { $0[0].flattened() }
        expectDerivatives("squeezed", at: [testTensor([1, 3, 1], seed: 51)]) { $0[0].squeezed() }
        expectDerivatives("expandingShape", at: [x]) { $0[0].expandingShape(at: 1) }
        expectDerivatives("permuted", at: [x]) { $0[0].permuted([2, 0, 1]) }
        expectDerivatives("transposed", at: [x]) { $0[0].transposed() }
        expectDerivatives("broadcasted", at: [testTensor([3, 1], seed: 52)]) { $0[0].broadcasted(to: [2, 3, 4]) }
        expectDerivatives("summed toShape", at: [x]) { $0[0].summed(toShape: [3, 1]) }
        let a = testTensor([2, 3], seed: 53)
        let b = testTensor([1, 3], seed: 54)
        let c = testTensor([4, 3], seed: 55)
        expectDerivatives("concatenate axis 0", at: [a, b, c]) { concatenate($0, alongAxis: 0) }
        expectDerivatives("concatenate axis 1", at: [a, testTensor([2, 2], seed: 56)]) { concatenate($0, alongAxis: -1) }
        expectDerivatives("concatenate same tensor twice", at: [a]) { concatenate([$0[0], $0[0] * 2]) }
        expectDerivatives("stack", at: [a, testTensor([2, 3], seed: 57)]) { stack($0, alongAxis: 1) }
        expectDerivatives("slice", at: [x]) { $0[0].slice(alongAxis: 2, 1..<3) }
        expectDerivatives("subscript", at: [x]) { $0[0][[1..<2, 0..<2]] }
        expectDerivatives("padded", at: [a]) { $0[0].padded(into: [4, 5], at: [1, 2]) }
        expectDerivatives("gatheringRows repeated", at: [c]) { $0[0].gatheringRows([3, 0, 3, 3, 1]) }
        expectDerivatives("scatteringRows repeated", at: [c]) { $0[0].scatteringRows([1, 0, 1, 1], rowCount: 3) }
    }

    @Test func matrixMultiply() {
        let (m, k, n) = (3, 4, 2)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let label = "tA \(transposeA) tB \(transposeB)"
                let aMatrix = transposeA ? [k, m] : [m, k]
                let bMatrix = transposeB ? [n, k] : [k, n]
                let a = testTensor(aMatrix, seed: 60)
                let b = testTensor(bMatrix, seed: 61)
                expectDerivatives("matmul " + label, composed: false, at: [a, b]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
                let batchA = testTensor([2] + aMatrix, seed: 62)
                let batchB = testTensor([2] + bMatrix, seed: 63)
                expectDerivatives("matmul batch·batch " + label, composed: false, at: [batchA, batchB]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
                expectDerivatives("matmul batch·matrix " + label, composed: false, at: [batchA, b]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
                expectDerivatives("matmul matrix·batch " + label, composed: false, at: [a, batchB]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
                expectDerivatives("matmul same operand " + label, composed: false, at: [testTensor([3, 3], seed: 64)]) { matmul($0[0], $0[0], transposeA: transposeA, transposeB: transposeB) }
            }
        }
    }

    @Test func sumOfProductsWithBias() {
        // Two products of every transposition pairing accumulated into one buffer, with and without a
        // bias row; the dense layer and the tangent of a product are such sums.
        let (m, k, n) = (3, 4, 2)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let label = "tA \(transposeA) tB \(transposeB)"
                let a = testTensor(transposeA ? [k, m] : [m, k], seed: 65)
                let b = testTensor(transposeB ? [n, k] : [k, n], seed: 66)
                let c = testTensor([m, 5], seed: 67), d = testTensor([5, n], seed: 68), bias = testTensor([n], seed: 69)
                expectDerivatives("sumOfProducts " + label, at: [a, b, c, d, bias]) { x in
                    sumOfProducts(
                        [MatrixProduct(a: x[0], b: x[1], transposeA: transposeA, transposeB: transposeB),
                         MatrixProduct(a: x[2], b: x[3])], plus: x[4])
                }
                expectDerivatives("sumOfProducts without bias " + label, composed: false, at: [a, b]) { x in
                    sumOfProducts([MatrixProduct(a: x[0], b: x[1], transposeA: transposeA, transposeB: transposeB)], plus: nil)
                }
            }
        }
        let square = testTensor([3, 3], seed: 70)
        expectDerivatives("sumOfProducts shared operand", at: [square, testTensor([3], seed: 71)]) { x in
            sumOfProducts([MatrixProduct(a: x[0], b: x[0]), MatrixProduct(a: x[0], b: x[0], transposeA: true)], plus: x[1])
        }
    }

    @Test func nonSmoothOperationsAwayFromKinks() {
        // First derivatives exist away from kinks, and the second derivative there is that of a
        // piecewise-linear function: zero.
        let x = awayFrom([0], [2, 3], seed: 70)
        let hessianOfRelu = hessian(at: x) { relu($0).sum() }
        #expect(hessianOfRelu == Tensor.zeros(shape: [6, 6]))
        let hessianOfAbs = hessian(at: x) { abs($0).sum() }
        #expect(hessianOfAbs == Tensor.zeros(shape: [6, 6]))
        let hessianOfMax = hessian(at: x) { $0.max() }
        #expect(hessianOfMax == Tensor.zeros(shape: [6, 6]))
    }
}
