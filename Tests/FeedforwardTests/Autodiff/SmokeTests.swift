import Foundation
import Testing
@testable import Feedforward

@Suite struct AutodiffSmokeTests {
    @Test func gradientOfMatmulLoss() {
        let x: Tensor<Double> = [[1, 2], [3, 4]]
        let w: Tensor<Double> = [[0.5, -1], [2, 0.25]]
        let result = gradientCheck(at: [x, w]) { relu(matmul($0[0], $0[1])).sum() + exp($0[1]).mean() }
        #expect(result.passed, "\(result)")
    }

    @Test func hessianVectorProductOfCubic() {
        // f(x) = Σ x³ → H = diag(6x)
        let x: Tensor<Double> = [1, -2, 3]
        let v: Tensor<Double> = [1, 1, 2]
        let hv = hessianVectorProduct(at: x, along: v) { x in (x * x * x).sum() }
        #expect(hv.scalars == [6, -12, 36])
        let second = secondOrderGradientCheck(at: [x]) { tanh($0[0]) * sigmoid($0[0]) }
        #expect(second.passed, "\(second)")
    }

    @Test func jvpAgreesWithPullback() {
        let x: Tensor<Double> = [0.3, -0.7, 1.1]
        let f: (Tensor<Double>) -> Tensor<Double> = { matmul($0.reshaped(to: [1, 3]), (Tensor<Double>([[1, 2], [3, 4], [5, 6]] as Tensor<Double>))) * sin($0).sum() }
        let forward = jacobian(at: x, mode: .forward, of: f)
        let reverse = jacobian(at: x, mode: .reverse, of: f)
        #expect(forward.isApproximatelyEqual(to: reverse, absoluteTolerance: 1e-12))
        #expect(forward.shape == [2, 3])
    }

    @Test func eagerBackwardAccumulates() {
        let w = Tensor<Double>([1, 2, 3]).requiringGradient()
        (w * w).sum().backward()
        #expect(w.gradient?.scalars == [2, 4, 6])
        (w * 3).sum().backward()
        #expect(w.gradient?.scalars == [5, 7, 9])
        w.zeroGradient()
        #expect(w.gradient == nil)
    }

    @Test func literalsAndBroadcast() {
        let a: Tensor<Float> = [[1, 2, 3], [4, 5, 6]]
        let b = a + Tensor<Float>([10, 20, 30])
        #expect(b.scalars == [11, 22, 33, 14, 25, 36])
        #expect((a - 1).scalars == [0, 1, 2, 3, 4, 5])
        #expect(a.sum(alongAxes: [0]).scalars == [5, 7, 9])
        #expect(a.transposed().shape == [3, 2])
        #expect(matmul(a, a, transposeB: true).scalars == [14, 32, 32, 77])
    }
}

@Suite struct KrylovTests {
    /// f(x) = ½ xᵀAx with a fixed symmetric positive definite A, so H = A.
    static let a: Tensor<Double> = [[4, 1, 0, 0], [1, 3, 1, 0], [0, 1, 2, 0.5], [0, 0, 0.5, 1]]
    static func quadratic(_ x: Tensor<Double>) -> Tensor<Double> {
        (matmul(x.reshaped(to: [1, 4]), a) * x.reshaped(to: [1, 4])).sum() * 0.5
    }

    @Test func conjugateGradientSolvesWithHessianProducts() {
        let point = Tensor<Double>([0.3, -1, 2, 0.5])
        let b: Tensor<Double> = [1, 2, 3, 4]
        let result = conjugateGradient(applying: { hessianVectorProduct(at: point, along: $0, of: Self.quadratic) }, to: b)
        #expect(result.converged)
        let check = matmul(Self.a, result.solution.reshaped(to: [4, 1])).reshaped(to: [4])
        #expect(check.isApproximatelyEqual(to: b, absoluteTolerance: 1e-9))
    }

    @Test func lanczosMatchesFullHessianEigenvalues() {
        let point = Tensor<Double>([0.3, -1, 2, 0.5])
        let full = symmetricEigenvalues(hessian(at: point, of: Self.quadratic))
        let ritz = lanczosEigenvalues(of: { hessianVectorProduct(at: point, along: $0, of: Self.quadratic) }, shape: [4], iterations: 4)
        #expect(ritz.count == 4)
        for (x, y) in zip(ritz, full) { #expect(Swift.abs(x - y) < 1e-9) }
        // Jacobi against a matrix with known eigenvalues.
        let diagonal = symmetricEigenvalues(Tensor(shape: [3, 3], scalars: [2, 0, 0, 0, -1, 0, 0, 0, 5]))
        #expect(diagonal == [5, 2, -1])
    }
}

@Suite(.serialized) struct RecomputationMemoryTests {
    /// Two tanh layers of width 64 on a batch of 256: each saves its output for the derivative.
    static func segment(_ x: Tensor<Double>, _ w: Tensor<Double>) -> Tensor<Double> {
        (0..<2).reduce(x) { h, _ in tanh(matmul(h, w)) }
    }

    static func peakDuringGradient(checkpointing: Bool, x: Tensor<Double>, w: Tensor<Double>) -> (Int, Tensor<Double>) {
        TensorMemory.resetPeak()
        let before = TensorMemory.liveBytes
        let g = gradient(at: w) { w in
            // Ten layers as five segments of two.
            let y = (0..<5).reduce(x) { h, _ in checkpointing ? checkpointed([h, w]) { segment($0[0], $0[1]) } : segment(h, w) }
            return y.sum()
        }
        return (TensorMemory.peakBytes - before, g)
    }

    /// Runs in a child process: the memory counters are process-wide, and tests running at the same
    /// time would allocate into the measurement.
    @Test func checkpointingLowersPeakMemoryWithIdenticalGradients() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            var generator = SeededRandomNumberGenerator(seed: 1)
            let x = Tensor<Double>.randomNormal(shape: [256, 64], using: &generator)
            let w = Tensor<Double>.randomNormal(shape: [64, 64], standardDeviation: 0.1, using: &generator)
            let (plainPeak, plain) = RecomputationMemoryTests.peakDuringGradient(checkpointing: false, x: x, w: w)
            let (checkpointPeak, recomputed) = RecomputationMemoryTests.peakDuringGradient(checkpointing: true, x: x, w: w)
            print("peak bytes: plain \(plainPeak), checkpointed \(checkpointPeak)")
            // The same terms, summed per segment first: equal up to the order of floating-point additions.
            let equal = plain.isApproximatelyEqual(to: recomputed, absoluteTolerance: 1e-12, relativeTolerance: 1e-12)
            // Without recomputation all ten 128 KiB activations are alive at once before back-propagation.
            exit(equal && plainPeak >= 10 * 256 * 64 * 8 && checkpointPeak < plainPeak ? 0 : 1)
        }
        recordOutput(ofFailed: result, "gradients differ or the peak did not fall")
    }

    @Test func checkpointedLayerGivesTheSameGradients() {
        var generator = SeededRandomNumberGenerator(seed: 2)
        let body = Sequential<Double> {
            Dense(inputSize: 3, outputSize: 4, activation: .tanh, generator: &generator)
            Dense(inputSize: 4, outputSize: 2, activation: .sigmoid, generator: &generator)
        }
        let x = Tensor<Double>.randomNormal(shape: [5, 3], using: &generator)
        let plain = gradient(at: body) { $0(x).sum() }
        let recomputed = gradient(at: Checkpointed(body)) { $0(x).sum() }
        #expect(plain.names == recomputed.names)
        for (a, b) in zip(plain.tensors, recomputed.tensors) { #expect(a.scalars == b.scalars) }
    }
}
