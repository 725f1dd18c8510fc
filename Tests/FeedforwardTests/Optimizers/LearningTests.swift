import Foundation
import Testing
@testable import Feedforward

/// Small networks learning synthetic problems, one per output type (section 6.2.2): linear units
/// with MSE, a sigmoid unit with binary cross-entropy, softmax with cross-entropy, and a mixture
/// density head.
@Suite("Learning: small MLPs on synthetic problems") struct LearningTests {
    /// Full-batch training: `steps` optimizer steps on `loss`; returns the losses before and after.
    @discardableResult
    func train<Model: Layer, O: Optimizer>(
        _ model: inout Model, with optimizer: inout O, steps: Int, loss: (Model) -> Tensor<Double>
    ) -> (initial: Double, final: Double) where Model.Scalar == Double, O.Scalar == Double {
        let initial = loss(model).scalar
        for _ in 0..<steps {
            let gradients = gradient(at: model, of: loss)
            optimizer.update(&model, along: gradients)
        }
        return (initial, loss(model).scalar)
    }

    @Test func regressionLearnsASine() {
        var generator = SeededRandomNumberGenerator(seed: 1)
        var model = Sequential<Double> {
            Dense<Double>(inputSize: 1, outputSize: 16, activation: .tanh, generator: &generator)
            Dense<Double>(inputSize: 16, outputSize: 16, activation: .tanh, generator: &generator)
            Dense<Double>(inputSize: 16, outputSize: 1, generator: &generator)
        }
        let x = Tensor<Double>.linspace(from: -Double.pi, to: Double.pi, count: 64).reshaped(to: [64, 1])
        let y = sin(x)
        var optimizer = Adam<Double>(learningRate: 0.01)
        let (initial, final) = train(&model, with: &optimizer, steps: 400) { meanSquaredError(predictions: $0(x), targets: y) }
        #expect(initial > 0.1)
        #expect(final < 0.005, "MSE \(initial) → \(final)")
        // Between the training points too.
        let xTest = Tensor<Double>.linspace(from: -3, to: 3, count: 37).reshaped(to: [37, 1])
        #expect(meanSquaredError(predictions: model(xTest), targets: sin(xTest)).scalar < 0.01)
    }

    /// `count` points per cluster around each centre, with the cluster's label.
    func clusters(_ centers: [(Double, Double, Int)], count: Int, spread: Double, seed: UInt64) -> (Tensor<Double>, [Int]) {
        var generator = SeededRandomNumberGenerator(seed: seed)
        let noise = Tensor<Double>.randomNormal(shape: [centers.count * count, 2], standardDeviation: spread, using: &generator).scalars
        var points: [Double] = [], labels: [Int] = []
        for (c, (cx, cy, label)) in centers.enumerated() {
            for i in 0..<count {
                let row = c * count + i
                points += [cx + noise[2 * row], cy + noise[2 * row + 1]]
                labels.append(label)
            }
        }
        return (Tensor(shape: [labels.count, 2], scalars: points), labels)
    }

    @Test func binaryClassificationLearnsXOR() {
        let xor = [(1.0, 1.0, 1), (-1.0, -1.0, 1), (1.0, -1.0, 0), (-1.0, 1.0, 0)]
        let (x, labels) = clusters(xor, count: 25, spread: 0.2, seed: 2)
        let y = Tensor<Double>(shape: [labels.count, 1], scalars: labels.map(Double.init))
        var generator = SeededRandomNumberGenerator(seed: 3)
        var model = Sequential<Double> {
            Dense<Double>(inputSize: 2, outputSize: 8, activation: .tanh, generator: &generator)
            Dense<Double>(inputSize: 8, outputSize: 1, generator: &generator)
        }
        var optimizer = Adam<Double>(learningRate: 0.05)
        let (initial, final) = train(&model, with: &optimizer, steps: 300) { binaryCrossEntropy(logits: $0(x), labels: y) }
        #expect(final < 0.1 && final < initial / 5, "BCE \(initial) → \(final)")
        // Accuracy on fresh points from the same distribution: the logit's sign is the prediction.
        let (xTest, labelsTest) = clusters(xor, count: 50, spread: 0.2, seed: 4)
        let predicted = model(xTest).scalars.map { $0 > 0 ? 1 : 0 }
        let correct = zip(predicted, labelsTest).filter { $0 == $1 }.count
        #expect(Double(correct) / Double(labelsTest.count) > 0.97, "\(correct) of \(labelsTest.count)")
    }

    @Test func multiclassClassificationLearnsThreeBlobs() {
        let blobs = (0..<3).map { k in (2 * Double.cos(2 * Double.pi * Double(k) / 3), 2 * Double.sin(2 * Double.pi * Double(k) / 3), k) }
        let (x, labels) = clusters(blobs, count: 40, spread: 0.5, seed: 5)
        var generator = SeededRandomNumberGenerator(seed: 6)
        var model = Sequential<Double> {
            Dense<Double>(inputSize: 2, outputSize: 16, activation: .relu, generator: &generator)
            Dense<Double>(inputSize: 16, outputSize: 3, generator: &generator)
        }
        var optimizer = SGD<Double>(learningRate: 0.1, momentum: 0.9)
        let (initial, final) = train(&model, with: &optimizer, steps: 200) { crossEntropy(logits: $0(x), labels: labels) }
        #expect(final < 0.15 && final < initial / 4, "cross-entropy \(initial) → \(final)")
        #expect(accuracy(logits: model(x), labels: labels) > 0.95)
        let (xTest, labelsTest) = clusters(blobs, count: 50, spread: 0.5, seed: 7)
        #expect(accuracy(logits: model(xTest), labels: labelsTest) > 0.95)
    }

    @Test func mixtureDensityNetworkLearnsTwoBranches() {
        // y = ±x + 0.05·noise, each branch with probability ½: the conditional mean (0) explains
        // nothing, a two-component mixture everything.
        let n = 128
        var generator = SeededRandomNumberGenerator(seed: 8)
        let xs = (0..<n).map { _ in generator.nextDouble() }
        let noise = Tensor<Double>.randomNormal(shape: [n], standardDeviation: 0.05, using: &generator).scalars
        let ys = (0..<n).map { (generator.nextDouble() < 0.5 ? xs[$0] : -xs[$0]) + noise[$0] }
        let x = Tensor(shape: [n, 1], scalars: xs), y = Tensor(shape: [n, 1], scalars: ys)

        // Baseline: the MSE network's Gaussian with the fitted (constant) variance.
        var baseline = Sequential<Double> {
            Dense<Double>(inputSize: 1, outputSize: 16, activation: .tanh, generator: &generator)
            Dense<Double>(inputSize: 16, outputSize: 1, generator: &generator)
        }
        var baselineOptimizer = Adam<Double>(learningRate: 0.01)
        let (_, mse) = train(&baseline, with: &baselineOptimizer, steps: 60) { meanSquaredError(predictions: $0(x), targets: y) }
        // Whatever its mean, a Gaussian with one variance cannot beat the conditional variance x² + 0.05².
        let bestVariance = xs.map { $0 * $0 + 0.0025 }.reduce(0, +) / Double(n)
        let baselineNLL = 0.5 * Double.log(2 * Double.pi * Swift.min(mse, bestVariance)) + 0.5

        let k = 2
        var mdn = Sequential<Double> {
            Dense<Double>(inputSize: 1, outputSize: 16, activation: .tanh, generator: &generator)
            Dense<Double>(inputSize: 16, outputSize: MixtureDensityParameters<Double>.outputSize(componentCount: k, targetSize: 1), generator: &generator)
        }
        let head = { (model: Sequential<Double>, input: Tensor<Double>) in
            MixtureDensityParameters(rawOutputs: model(input), componentCount: k, targetSize: 1)
        }
        var optimizer = Adam<Double>(learningRate: 0.03)
        let (initial, final) = train(&mdn, with: &optimizer, steps: 200) { head($0, x).negativeLogLikelihood(targets: y) }
        #expect(final < initial - 1, "MDN NLL \(initial) → \(final)")
        #expect(final < baselineNLL - 0.8, "MDN NLL \(final), MSE-Gaussian baseline \(baselineNLL)")

        // At x = 0.8 the two components sit near ±0.8 with about equal weight.
        let at = head(mdn, Tensor(shape: [1, 1], scalars: [0.8]))
        let means = at.means.scalars.sorted()
        #expect(Swift.abs(means[0] + 0.8) < 0.1 && Swift.abs(means[1] - 0.8) < 0.1, "\(means)")
        let weights = softmax(at.mixingLogits, alongAxis: 1).scalars
        #expect(weights.allSatisfy { $0 > 0.3 }, "\(weights)")
    }
}
