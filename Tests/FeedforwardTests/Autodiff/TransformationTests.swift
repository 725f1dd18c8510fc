import Foundation
import Testing
@testable import Feedforward

/// `x³` as a user-defined operation with its own derivative, written in tensor operations so it
/// can be differentiated again.
private func cube(_ x: Tensor<Double>) -> Tensor<Double> {
    customOperation("cube", inputs: [x], forward: { [$0[0] * $0[0] * $0[0]] }) { g, _, _ in
        [g[0]! * 3 * x * x]
    }[0]
}

/// `[sin x, cos x]` as one operation with two outputs.
private func sinCos(_ x: Tensor<Double>) -> [Tensor<Double>] {
    customOperation("sinCos", inputs: [x], forward: { [sin($0[0]), cos($0[0])] }) { g, outputs, _ in
        // d sin = cos = outputs[1], d cos = -sin = -outputs[0]; either gradient may be absent.
        var total: Tensor<Double>?
        if let g0 = g[0] { total = g0 * outputs[1] }
        if let g1 = g[1] { total = total.map { $0 - g1 * outputs[0] } ?? -g1 * outputs[0] }
        return [total]
    }
}

@Suite struct TransformationTests {
    @Test func hessianVectorProductsMatchFiniteDifferencesOfGradients() {
        let w = testTensor([4, 3], seed: 80)
        let f: (Tensor<Double>) -> Tensor<Double> = { x in softplus(matmul(x.reshaped(to: [1, 4]), w)).sum() + (x * x * x * x).sum() * 0.1 }
        let x = testTensor([4], seed: 81)
        for seed in [82, 83, 84] as [UInt64] {
            let v = testTensor([4], seed: seed)
            let hv = hessianVectorProduct(at: x, along: v, of: f)
            let epsilon = 1e-5
            let plus = gradient(at: withoutGradients { x + v * epsilon }, of: f)
            let minus = gradient(at: withoutGradients { x - v * epsilon }, of: f)
            let numeric = withoutGradients { (plus - minus) / (2 * epsilon) }
            #expect(hv.isApproximatelyEqual(to: numeric, absoluteTolerance: 1e-7, relativeTolerance: 1e-6), "\(hv.scalars) vs \(numeric.scalars)")
        }
        // Linear in the direction.
        let v1 = testTensor([4], seed: 85)
        let v2 = testTensor([4], seed: 86)
        let sum = hessianVectorProduct(at: x, along: v1 + v2, of: f)
        let separate = hessianVectorProduct(at: x, along: v1, of: f) + hessianVectorProduct(at: x, along: v2, of: f)
        #expect(sum.isApproximatelyEqual(to: separate, absoluteTolerance: 1e-12))
    }

    @Test func modelHessianVectorProductMatchesFiniteDifferencesOfGradients() throws {
        let model = smallResidualClassifier(seed: 87, residual: .softplus)
        let x = testTensor([5, 3], seed: 88)
        let labels = [0, 2, 1, 1, 0]
        let loss: (Sequential<Double>) -> Tensor<Double> = { crossEntropy(logits: $0(x), labels: labels) }
        let parameters = model.parameters
        let directions = ParameterGradients(
            names: parameters.map(\.name),
            tensors: parameters.enumerated().map { testTensor($1.value.shape, seed: 89 + UInt64($0)) })
        let hv = hessianVectorProduct(at: model, along: directions, of: loss)
        #expect(hv.names == parameters.map(\.name))

        func shifted(_ step: Double) -> Sequential<Double> {
            var copy = model
            copy.visitParameters { name, p in p = withoutGradients { p + directions[name]! * step } }
            return copy
        }
        let epsilon = 1e-5
        let (plus, minus) = (gradient(at: shifted(epsilon), of: loss), gradient(at: shifted(-epsilon), of: loss))
        for name in hv.names {
            let numeric = withoutGradients { (plus[name]! - minus[name]!) / (2 * epsilon) }
            let analytic = try #require(hv[name])
            #expect(analytic.isApproximatelyEqual(to: numeric, absoluteTolerance: 1e-7, relativeTolerance: 1e-6),
                    "\(name): \(analytic.scalars) vs \(numeric.scalars)")
        }

        // A parameter without a direction has v = 0 there: the product is that of the zero-padded direction.
        let partial = ParameterGradients(names: [directions.names[0]], tensors: [directions.tensors[0]])
        let padded = ParameterGradients(
            names: directions.names,
            tensors: directions.tensors.enumerated().map { $0 == 0 ? $1 : Tensor.zeros(like: $1) })
        let (a, b) = (hessianVectorProduct(at: model, along: partial, of: loss), hessianVectorProduct(at: model, along: padded, of: loss))
        for (p, q) in zip(a.tensors, b.tensors) { #expect(p.isApproximatelyEqual(to: q, absoluteTolerance: 1e-12)) }
    }

    @Test func forwardModeNestsAndComposesWithReverseMode() {
        // f(x) = Σ x sin x has the diagonal Hessian 2 cos x − x sin x.
        let f: (Tensor<Double>) -> Tensor<Double> = { x in (x * sin(x)).sum() }
        let x = testTensor([4], seed: 90)
        let (u, v) = (testTensor([4], seed: 91), testTensor([4], seed: 92))
        let curvature = withoutGradients { cos(x) * 2 - x * sin(x) }

        let hv = withoutGradients { curvature * v }
        let forwardOverReverse = jvp(at: x, along: v) { x in gradient(at: x, of: f) }
        #expect(forwardOverReverse.isApproximatelyEqual(to: hv, absoluteTolerance: 1e-12))
        let reverseOverForward = hessianVectorProduct(at: x, along: v, of: f)
        #expect(reverseOverForward.isApproximatelyEqual(to: hv, absoluteTolerance: 1e-12))

        // Several arguments: g(x, y) = Σ x sin x + Σ x y has blocks H_xx = diag(curvature), H_xy = H_yx = I, H_yy = 0.
        let y = testTensor([4], seed: 95)
        let blocks = hessianVectorProduct(at: [x, y], along: [v, u]) { a in (a[0] * sin(a[0])).sum() + (a[0] * a[1]).sum() }
        #expect(blocks[0].isApproximatelyEqual(to: withoutGradients { hv + u }, absoluteTolerance: 1e-12))
        #expect(blocks[1].isApproximatelyEqual(to: v, absoluteTolerance: 1e-12))

        // jvp of jvp: uᵀ H v, the levels kept apart.
        let nested = jvp(at: x, along: u) { x in jvp(at: x, along: v, of: f) }
        #expect(Swift.abs(nested.scalar - withoutGradients { (u * hv).sum() }.scalar) < 1e-12)
        // Along the same direction twice: the second directional derivative, not twice the first.
        let twice = jvp(at: x, along: v) { x in jvp(at: x, along: v, of: f) }
        #expect(Swift.abs(twice.scalar - withoutGradients { (v * hv).sum() }.scalar) < 1e-12)
    }

    @Test func forwardModeLeavesNoGraphBehind() {
        // A tangent refers back to its node (tanh's tangent reads tanh's output); the level drops the
        // tangents when it ends, so the graph is freed with the last tensor that uses it.
        weak var node: GraphNode<Double>?
        let x = testTensor([3], seed: 96)
        let tangent = jvp(at: x, along: testTensor([3], seed: 97)) { x in
            let y = tanh(x)
            node = y.edge?.node
            return y * 2
        }
        #expect(tangent.shape == [3])
        #expect(node == nil, "the graph of f outlived jvp")
    }

    @Test func forwardModeThroughOperationsWithoutTangentRules() {
        // Custom operations and checkpointed segments have no tangent rule: their tangents come
        // from their derivative rules.
        let x = testTensor([3], seed: 93)
        let v = testTensor([3], seed: 94)
        let cubeTangent = jvp(at: x, along: v, of: cube)
        #expect(cubeTangent.isApproximatelyEqual(to: withoutGradients { x * x * v * 3 }, absoluteTolerance: 1e-12))
        let pair = jvp(at: x, along: v) { x in let out = sinCos(x); return out[0] * 2 + out[1] }
        #expect(pair.isApproximatelyEqual(to: withoutGradients { (cos(x) * 2 - sin(x)) * v }, absoluteTolerance: 1e-12))

        let segment: (Tensor<Double>) -> Tensor<Double> = { tanh($0 * $0) + $0 }
        let plain = jvp(at: x, along: v, of: segment)
        let recomputed = jvp(at: x, along: v) { checkpointed($0, segment) }
        #expect(recomputed.isApproximatelyEqual(to: plain, absoluteTolerance: 1e-12))
        // And differentiable again: reverse over forward through the custom operation.
        let hv = hessianVectorProduct(at: x, along: v) { cube($0).sum() }
        #expect(hv.isApproximatelyEqual(to: withoutGradients { x * v * 6 }, absoluteTolerance: 1e-12))
    }

    @Test func forwardAndReverseJacobiansAgree() {
        let a = testTensor([3, 4], seed: 90)
        // R⁴ → R³ (more inputs than outputs) and R² → R⁵ (fewer).
        let wide: (Tensor<Double>) -> Tensor<Double> = { x in tanh(matmul(a, x.reshaped(to: [4, 1]))).reshaped(to: [3]) * x.sum() }
        let tall: (Tensor<Double>) -> Tensor<Double> = { x in concatenate([exp(x), x * x.sum(), sin(x.sum()).reshaped(to: [1])]) }
        for (f, x, shape) in [(wide, testTensor([4], seed: 91), [3, 4]), (tall, testTensor([2], seed: 92), [5, 2])] {
            let forward = jacobian(at: x, mode: .forward, of: f)
            let reverse = jacobian(at: x, mode: .reverse, of: f)
            let automatic = jacobian(at: x, of: f)
            #expect(forward.shape == shape && reverse.shape == shape && automatic.shape == shape)
            #expect(forward.isApproximatelyEqual(to: reverse, absoluteTolerance: 1e-13, relativeTolerance: 1e-12))
            #expect(automatic.isApproximatelyEqual(to: reverse, absoluteTolerance: 1e-13, relativeTolerance: 1e-12))
            // And both agree with central differences, column by column.
            let n = x.scalarCount
            for j in 0..<n {
                var basis = [Double](repeating: 0, count: n)
                basis[j] = 1e-6
                let step = Tensor(shape: x.shape, scalars: basis)
                let column = withoutGradients { (f(x + step) - f(x - step)) / 2e-6 }
                let fromJacobian = reverse.slice(alongAxis: 1, j..<(j + 1)).reshaped(to: [shape[0]])
                #expect(fromJacobian.isApproximatelyEqual(to: column, absoluteTolerance: 1e-8, relativeTolerance: 1e-7))
            }
        }
        // jvp and pullback are adjoint: uᵀ (J v) = (uᵀ J) v.
        let x = testTensor([4], seed: 93)
        let u = testTensor([3], seed: 94)
        let v = testTensor([4], seed: 95)
        let (value, tangent) = valueWithJVP(at: x, along: v, of: wide)
        #expect(value == withoutGradients { wide(x) })
        let left = (u * tangent).sum().scalar
        let right = (pullback(at: x, of: wide)(u) * v).sum().scalar
        #expect(isClose(left, right, tolerance: 1e-13))
    }

    @Test func gradientOfGradientEqualsAnalyticSecondDerivative() {
        let values: [Double] = [-1.3, 0.4, 2.1]
        let x = Tensor(values)
        // f = Σ x³ sin x, f'' = -x³ sin x + 6x² cos x + 6x sin x.
        let second = gradient(at: x) { x in gradient(at: x) { (pow($0, 3) * sin($0)).sum() }.sum() }
        let expected = values.map { v in
            -v * v * v * Foundation.sin(v) + 6 * v * v * Foundation.cos(v) + 6 * v * Foundation.sin(v)
        }
        expectTensor(second, shape: [3], expected, tolerance: 1e-13)
        // Third order of exp is exp.
        let third = gradient(at: x) { x in gradient(at: x) { x in gradient(at: x) { exp($0).sum() }.sum() }.sum() }
        expectTensor(third, shape: [3], values.map { Foundation.exp($0) }, tolerance: 1e-14)
        // Mixed partials of f(x, y) = Σ x² y: ∂/∂y (∂f/∂x) = 2x.
        let y = Tensor<Double>([0.5, -1, 3])
        let mixed = gradient(at: y) { y in gradient(at: x) { x in (x * x * y).sum() }.sum() }
        expectTensor(mixed, shape: [3], values.map { 2 * $0 }, tolerance: 1e-15)
    }

    @Test func hessianOfQuadraticForm() {
        let a = Tensor<Double>(shape: [3, 3], scalars: [1, 2, 0, -1, 3, 4, 0.5, 0, 2])
        let x = testTensor([3], seed: 100)
        let h = hessian(at: x) { x in matmul(x.reshaped(to: [1, 3]), matmul(a, x.reshaped(to: [3, 1]))).sum() }
        let expected = withoutGradients { a + a.transposed() }
        #expect(h.shape == [3, 3])
        #expect(h.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-14))
        // Independent of the point, and symmetric for any smooth function.
        let h2 = hessian(at: x * 5) { x in matmul(x.reshaped(to: [1, 3]), matmul(a, x.reshaped(to: [3, 1]))).sum() }
        #expect(h2.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-13))
        let hs = hessian(at: x) { x in (sin(x) * x.sum() + exp(x * x)).sum() }
        #expect(hs.isApproximatelyEqual(to: hs.transposed(), absoluteTolerance: 1e-13))
    }

    @Test func customOperations() {
        let x = testTensor([2, 3], seed: 110)
        let result = gradientCheck(at: [x]) { cube($0[0]) }
        #expect(result.passed, "\(result)")
        let second = secondOrderGradientCheck(at: [x]) { cube($0[0]) }
        #expect(second.passed, "\(second)")
        expectTensor(gradient(at: x) { cube($0).sum() }, shape: [2, 3], x.scalars.map { 3 * $0 * $0 }, tolerance: 1e-15)
        expectTensor(gradient(at: x) { x in gradient(at: x) { cube($0).sum() }.sum() }, shape: [2, 3], x.scalars.map { 6 * $0 }, tolerance: 1e-15)

        // Two outputs: only the first used, only the second, and both.
        for (name, f) in [
            ("first", { (x: Tensor<Double>) in sinCos(x)[0] }),
            ("second", { sinCos($0)[1] }),
            ("both", { let o = sinCos($0); return o[0] * o[1] + o[1] }),
        ] {
            let check = gradientCheck(at: [x]) { f($0[0]) }
            #expect(check.passed, "\(name): \(check)")
            let secondCheck = secondOrderGradientCheck(at: [x]) { f($0[0]) }
            #expect(secondCheck.passed, "\(name) second order: \(secondCheck)")
        }
        let outputs = sinCos(x)
        #expect(outputs.count == 2 && !outputs[0].requiresGradient)
        expectTensor(outputs[1], shape: [2, 3], x.scalars.map { Foundation.cos($0) }, tolerance: 1e-15)

        // The check notices a wrong derivative.
        let wrong = gradientCheck(at: [x]) { inputs in
            customOperation("badSquare", inputs: inputs, forward: { [$0[0] * $0[0]] }) { g, _, _ in [g[0]! * inputs[0]] }[0]
        }
        #expect(!wrong.passed)
    }

    @Test func checkpointingGivesIdenticalGradients() {
        let w = testTensor([3, 3], seed: 120)
        let segment: @Sendable (Tensor<Double>) -> Tensor<Double> = { y in tanh(matmul(y, w)) * sin(y) + exp(y * 0.5) }
        let x = testTensor([2, 3], seed: 121)
        let plain: (Tensor<Double>) -> Tensor<Double> = { x in (segment(segment(sin(x))) * x).sum() }
        let checkpoint: (Tensor<Double>) -> Tensor<Double> = { x in (checkpointed(checkpointed(sin(x), segment), segment) * x).sum() }
        let (plainValue, plainGradient) = valueWithGradient(at: x, of: plain)
        let (checkpointValue, checkpointGradient) = valueWithGradient(at: x, of: checkpoint)
        #expect(checkpointValue == plainValue)
        #expect(checkpointGradient == plainGradient)
        #expect(checkpointGradient.scalars.allSatisfy { $0 != 0 })

        // Eager backward through a checkpoint.
        let leaf = x.requiringGradient()
        checkpoint(leaf).backward()
        #expect(leaf.gradient == plainGradient)

        // Second order through the checkpoint.
        let second = secondOrderGradientCheck(at: [x]) { checkpointed($0[0], segment) }
        #expect(second.passed, "\(second)")
        let first = gradientCheck(at: [x]) { checkpointed($0[0], segment) }
        #expect(first.passed, "\(first)")
        let hPlain = hessian(at: x, of: plain)
        let hCheckpoint = hessian(at: x, of: checkpoint)
        #expect(hCheckpoint.isApproximatelyEqual(to: hPlain, absoluteTolerance: 1e-13, relativeTolerance: 1e-12))
    }
}
