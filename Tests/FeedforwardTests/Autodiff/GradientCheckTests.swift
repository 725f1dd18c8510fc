import Foundation
import Testing
@testable import Feedforward

// Every primitive's derivatives are checked by the operation-check table
// (Tests/FeedforwardTests/Primitives/OperationCheckTable.swift); these tests check the checks.

@Suite struct GradientCheckTests {
    /// `exp` declared with the given rules (a deliberately wrong declaration for some tests).
    func exponential(
        _ x: Tensor<Double>, derivative: @escaping PrimitiveRule<Double>, tangent: Primitive<Double>.Tangent = .sameAsDerivative
    ) -> Tensor<Double> {
        Primitive<Double>("exp", .unary(.exp), saving: .output, derivative: derivative, tangent: tangent).bind(x)
    }

    @Test func checksFindADeliberatelyWrongRule() {
        let x = testTensor([2, 3], seed: 80)
        // The right declaration passes every check.
        let right: ([Tensor<Double>]) -> Tensor<Double> = { self.exponential($0[0]) { g, saved, _ in g * saved.output } }
        #expect(gradientCheck(at: [x], of: right).passed)
        #expect(forwardModeCheck(at: [x], of: right).passed)
        #expect(secondOrderGradientCheck(at: [x], of: right).passed)
        // A wrong derivative (the identity's): reverse and forward mode both fail their checks.
        let wrong: ([Tensor<Double>]) -> Tensor<Double> = { self.exponential($0[0]) { g, _, _ in g } }
        #expect(!gradientCheck(at: [x], of: wrong).passed)
        #expect(!forwardModeCheck(at: [x], of: wrong).passed)
        // The right derivative with a wrong tangent rule: only forward mode notices.
        let wrongTangent: ([Tensor<Double>]) -> Tensor<Double> = {
            self.exponential($0[0], derivative: { g, saved, _ in g * saved.output }, tangent: .rule { t, _, _ in t })
        }
        #expect(gradientCheck(at: [x], of: wrongTangent).passed)
        #expect(!forwardModeCheck(at: [x], of: wrongTangent).passed)
        // A derivative right in value but not written differentiably (it reads a detached output):
        // first order passes, second order fails.
        let notDifferentiable: ([Tensor<Double>]) -> Tensor<Double> = {
            self.exponential($0[0]) { g, saved, _ in g * saved.output.detached() }
        }
        #expect(gradientCheck(at: [x], of: notDifferentiable).passed)
        #expect(!secondOrderGradientCheck(at: [x], of: notDifferentiable).passed)
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
