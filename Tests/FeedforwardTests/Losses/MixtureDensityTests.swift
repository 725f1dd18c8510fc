import Testing
@testable import Feedforward

@Suite("Losses: mixture density network") struct MixtureDensityTests {
    let k = 3
    let d = 2
    let batch = 4

    var raw: Tensor<Double> { randomTensor([batch, MixtureDensityParameters<Double>.outputSize(componentCount: k, targetSize: d)], seed: 17) }
    var targets: Tensor<Double> { randomTensor([batch, d], seed: 18) }

    @Test func splitsRawOutputs() {
        #expect(MixtureDensityParameters<Double>.outputSize(componentCount: 3, targetSize: 2) == 15)
        let values = (0..<30).map(Double.init)
        let parameters = MixtureDensityParameters(rawOutputs: Tensor(shape: [2, 15], scalars: values), componentCount: 3, targetSize: 2)
        #expect(parameters.mixingLogits.scalars == [0, 1, 2, 15, 16, 17])
        #expect(parameters.means.shape == [2, 3, 2] && parameters.means.scalars == [3, 4, 5, 6, 7, 8, 18, 19, 20, 21, 22, 23])
        #expect(parameters.logVariances.scalars == [9, 10, 11, 12, 13, 14, 24, 25, 26, 27, 28, 29])
    }

    @Test func negativeLogLikelihoodEqualsTheMixtureDensity() {
        let parameters = MixtureDensityParameters(rawOutputs: raw, componentCount: k, targetSize: d)
        let r = raw.scalars
        let y = targets.scalars
        let width = k * (1 + 2 * d)
        let expected = (0..<batch).map { i -> Double in
            let row = Array(r[(i * width)..<((i + 1) * width)])
            let logits = Array(row[0..<k])
            let total = logits.map { Double.exp($0) }.reduce(0, +)
            var density = 0.0
            for component in 0..<k {
                let weight = Double.exp(logits[component]) / total
                var product = 1.0
                for j in 0..<d {
                    let mean = row[k + component * d + j]
                    let variance = Double.exp(row[k + k * d + component * d + j])
                    let residual = y[i * d + j] - mean
                    product *= Double.exp(-residual * residual / (2 * variance)) / (2 * Double.pi * variance).squareRoot()
                }
                density += weight * product
            }
            return -Double.log(density)
        }
        let perExample = parameters.negativeLogLikelihood(targets: targets, reduction: .none)
        #expect(approximatelyEqual(perExample, expected, tolerance: 1e-12), "\(perExample) vs \(expected)")
        #expect(approximatelyEqual(parameters.negativeLogLikelihood(targets: targets), [expected.reduce(0, +) / Double(batch)]))
        #expect(approximatelyEqual(parameters.negativeLogLikelihood(targets: targets, reduction: .sum), [expected.reduce(0, +)]))
    }

    @Test func oneComponentIsTheGaussianLikelihood() {
        let mean = randomTensor([5, 2], seed: 1)
        let logVariance = randomTensor([5, 2], seed: 2, standardDeviation: 0.5)
        let y = randomTensor([5, 2], seed: 3)
        let parameters = MixtureDensityParameters(
            rawOutputs: concatenate([Tensor.zeros(shape: [5, 1]), mean, logVariance], alongAxis: 1), componentCount: 1, targetSize: 2)
        let gaussian = gaussianNegativeLogLikelihood(mean: mean, logVariance: logVariance, targets: y, reduction: .none)
        #expect(approximatelyEqual(parameters.negativeLogLikelihood(targets: y, reduction: .none), gaussian.scalars))
    }

    @Test func likelihoodPassesGradientChecks() {
        let y = targets
        let f: ([Tensor<Double>]) -> Tensor<Double> = { [k, d] in
            MixtureDensityParameters(rawOutputs: $0[0], componentCount: k, targetSize: d).negativeLogLikelihood(targets: y)
        }
        let first = gradientCheck(at: [raw], of: f)
        #expect(first.passed, "\(first)")
        let second = secondOrderGradientCheck(at: [raw], of: f)
        #expect(second.passed, "\(second)")
    }

    @Test func extremeMixingLogitsStayFinite() {
        var values = raw.scalars
        for i in 0..<batch { values[i * 15] = 1e4; values[i * 15 + 1] = -1e4 }
        let extreme = Tensor(shape: raw.shape, scalars: values)
        let (loss, g) = valueWithGradient(at: extreme) {
            MixtureDensityParameters(rawOutputs: $0, componentCount: k, targetSize: d).negativeLogLikelihood(targets: targets)
        }
        #expect(loss.scalar.isFinite && g.scalars.allSatisfy { $0.isFinite })
    }

    @Test func mostProbableModeIsTheMeanOfTheHeaviestComponent() {
        let parameters = MixtureDensityParameters(rawOutputs: raw, componentCount: k, targetSize: d)
        let logits = parameters.mixingLogits.scalars
        let means = parameters.means.scalars
        var expected: [Double] = []
        for i in 0..<batch {
            let row = logits[(i * k)..<((i + 1) * k)]
            let best = row.indices.max { row[$0] < row[$1] }! - i * k
            expected += means[((i * k + best) * d)..<((i * k + best) * d + d)]
        }
        let mode = parameters.mostProbableMode()
        #expect(mode.shape == [batch, d] && mode.scalars == expected)
    }

    /// Components far apart (means -10, 0, 10 in both dimensions) with standard deviation 0.1.
    func separated(logits: [Double], rows: Int) -> MixtureDensityParameters<Double> {
        let row = logits + [-10, -10, 0, 0, 10, 10] + Array(repeating: Double.log(0.01), count: 6)
        return MixtureDensityParameters(
            rawOutputs: Tensor(shape: [rows, 15], scalars: Array((0..<rows).map { _ in row }.joined())), componentCount: 3, targetSize: 2)
    }

    @Test func samplesAreDeterministicAndComeFromTheComponents() {
        let parameters = separated(logits: [0, Double.log(3), Double.log(6)], rows: 3000)
        var a = SeededRandomNumberGenerator(seed: 99)
        var b = SeededRandomNumberGenerator(seed: 99)
        let first = parameters.sample(using: &a)
        #expect(first == parameters.sample(using: &b) && a == b)
        #expect(first.shape == [3000, 2])
        #expect(parameters.sample(using: &a) != first)

        var counts = [0, 0, 0]
        let s = first.scalars
        for i in 0..<3000 {
            let (x, y) = (s[2 * i], s[2 * i + 1])
            // Both coordinates come from the same component, within 6 standard deviations of its mean.
            let component = [-10.0, 0, 10].firstIndex { Swift.abs(x - $0) < 0.6 && Swift.abs(y - $0) < 0.6 }
            guard let component else { Issue.record("sample (\(x), \(y)) is near no component"); continue }
            counts[component] += 1
        }
        // Weights 0.1, 0.3, 0.6; binomial standard deviations ≤ 27 of 3000.
        #expect(Swift.abs(counts[0] - 300) < 100 && Swift.abs(counts[1] - 900) < 150 && Swift.abs(counts[2] - 1800) < 150, "\(counts)")
        // Within a component the spread is its standard deviation, 0.1.
        let third = (0..<3000).compactMap { s[2 * $0] > 5 ? s[2 * $0] - 10 : nil }
        let deviation = (third.map { $0 * $0 }.reduce(0, +) / Double(third.count)).squareRoot()
        #expect(Swift.abs(deviation - 0.1) < 0.01)

        // A dominant component takes every sample.
        let dominant = separated(logits: [50, 0, 0], rows: 200).sample(using: &a).scalars
        #expect(dominant.allSatisfy { Swift.abs($0 + 10) < 0.6 })
    }
}
