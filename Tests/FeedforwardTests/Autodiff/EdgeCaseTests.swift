import Foundation
import Testing
@testable import Feedforward

@Suite struct AutodiffEdgeCaseTests {
    @Test func documentedConventionsAtKinks() {
        let zeros: Tensor<Double> = [0, 0]
        #expect(gradient(at: zeros) { relu($0).sum() } == zeros)
        #expect(gradient(at: zeros) { abs($0).sum() } == zeros)
        // The extremum's gradient is shared equally among the elements that attain it.
        #expect(gradient(at: Tensor<Double>([1, 3, 3])) { $0.max() } == Tensor([0, 0.5, 0.5]))
        let third: Double = 1.0 / 3
        let gMin = gradient(at: Tensor<Double>([-2, 5, -2, -2])) { $0.min() }
        #expect(gMin.scalars == [third, 0, third, third])
        // maximum and minimum send the gradient at ties to the first argument.
        let (ga, gb) = gradient(at: Tensor<Double>([1, 2]), Tensor<Double>([1, 3])) { maximum($0, $1).sum() }
        #expect(ga == Tensor([1, 0]) && gb == Tensor([0, 1]))
        let (ma, mb) = gradient(at: Tensor<Double>([1, 2]), Tensor<Double>([1, 0])) { minimum($0, $1).sum() }
        #expect(ma == Tensor([1, 0]) && mb == Tensor([0, 1]))
        // clamp passes the gradient on the closed interval and nowhere else.
        let g = gradient(at: Tensor<Double>([-1, -0.5, 0, 0.7, 1])) { clamp($0, min: -0.5, max: 0.7).sum() }
        #expect(g == Tensor([0, 1, 1, 1, 0]))
    }

    @Test func powGradientsAtZeroBase() {
        // d/dy 0^y = 0 for y > 0 (0^y is constant there), and d/dx x^y at 0 is y·0^(y-1).
        let (gBase, gExponent) = gradient(at: Tensor<Double>([0, 2, 0]), Tensor<Double>([2, 3, 1])) { pow($0, $1).sum() }
        #expect(gBase.scalars == [0, 12, 1])
        expectTensor(gExponent, shape: [3], [0, 8 * Foundation.log(2), 0], tolerance: 1e-15)
        let second = secondOrderGradientCheck(at: [Tensor<Double>([0.5, 2]), Tensor<Double>([2, 3])]) { pow($0[0], $0[1]) }
        #expect(second.passed, "\(second)")
    }

    @Test func gradientsAtExtremeInputsStayFinite() {
        let d: Tensor<Double> = [1e4, -1e4, 0]
        let f: Tensor<Float> = [1e4, -1e4, 0]
        #expect(gradient(at: d) { sigmoid($0).sum() } == Tensor([0, 0, 0.25]))
        #expect(gradient(at: f) { sigmoid($0).sum() } == Tensor([0, 0, 0.25]))
        #expect(gradient(at: d) { softplus($0).sum() } == Tensor([1, 0, 0.5]))
        #expect(gradient(at: f) { softplus($0).sum() } == Tensor([1, 0, 0.5]))
        #expect(gradient(at: d) { tanh($0).sum() } == Tensor([0, 0, 1]))
        #expect(gradient(at: d) { $0.logSumExp() } == Tensor([1, 0, 0]))
        #expect(gradient(at: f) { $0.logSumExp() } == Tensor([1, 0, 0]))
        let pair: Tensor<Float> = [1e4, 1e4]
        #expect(gradient(at: pair) { $0.logSumExp() } == Tensor([0.5, 0.5]))
        let logits: Tensor<Double> = [[1e4, 0, -1e4]]
        let gl = gradient(at: logits) { (logSoftmax($0) * Tensor([1.0, 0, 0])).sum() }
        #expect(gl == Tensor(shape: [1, 3], scalars: [0, 0, 0]))
        let gs = gradient(at: logits) { (softmax($0) * Tensor([0.0, 1, 0])).sum() }
        #expect(gs.scalars.allSatisfy { $0.isFinite })
        let hv = hessianVectorProduct(at: d, along: Tensor([1, 1, 1])) { sigmoid($0).sum() + softplus($0).sum() }
        #expect(hv.scalars.allSatisfy { $0.isFinite })
        #expect(isClose(hv.scalars[2], 0.25))  // sigmoid''(0) = 0, softplus''(0) = 1/4
    }

    @Test func transformationsOfTrivialFunctions() {
        let x: Tensor<Double> = [0.5, -1, 2]
        #expect(gradient(at: Tensor(2.0)) { $0 } == Tensor(1.0))
        #expect(gradient(at: Tensor<Double>([3])) { $0.reshaped(to: []) } == Tensor([1]))
        let identity = Tensor<Double>.identity(size: 3)
        #expect(jacobian(at: x, mode: .forward) { $0 } == identity)
        #expect(jacobian(at: x, mode: .reverse) { $0 } == identity)
        #expect(jacobian(at: x, mode: .forward) { _ in Tensor<Double>([1, 2]) } == Tensor.zeros(shape: [2, 3]))
        #expect(jacobian(at: x, mode: .reverse) { _ in Tensor<Double>([1, 2]) } == Tensor.zeros(shape: [2, 3]))
        #expect(jvp(at: x, along: Tensor([1, 1, 1])) { $0 * 2 } == Tensor([2, 2, 2]))
        #expect(hessian(at: x) { $0.sum() } == Tensor.zeros(shape: [3, 3]))
        #expect(hessian(at: x) { _ in Tensor(1.0) } == Tensor.zeros(shape: [3, 3]))
        let (value, grad) = valueWithGradient(at: x) { (exp($0) * 0).sum() + 4 }
        #expect(value == Tensor(4.0) && !value.requiresGradient)
        #expect(grad == Tensor.zeros(shape: [3]))
    }

    @Test func transformationsLeaveLeafGradientsAlone() {
        let w = Tensor<Double>([1, 2]).requiringGradient()
        let g = gradient(at: Tensor<Double>([3, 4])) { x in (x * w).sum() }
        #expect(g == Tensor([1, 2]))
        #expect(w.gradient == nil)
        // The graph through w is still intact for an eager backward afterwards.
        let h = exp(w)
        _ = gradient(at: Tensor<Double>([3, 4])) { x in (x * h).sum() }
        h.sum().backward()
        expectTensor(w.gradient!, shape: [2], [Foundation.exp(1), Foundation.exp(2)], tolerance: 1e-15)
    }

    @Test func concurrentDifferentiationAgrees() async {
        let x = testTensor([3, 4], seed: 140)
        let w = testTensor([4, 2], seed: 141)
        let f: @Sendable (Tensor<Double>) -> Tensor<Double> = { x in softplus(matmul(x, w)).sum() + (x * x * x).mean() }
        let reference = gradient(at: x, of: f)
        let referenceHessianVector = hessianVectorProduct(at: x, along: w.transposed().gatheringRows([0, 1, 0]), of: f)
        let results = await withTaskGroup(of: (Tensor<Double>, Tensor<Double>).self) { group in
            for _ in 0..<6 {
                group.addTask {
                    (gradient(at: x, of: f), hessianVectorProduct(at: x, along: w.transposed().gatheringRows([0, 1, 0]), of: f))
                }
            }
            var all: [(Tensor<Double>, Tensor<Double>)] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 6)
        #expect(results.allSatisfy { $0.0 == reference && $0.1 == referenceHessianVector })
    }

    @Test func whereWithRankZeroBranches() {
        let x = testTensor([2, 3], seed: 150)
        let check = gradientCheck(at: [x, Tensor(0.3)]) { `where`($0[0] .> 0, $0[0], $0[1]) }
        #expect(check.passed, "\(check)")
        let second = secondOrderGradientCheck(at: [x, Tensor(0.3)]) { `where`($0[0] .> 0, sin($0[0]), $0[1] * $0[1]) }
        #expect(second.passed, "\(second)")
        let (_, gb) = gradient(at: x, Tensor(0.3)) { `where`($0 .> 0, $0, $1).sum() }
        #expect(gb.scalar == Double(x.scalars.filter { !($0 > 0) }.count))
    }
}

@Suite struct AutodiffEmptyTensorTests {
    let e = Tensor<Double>.zeros(shape: [0, 3])

    @Test func gradientsOfEmptyTensors() {
        #expect(gradient(at: e) { $0.sum() } == e)
        #expect(gradient(at: e) { $0.max(alongAxes: [1]).sum() } == e)
        #expect(gradient(at: e) { softmax($0).sum() + logSoftmax($0, alongAxis: 0).sum() } == e)
        #expect(gradient(at: e) { concatenate([$0, $0]).sum() } == e)
        #expect(gradient(at: e) { matmul($0, Tensor<Double>.ones(shape: [3, 2])).sum() } == e)
        #expect(gradient(at: e) { $0.transposed().sum() + $0.reshaped(to: [-1]).sum() + $0.gatheringRows([]).sum() } == e)
        #expect(gradient(at: e) { checkpointed($0) { exp($0) }.sum() } == e)
        let check = gradientCheck(at: [e, Tensor(0.5)]) { exp($0[0]) * $0[1] + $0[1] }
        #expect(check.passed, "\(check)")
        let second = secondOrderGradientCheck(at: [e, Tensor(0.5)]) { exp($0[0]).sum() + $0[1] * $0[1] }
        #expect(second.passed, "\(second)")
    }

    @Test func emptyJacobiansAndHessians() {
        let empty = Tensor<Double>.zeros(shape: [0])
        #expect(jacobian(at: empty, mode: .forward) { $0 * 2 }.shape == [0, 0])
        #expect(jacobian(at: empty, mode: .reverse) { $0 * 2 }.shape == [0, 0])
        #expect(jacobian(at: empty) { _ in Tensor<Double>([1, 2]) } == Tensor.zeros(shape: [2, 0]))
        #expect(jacobian(at: Tensor<Double>([1, 2]), mode: .reverse) { _ in Tensor<Double>.zeros(shape: [0]) }.shape == [0, 2])
        #expect(jacobian(at: Tensor<Double>([1, 2]), mode: .forward) { $0.gatheringRows([]) }.shape == [0, 2])
        #expect(hessian(at: empty) { $0.sum() }.shape == [0, 0])
    }
}
