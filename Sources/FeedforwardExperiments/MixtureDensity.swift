import Feedforward
import Foundation

/// Section 6.2.2.4: a mixture density network on a multimodal inverse problem.
public struct MixtureDensityExperiment: Experiment {
    public let name = "mixture-density"
    public let section = "6.2.2.4"
    public let summary = "An inverse problem with several answers: the MDN against an MSE network"

    public init() {}

    /// `x = y + 0.3 sin(2πy) + ε`, `y ~ U(0, 1)`, `ε ~ N(0, 0.05²)`; the task is to predict `y` from `x`.
    public static func sample(count: Int, seed: UInt64) -> (x: [Double], y: [Double]) {
        var generator = SeededRandomNumberGenerator(seed: seed)
        let noise = Tensor<Double>.randomNormal(shape: [count], standardDeviation: 0.05, using: &generator).scalars
        let y = (0..<count).map { _ in generator.nextDouble() }
        var x = [Double](repeating: 0, count: count)
        for i in 0..<count {
            let wave: Double = Foundation.sin(2 * Double.pi * y[i])
            x[i] = y[i] + 0.3 * wave + noise[i]
        }
        return (x, y)
    }

    public struct Outcome: Sendable {
        /// Test negative log-likelihood per example (nats).
        public var mdnNLL: Double
        /// The MSE network read as a Gaussian with the training residual variance.
        public var mseGaussianNLL: Double
        public var grid: [Double]
        public var msePredictions: [Double]
        /// Per grid point: component means, mixing weights.
        public var componentMeans: [[Double]]
        public var componentWeights: [[Double]]
    }

    static func network(outputs: Int, hidden: Int, generator: inout SeededRandomNumberGenerator) -> Sequential<Double> {
        Sequential<Double> {
            Dense(inputSize: 1, outputSize: hidden, activation: .tanh, generator: &generator)
            Dense(inputSize: hidden, outputSize: hidden, activation: .tanh, generator: &generator)
            Dense(inputSize: hidden, outputSize: outputs, generator: &generator)
        }
    }

    public static func compare(
        trainCount: Int, testCount: Int, components: Int = 3, hidden: Int = 24, steps: Int, seed: UInt64
    ) -> Outcome {
        let train = sample(count: trainCount, seed: seed)
        let test = sample(count: testCount, seed: seed &+ 1)
        let x = Tensor<Double>(shape: [trainCount, 1], scalars: train.x)
        let y = Tensor<Double>(shape: [trainCount, 1], scalars: train.y)
        let xTest = Tensor<Double>(shape: [testCount, 1], scalars: test.x)
        let yTest = Tensor<Double>(shape: [testCount, 1], scalars: test.y)
        var generator = SeededRandomNumberGenerator(seed: seed ^ 0x3D)
        let outputSize = MixtureDensityParameters<Double>.outputSize(componentCount: components, targetSize: 1)
        var mdn = network(outputs: outputSize, hidden: hidden, generator: &generator)
        var mse = network(outputs: 1, hidden: hidden, generator: &generator)
        var mdnOptimizer = Adam<Double>(learningRate: 0.01)
        var mseOptimizer = Adam<Double>(learningRate: 0.01)
        for step in 0..<steps {
            let rate = step < 3 * steps / 4 ? 0.01 : 0.002
            mdnOptimizer.learningRate = rate
            mseOptimizer.learningRate = rate
            let g1 = gradient(at: mdn) { m in
                MixtureDensityParameters(rawOutputs: m(x), componentCount: components, targetSize: 1).negativeLogLikelihood(targets: y)
            }
            mdnOptimizer.update(&mdn, along: g1)
            let g2 = gradient(at: mse) { m in meanSquaredError(predictions: m(x), targets: y) }
            mseOptimizer.update(&mse, along: g2)
        }
        return withoutGradients {
            let mdnNLL = MixtureDensityParameters(rawOutputs: mdn(xTest), componentCount: components, targetSize: 1)
                .negativeLogLikelihood(targets: yTest).scalar
            let variance = meanSquaredError(predictions: mse(x), targets: y).scalar
            let mseNLL = gaussianNegativeLogLikelihood(
                mean: mse(xTest), logVariance: Tensor(repeating: log(variance), shape: [testCount, 1]), targets: yTest).scalar
            let grid = (0..<121).map { -0.1 + 1.2 * Double($0) / 120 }
            let gridTensor = Tensor<Double>(shape: [grid.count, 1], scalars: grid)
            let parameters = MixtureDensityParameters(rawOutputs: mdn(gridTensor), componentCount: components, targetSize: 1)
            let means = parameters.means.scalars
            let weights = softmax(parameters.mixingLogits, alongAxis: 1).scalars
            return Outcome(
                mdnNLL: mdnNLL, mseGaussianNLL: mseNLL, grid: grid, msePredictions: mse(gridTensor).scalars,
                componentMeans: grid.indices.map { i in (0..<components).map { means[i * components + $0] } },
                componentWeights: grid.indices.map { i in (0..<components).map { weights[i * components + $0] } })
        }
    }

    public func run(_ options: ExperimentOptions) throws -> ExperimentReport {
        let trainCount = options.quick ? 500 : 1500
        let steps = options.quick ? 800 : 4000
        let outcome = Self.compare(trainCount: trainCount, testCount: 1000, steps: steps, seed: options.seed)
        var report = ExperimentReport(title: "Mixture density network (section 6.2.2.4)")
        report.markdown.paragraph(
            "The forward map x = y + 0.3·sin(2πy) + ε (ε ~ N(0, 0.05²), y ~ U(0, 1)) is easy; its inverse, predicting y "
                + "from x, has up to three answers for x between about 0.35 and 0.65. A 1-24-24-9 tanh network whose outputs "
                + "parametrise a three-component Gaussian mixture (mixing logits, means, log-variances) is trained on the "
                + "mixture's negative log-likelihood; a 1-24-24-1 network is trained on MSE, and read as a Gaussian whose "
                + "variance is its training MSE. Both use Adam, \(steps) full-batch steps on \(trainCount) points; NLL is "
                + "measured on 1000 fresh points.")
        report.markdown.table(
            header: ["model", "test NLL (nats per example)"],
            rows: [["mixture density network", fmt(outcome.mdnNLL)], ["MSE network as a Gaussian", fmt(outcome.mseGaussianNLL)]])
        let data = Self.sample(count: 600, seed: options.seed &+ 1)
        var chart = SVGChart(title: "Predicting y from x: MDN modes and the MSE fit", xLabel: "x", yLabel: "y")
        chart.width = 760
        chart.height = 480
        chart.addPoints("data", x: data.x, y: data.y)
        var modeX: [Double] = [], modeY: [Double] = []
        for (i, x) in outcome.grid.enumerated() {
            for (mean, weight) in zip(outcome.componentMeans[i], outcome.componentWeights[i]) where weight > 0.1 {
                modeX.append(x)
                modeY.append(mean)
            }
        }
        chart.addPoints("MDN means", x: modeX, y: modeY)
        chart.addLine("MSE network", x: outcome.grid, y: outcome.msePredictions)
        report.addFigure(
            "mixture-density", chart,
            caption: "Test data, the means of the mixture components that carry weight π above 0.1 (red), and the MSE network, which averages the branches.")
        report.key("test NLL, MDN", fmt(outcome.mdnNLL))
        report.key("test NLL, MSE network as a Gaussian", fmt(outcome.mseGaussianNLL))
        return report
    }
}
