import Foundation
import Testing
@testable import Feedforward

/// Runs back-propagation of `output` to `targets`, returning gradients and statistics.
private func backpropagate(
    _ output: Tensor<Double>, to targets: [Tensor<Double>]
) -> (gradients: [Tensor<Double>?], statistics: BackpropagationStatistics) {
    var statistics = BackpropagationStatistics()
    let gradients = withUnsafeMutablePointer(to: &statistics) { pointer in
        Backpropagation.run(
            outputs: [output], seeds: [Tensor(shape: output.shape, scalars: [1])], targets: targets.map { $0.edge! },
            createGraph: false, retainGraph: false, statistics: pointer)
    }
    return (gradients, statistics)
}

/// Counts how often a derivative rule runs.
private final class Counter: @unchecked Sendable {
    var count = 0
}

/// `exp(x)` as a custom operation whose derivative rule counts its evaluations.
private func countedExp(_ x: Tensor<Double>, _ counter: Counter) -> Tensor<Double> {
    customOperation("countedExp", inputs: [x], forward: { [exp($0[0])] }) { g, outputs, _ in
        counter.count += 1
        return [g[0]! * outputs[0]]
    }[0]
}

@Suite struct BackpropagationTests {
    @Test func sharedSubexpressionChainOfProducts() {
        // x_{k+1} = x_k · x_k, so x_60 = x_0^(2^60) and dx_60/dx_0 = 2^60 at x_0 = 1 (exact in Double).
        let x0 = Tensor<Double>(1).requiringGradient()
        var x = x0
        for _ in 0..<60 { x = x * x }
        let (gradients, statistics) = backpropagate(x, to: [x0])
        #expect(gradients[0]?.scalars == [0x1p60])
        // One rule per node and one accumulation per edge: linear, not 2^60.
        #expect(statistics.ruleEvaluations == 60)
        #expect(statistics.edgesTraversed == 120)
        #expect(statistics.nodesOnPath == 61)
    }

    @Test func sharedSubexpressionChainOfSinCos() {
        // x_{k+1} = sin(x_k) · cos(x_k) = sin(2 x_k) / 2, so dx_{k+1}/dx_k = cos(2 x_k).
        let start = 0.9
        let x0 = Tensor<Double>(start).requiringGradient()
        var x = x0
        for _ in 0..<60 { x = sin(x) * cos(x) }
        var value = start
        var expected = 1.0
        for _ in 0..<60 {
            expected *= Foundation.cos(2 * value)
            value = Foundation.sin(value) * Foundation.cos(value)
        }
        #expect(isClose(x.scalar, value, tolerance: 1e-13))
        #expect(expected.isFinite && expected != 0)
        let (gradients, statistics) = backpropagate(x, to: [x0])
        #expect(isClose(gradients[0]!.scalar, expected, tolerance: 1e-12), "\(gradients[0]!.scalar) vs \(expected)")
        // Three nodes (sin, cos, multiply) and four edges per step.
        #expect(statistics.ruleEvaluations == 180)
        #expect(statistics.edgesTraversed == 240)
        #expect(statistics.nodesOnPath == 181)

        // The public API agrees, and a central difference confirms it.
        let chain: (Tensor<Double>) -> Tensor<Double> = { x in
            var y = x
            for _ in 0..<60 { y = sin(y) * cos(y) }
            return y
        }
        let g = gradient(at: Tensor(start), of: chain)
        #expect(isClose(g.scalar, expected, tolerance: 1e-12))
        let h = 1e-6
        let numeric = (withoutGradients { chain(Tensor(start + h)).scalar - chain(Tensor(start - h)).scalar }) / (2 * h)
        #expect(isClose(numeric, expected, tolerance: 1e-6))
    }

    @Test func fanOutAndReusedTensors() {
        let values: [Double] = [-1.2, 0.3, 2.0]
        let x = Tensor(values)
        let g = gradient(at: x) { x in (x * x + sin(x) * x + x + exp(x) / x).sum() }
        let expected = values.map { v in 2 * v + Foundation.cos(v) * v + Foundation.sin(v) + 1 + Foundation.exp(v) * (v - 1) / (v * v) }
        expectTensor(g, shape: [3], expected, tolerance: 1e-14)
        // A tensor reused across both arguments of several operations.
        let m: Tensor<Double> = [[1, 2], [3, 4]]
        let gm = gradient(at: m) { m in matmul(m, m).sum() + (m * m).sum() }
        // d/dM Σ(MM) = 1 Mᵀ + Mᵀ 1 ; d/dM Σ M² = 2M
        let ones = Tensor<Double>.ones(shape: [2, 2])
        let expectedM = withoutGradients { matmul(ones, m, transposeB: true) + matmul(m, ones, transposeA: true) + 2 * m }
        #expect(gm == expectedM)
    }

    @Test func eagerBackwardAccumulatesUntilZeroed() {
        let w = Tensor<Double>([1, -2, 3]).requiringGradient()
        let b = Tensor<Double>(0.5).requiringGradient()
        (w * w + b).sum().backward()
        #expect(w.gradient?.scalars == [2, -4, 6])
        #expect(b.gradient?.scalars == [3])
        (exp(w) * b).sum().backward()
        expectTensor(w.gradient!, shape: [3], [2, -4, 6].enumerated().map { $0.element + 0.5 * Foundation.exp([1.0, -2, 3][$0.offset]) }, tolerance: 1e-15)
        expectTensor(b.gradient!, shape: [], [3 + Foundation.exp(1) + Foundation.exp(-2) + Foundation.exp(3)], tolerance: 1e-15)
        w.zeroGradient()
        b.zeroGradient()
        #expect(w.gradient == nil && b.gradient == nil)
        (w * 3).sum().backward()
        #expect(w.gradient?.scalars == [3, 3, 3])
        #expect(b.gradient == nil)  // not reached by this output

        // A non-scalar output with a seed.
        let v = Tensor<Double>([1, 2]).requiringGradient()
        (v * v).backward(seed: Tensor([10, -1]))
        #expect(v.gradient?.scalars == [20, -4])
        // Only leaves carry a gradient.
        #expect((v * 2).gradient == nil)
    }

    @Test func retainingGraphTwiceDoublesTheGradient() {
        let w = Tensor<Double>([0.5, -1.5]).requiringGradient()
        let loss = (sin(w) * w).sum()
        loss.backward(retainingGraph: true)
        let once = w.gradient!
        loss.backward(retainingGraph: true)
        #expect(w.gradient! == once * 2)
        let expected = [0.5, -1.5].map { Foundation.cos($0) * $0 + Foundation.sin($0) }
        expectTensor(once, shape: [2], expected, tolerance: 1e-15)

        // A pullback may be called several times.
        let pull = pullback(at: Tensor<Double>([1, 2])) { exp($0) }
        let seed = Tensor<Double>([1, 1])
        #expect(pull(seed) == pull(seed))
    }

    @Test func gradientsOfConstantsAreZero() {
        let x: Tensor<Double> = [1, 2, 3]
        #expect(gradient(at: x) { _ in Tensor(3.0) } == Tensor.zeros(shape: [3]))
        let c: Tensor<Double> = [4, 5, 6]
        #expect(!(c * 2 + exp(c)).requiresGradient)
        #expect((c * 2).producingOperation == nil)
        // A constant mixed in contributes nothing, and the unused argument's gradient is zeros.
        let (gx, gy) = gradient(at: x, Tensor<Double>.ones(shape: [2, 2])) { x, _ in (x * c).sum() }
        #expect(gx == c)
        #expect(gy == Tensor.zeros(shape: [2, 2]))
        let m = Tensor<Double>.ones(shape: [2, 2])
        #expect(gradient(at: m) { _ in c.sum() } == Tensor.zeros(shape: [2, 2]))
        // Detached values are constants.
        #expect(gradient(at: x) { x in (x.detached() * x).sum() } == x)
        // Without recording, nothing takes part in differentiation.
        let leaf = x.requiringGradient()
        #expect(!withoutGradients { exp(leaf) }.requiresGradient)
        #expect(withoutGradients { withGradients { exp(leaf) } }.requiresGradient)
    }

    @Test func undefinedGradientsAreZero() {
        let x: Tensor<Double> = [-1.5, 0.5, 2]
        let zeros = Tensor<Double>.zeros(shape: [3])
        #expect(gradient(at: x) { step($0).sum() } == zeros)
        #expect(gradient(at: x) { sign($0).sum() } == zeros)
        #expect(gradient(at: x) { ($0 .> 0).sum() } == zeros)
        #expect(gradient(at: x) { ($0 .<= Tensor(0.5)).sum() } == zeros)
        #expect(gradient(at: x) { $0.elementsEqual($0).sum() } == zeros)
        #expect(gradient(at: x) { x in Tensor(Double(x.argmax()[0])) } == zeros)
        // The selected element is still differentiable; the index is a constant.
        #expect(gradient(at: x) { x in x.gatheringRows(x.argmax()).sum() } == Tensor([0, 0, 1]))
        // A mask from a comparison passes the gradient only where it selects.
        #expect(gradient(at: x) { x in (x * (x .> 0)).sum() } == Tensor([0, 1, 1]))
        #expect(!step(x.requiringGradient()).requiresGradient)
    }

    @Test func unusedBranchesArePrunedAndNotEvaluated() {
        // A branch of w (another leaf) feeding the output is off the path to x.
        let counter = Counter()
        let w = Tensor<Double>([0.1, 0.2]).requiringGradient()
        let x0 = Tensor<Double>([1, 2])
        let g = gradient(at: x0) { x in (x * 2).sum() + countedExp(w, counter).sum() }
        #expect(g.scalars == [2, 2])
        #expect(counter.count == 0)

        // The same with statistics: the branch adds no rule evaluations.
        let x = Tensor<Double>([1, 2]).requiringGradient()
        let branch = exp(sin(w) * w).sum()
        let with = backpropagate((x * 2).sum() + branch, to: [x])
        let without = backpropagate((x * 2).sum() + branch.detached(), to: [x])
        #expect(with.gradients[0]?.scalars == [2, 2])
        #expect(with.statistics == without.statistics)

        // A branch computed but not used by the output is never visited.
        let unusedCounter = Counter()
        let h = gradient(at: x0) { x in
            _ = countedExp(x, unusedCounter)
            return (x * x).sum()
        }
        #expect(h.scalars == [2, 4])
        #expect(unusedCounter.count == 0)
        // And a used custom rule runs exactly once.
        let usedCounter = Counter()
        _ = gradient(at: x0) { x in countedExp(x, usedCounter).sum() + countedExp(x * 2, usedCounter).sum() }
        #expect(usedCounter.count == 2)
    }

    @Test func floatGradients() {
        let x = Tensor<Float>([0.5, -1, 2])
        let g = gradient(at: x) { (sigmoid($0) * $0).sum() }
        let expected = [0.5, -1.0, 2.0].map { v -> Double in
            let s = 1 / (1 + Foundation.exp(-v))
            return s + v * s * (1 - s)
        }
        expectTensor(g, shape: [3], expected, tolerance: 1e-6)
    }
}
