import Foundation
import Testing
@testable import Feedforward

/// Whether `tensor` holds `expected` up to a relative error of `tolerance`.
func approximatelyEqual(_ tensor: Tensor<Double>, _ expected: [Double], tolerance: Double = 1e-12) -> Bool {
    tensor.scalarCount == expected.count
        && zip(tensor.scalars, expected).allSatisfy { Swift.abs($0 - $1) <= tolerance * Swift.max(1, Swift.abs($1)) }
}

@Suite("Losses: costs") struct LossTests {
    let predictions: Tensor<Double> = [[0.5, -1], [2, 0.25], [-0.75, 1.5]]
    let targets: Tensor<Double> = [[1, -1.5], [1.5, 0], [0, 2]]

    /// Per-example values, then mean, sum and none reductions of `loss` against `perExample`.
    func expectReductions(
        _ perExample: [Double], sourceLocation: SourceLocation = #_sourceLocation,
        _ loss: (Reduction) -> Tensor<Double>
    ) {
        let none = loss(.none)
        #expect(none.shape == [perExample.count], sourceLocation: sourceLocation)
        #expect(approximatelyEqual(none, perExample), "\(none) vs \(perExample)", sourceLocation: sourceLocation)
        let sum = perExample.reduce(0, +)
        #expect(approximatelyEqual(loss(.sum), [sum]), sourceLocation: sourceLocation)
        #expect(loss(.mean).shape == [] && loss(.sum).shape == [], sourceLocation: sourceLocation)
        #expect(approximatelyEqual(loss(.mean), [sum / Double(perExample.count)]), sourceLocation: sourceLocation)
    }

    func rows(_ t: Tensor<Double>) -> [[Double]] {
        let width = t.shape[1]
        return (0..<t.shape[0]).map { Array(t.scalars[($0 * width)..<($0 * width + width)]) }
    }

    @Test func meanSquaredAndAbsoluteErrorsMatchClosedForms() {
        let pairs = Array(zip(rows(predictions), rows(targets)))
        let mse = pairs.map { (p: [Double], t: [Double]) -> Double in
            zip(p, t).map { (a: Double, b: Double) -> Double in (a - b) * (a - b) }.reduce(0, +) / 2
        }
        expectReductions(mse) { meanSquaredError(predictions: predictions, targets: targets, reduction: $0) }
        let mae = pairs.map { (p: [Double], t: [Double]) -> Double in
            zip(p, t).map { (a: Double, b: Double) -> Double in Swift.abs(a - b) }.reduce(0, +) / 2
        }
        expectReductions(mae) { meanAbsoluteError(predictions: predictions, targets: targets, reduction: $0) }
        // The default reduction is the mean.
        #expect(meanSquaredError(predictions: predictions, targets: targets) == meanSquaredError(predictions: predictions, targets: targets, reduction: .mean))
        // MSE gradient: 2(ŷ - y) / (batch · components).
        let g = gradient(at: predictions) { meanSquaredError(predictions: $0, targets: targets) }
        let residuals = zip(predictions.scalars, targets.scalars).map { (a: Double, b: Double) -> Double in a - b }
        #expect(approximatelyEqual(g, residuals.map { 2 * $0 / 6 }))
        // MAE gradient: sign(ŷ - y) / (batch · components).
        let ga = gradient(at: predictions) { meanAbsoluteError(predictions: $0, targets: targets) }
        #expect(approximatelyEqual(ga, residuals.map { ($0 > 0 ? 1.0 : -1.0) / 6 }))
    }

    @Test func heteroscedasticGaussianLikelihoodMatchesItsDensity() {
        let logVariance: Tensor<Double> = [[0, -1], [0.5, 2], [-0.3, 0.1]]
        let expected = (0..<3).map { i in
            (0..<2).map { j -> Double in
                let mu = predictions.scalars[i * 2 + j], y = targets.scalars[i * 2 + j]
                let variance = Double.exp(logVariance.scalars[i * 2 + j])
                let density = Double.exp(-(y - mu) * (y - mu) / (2 * variance)) / (2 * Double.pi * variance).squareRoot()
                return -Double.log(density)
            }.reduce(0, +)
        }
        expectReductions(expected) {
            gaussianNegativeLogLikelihood(mean: predictions, logVariance: logVariance, targets: targets, reduction: $0)
        }
        // With unit variance it is MSE·components/2 plus a constant.
        let unit = gaussianNegativeLogLikelihood(mean: predictions, logVariance: .zeros(shape: [3, 2]), targets: targets)
        let mse = meanSquaredError(predictions: predictions, targets: targets)
        #expect(Swift.abs(unit.scalar - (mse.scalar + Double.log(2 * Double.pi))) < 1e-12)
    }

    @Test func binaryCrossEntropyFromLogitsMatchesTheBernoulliLikelihood() {
        let logits: Tensor<Double> = [[2, -1], [0.5, 3], [-4, 0]]
        let labels: Tensor<Double> = [[1, 0], [0, 1], [0.25, 1]]
        let expected = zip(rows(logits), rows(labels)).map { z, y in
            zip(z, y).map { z, y -> Double in
                let p = 1 / (1 + Double.exp(-z))
                return -(y * Double.log(p) + (1 - y) * Double.log(1 - p))
            }.reduce(0, +) / 2
        }
        expectReductions(expected) { binaryCrossEntropy(logits: logits, labels: labels, reduction: $0) }
        // Gradient σ(z) - y, over batch · components.
        let g = gradient(at: logits) { binaryCrossEntropy(logits: $0, labels: labels) }
        #expect(approximatelyEqual(g, zip(logits.scalars, labels.scalars).map { (1 / (1 + Double.exp(-$0)) - $1) / 6 }))
    }

    let logits: Tensor<Double> = [[1, 2, 0.5], [-1, 0, 3], [0.2, 0.2, -0.4], [2, -2, 1]]
    let labels = [1, 2, 0, 0]

    func logSoftmaxRows(_ t: Tensor<Double>) -> [[Double]] {
        rows(t).map { row in
            let m = row.max()!
            let lse = m + Double.log(row.map { Double.exp($0 - m) }.reduce(0, +))
            return row.map { $0 - lse }
        }
    }

    @Test func crossEntropyMatchesClosedForms() {
        let logQ = logSoftmaxRows(logits)
        let plain = labels.enumerated().map { -logQ[$0][$1] }
        expectReductions(plain) { crossEntropy(logits: logits, labels: labels, reduction: $0) }

        // Class weights: per-example w_y·loss; the mean divides by Σ w_y (PyTorch's convention).
        let weights: [Double] = [0.5, 2, 1]
        let weighted = labels.enumerated().map { weights[$1] * plain[$0] }
        let weightTensor = Tensor(weights)
        #expect(approximatelyEqual(crossEntropy(logits: logits, labels: labels, classWeights: weightTensor, reduction: .none), weighted))
        #expect(approximatelyEqual(crossEntropy(logits: logits, labels: labels, classWeights: weightTensor, reduction: .sum), [weighted.reduce(0, +)]))
        let weightSum = labels.map { weights[$0] }.reduce(0, +)
        #expect(approximatelyEqual(crossEntropy(logits: logits, labels: labels, classWeights: weightTensor), [weighted.reduce(0, +) / weightSum]))

        // Label smoothing ε: target (1-ε)·onehot + ε/K.
        let epsilon = 0.1
        let smoothed = labels.enumerated().map { i, label in
            -(0..<3).map { c in ((c == label ? 1 - epsilon : 0) + epsilon / 3) * logQ[i][c] }.reduce(0, +)
        }
        expectReductions(smoothed) { crossEntropy(logits: logits, labels: labels, labelSmoothing: epsilon, reduction: $0) }

        // Both: (1-ε)·w_y·(-log q_y) + ε/K·Σ_c w_c·(-log q_c), the mean over Σ w_y. The literals are
        // what PyTorch 2.15's F.cross_entropy(weight=w, label_smoothing=0.2) gives for these logits.
        let weightedSmoothed = labels.enumerated().map { i, label in
            0.8 * weights[label] * -logQ[i][label] + 0.2 / 3 * (0..<3).map { c in weights[c] * -logQ[i][c] }.reduce(0, +)
        }
        let torchPerExample = [0.9846761041978991, 0.6014133672160101, 0.6325639094743027, 0.8068230061360646]
        #expect(approximatelyEqual(Tensor(weightedSmoothed), torchPerExample))
        func weightedAndSmoothed(_ reduction: Reduction) -> Tensor<Double> {
            crossEntropy(logits: logits, labels: labels, classWeights: weightTensor, labelSmoothing: 0.2, reduction: reduction)
        }
        #expect(approximatelyEqual(weightedAndSmoothed(.none), weightedSmoothed))
        #expect(approximatelyEqual(weightedAndSmoothed(.sum), [3.025476387024277]))
        #expect(approximatelyEqual(weightedAndSmoothed(.mean), [0.7563690967560692]))
        #expect(approximatelyEqual(weightedAndSmoothed(.mean), [weightedSmoothed.reduce(0, +) / weightSum]))

        // Soft labels.
        let probabilities: Tensor<Double> = [[0.2, 0.7, 0.1], [0, 0, 1], [0.25, 0.5, 0.25], [0.5, 0.25, 0.25]]
        let soft = zip(rows(probabilities), logQ).map { p, l in -zip(p, l).map(*).reduce(0, +) }
        expectReductions(soft) { crossEntropy(logits: logits, probabilities: probabilities, reduction: $0) }
        // One-hot soft labels equal integer labels.
        let oneHotTargets: Tensor<Double> = oneHot(labels, classCount: 3)
        #expect(approximatelyEqual(crossEntropy(logits: logits, probabilities: oneHotTargets), [plain.reduce(0, +) / 4]))
        #expect(accuracy(logits: logits, labels: labels) == 1)
        #expect(accuracy(logits: logits, labels: [1, 2, 0, 2]) == 0.75)
    }

    @Test func crossEntropyGradientIsSoftmaxMinusOneHotOverBatch() {
        let g = gradient(at: logits) { crossEntropy(logits: $0, labels: labels) }
        let expected = logSoftmaxRows(logits).enumerated().flatMap { i, row in
            row.enumerated().map { c, l in (Double.exp(l) - (c == labels[i] ? 1 : 0)) / 4 }
        }
        #expect(approximatelyEqual(g, expected))
        let gs = gradient(at: logits) { crossEntropy(logits: $0, labels: labels, reduction: .sum) }
        #expect(approximatelyEqual(gs, expected.map { $0 * 4 }))
    }

    @Test func extremeLogitsGiveFiniteLossesAndGradients() {
        let big: Tensor<Double> = [[1e4, -1e4, 0], [-1e4, 1e4, 1e4], [0, 0, -1e4]]
        let wrong = [1, 0, 2]
        let (loss, g) = valueWithGradient(at: big) { crossEntropy(logits: $0, labels: wrong, reduction: .none).sum() }
        // Row 0: logsumexp = 1e4, loss = 1e4 + 1e4; row 1: log(2) + 2e4; row 2: log 2 + 1e4.
        #expect(approximatelyEqual(loss, [2e4 + 2e4 + Double.log(2) + 1e4 + Double.log(2)]))
        #expect(g.scalars.allSatisfy { $0.isFinite })
        #expect(approximatelyEqual(g, [1, -1, 0, -1, 0.5, 0.5, 0.5, 0.5, -1]))
        let right = [0, 1, 0]
        let small = crossEntropy(logits: big, labels: right, reduction: .none)
        #expect(approximatelyEqual(small, [0, Double.log(2), Double.log(2)]))

        let z: Tensor<Double> = [[1e4, -1e4], [-1e4, 1e4]]
        let y: Tensor<Double> = [[0, 1], [0, 1]]
        let (bce, bg) = valueWithGradient(at: z) { binaryCrossEntropy(logits: $0, labels: y, reduction: .sum) }
        // Per example: [1e4 + 1e4, 0 + 0] / 2 components.
        #expect(approximatelyEqual(bce, [1e4]))
        #expect(approximatelyEqual(bg, [1, -1, 0, 0].map { $0 / 2 }))

        let f32: Tensor<Float> = [[1e4, -1e4, 0]]
        let (lossF, gF) = valueWithGradient(at: f32) { crossEntropy(logits: $0, labels: [1]) }
        #expect(lossF.scalar == 2e4 && gF.scalars.allSatisfy { $0.isFinite })
        let (bceF, bgF) = valueWithGradient(at: f32) { binaryCrossEntropy(logits: $0, labels: [[0, 1, 1]]) }
        #expect(bceF.scalar.isFinite && bgF.scalars.allSatisfy { $0.isFinite })
        let probabilities: Tensor<Float> = [[0, 1, 0]]
        #expect(crossEntropy(logits: f32, probabilities: probabilities).scalar == 2e4)
    }

    @Test func aMinusInfiniteLogitOfAnotherClassLeavesTheLossFinite() {
        // Only the label's log-probability is read: 0 · log 0 terms of other classes do not enter.
        let z = Tensor<Double>(shape: [2, 3], scalars: [2, -Double.infinity, 0, -Double.infinity, 1, 1])
        let (loss, g) = valueWithGradient(at: z) { crossEntropy(logits: $0, labels: [0, 2], reduction: .none).sum() }
        let expected: Double = (Double.log(Double.exp(2) + 1) - 2) + Double.log(2)
        #expect(approximatelyEqual(loss, [expected]))
        #expect(g.scalars.allSatisfy { $0.isFinite })
    }

    @Test func costsPassFirstAndSecondOrderChecks() {
        let x = randomTensor([3, 2], seed: 1)
        let y = randomTensor([3, 2], seed: 2)
        let logVariance = randomTensor([3, 2], seed: 3, standardDeviation: 0.5)
        let probabilities = softmax(randomTensor([4, 3], seed: 4), alongAxis: 1)
        let bernoulli = sigmoid(randomTensor([3, 2], seed: 5))
        let costs: [(String, ([Tensor<Double>]) -> Tensor<Double>, [Tensor<Double>])] = [
            ("mse", { meanSquaredError(predictions: $0[0], targets: $0[1]) }, [x, y]),
            ("gaussian", { gaussianNegativeLogLikelihood(mean: $0[0], logVariance: $0[1], targets: $0[2]) }, [x, logVariance, y]),
            ("bce", { binaryCrossEntropy(logits: $0[0], labels: bernoulli) }, [x]),
            ("ce", { crossEntropy(logits: $0[0], labels: self.labels, reduction: .sum) }, [logits]),
            ("ce-mean", { crossEntropy(logits: $0[0], labels: self.labels) }, [logits]),
            ("ce-none", { crossEntropy(logits: $0[0], labels: self.labels, reduction: .none) }, [logits]),
            ("ce-weighted", { crossEntropy(logits: $0[0], labels: self.labels, classWeights: [0.5, 2, 1], labelSmoothing: 0.2) }, [logits]),
            ("ce-soft", { crossEntropy(logits: $0[0], probabilities: probabilities, reduction: .none) }, [logits]),
        ]
        for (name, f, point) in costs {
            let first = gradientCheck(at: point, of: f)
            #expect(first.passed, "\(name): \(first)")
            let forward = forwardModeCheck(at: point, of: f)
            #expect(forward.passed, "\(name) forward mode: \(forward)")
            let second = secondOrderGradientCheck(at: point, of: f)
            #expect(second.passed, "\(name): \(second)")
        }
        // MAE is not smooth: first order only, away from zero residuals.
        let mae = gradientCheck(at: [x, y]) { meanAbsoluteError(predictions: $0[0], targets: $0[1]) }
        #expect(mae.passed, "\(mae)")
        let maeForward = forwardModeCheck(at: [x, y]) { meanAbsoluteError(predictions: $0[0], targets: $0[1]) }
        #expect(maeForward.passed, "\(maeForward)")
    }

    @Test func penaltiesMatchTheirDefinitions() {
        let model = Sequential<Double> {
            Dense<Double>(weight: [[1, -2], [0.5, 3]], bias: [4, -5])
            Dense<Double>(weight: [[-1, 1]], bias: [2])
        }
        let sumOfSquares = 1.0 + 4 + 0.25 + 9 + 1 + 1
        #expect(approximatelyEqual(l2Penalty(model, strength: 0.1), [0.1 * sumOfSquares]))
        #expect(approximatelyEqual(l2Penalty(model, strength: 0.1, includingBiases: true), [0.1 * (sumOfSquares + 16 + 25 + 4)]))
        #expect(approximatelyEqual(l1Penalty(model, strength: 0.5), [0.5 * (1 + 2 + 0.5 + 3 + 1 + 1)]))
        #expect(approximatelyEqual(l1Penalty(model, strength: 0.5, includingBiases: true), [0.5 * (8.5 + 11)]))
    }
}
