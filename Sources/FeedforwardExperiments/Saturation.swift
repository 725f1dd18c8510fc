import Feedforward
import Foundation

/// Sections 6.2.1.1 and 6.2.2.2: a saturated sigmoid output unit under MSE and under cross-entropy.
public struct SaturationExperiment: Experiment {
    public let name = "saturation"
    public let section = "6.2.1.1, 6.2.2.2"
    public let summary = "A confidently wrong sigmoid unit: MSE's gradient vanishes, cross-entropy's does not"

    public init() {}

    public enum Cost: String, Sendable { case meanSquaredError = "MSE", crossEntropy = "cross-entropy" }

    public struct Trace: Sendable {
        public var loss: [Double] = []
        public var gradientNorm: [Double] = []
        /// Mean probability given to the right class.
        public var correctProbability: [Double] = []
    }

    /// A logistic unit `p = σ(w x + b)` on 1-D data labelled `x > 0`, started at `w = initialWeight`
    /// (negative: confidently wrong), trained by gradient descent.
    public static func train(cost: Cost, steps: Int, learningRate: Double = 0.5, initialWeight: Double = -8, exampleCount: Int = 64) -> Trace {
        // Two clusters around x = ±1 (spread ±0.1), labelled by the sign of x.
        let half = Double(Swift.max(1, exampleCount / 2 - 1))
        let xs: [Double] = (0..<exampleCount).map { (i: Int) -> Double in
            let magnitude: Double = 0.9 + 0.2 * Double(i / 2) / half
            return i % 2 == 0 ? magnitude : -magnitude
        }
        let x = Tensor<Double>(shape: [exampleCount, 1], scalars: xs)
        let y = Tensor<Double>(shape: [exampleCount, 1], scalars: xs.map { $0 > 0 ? 1 : 0 })
        var parameters = Tensor<Double>([initialWeight, 0])
        var trace = Trace()
        for _ in 0...steps {
            let (loss, g) = valueWithGradient(at: parameters) { theta in
                let z = x * theta.slice(alongAxis: 0, 0..<1) + theta.slice(alongAxis: 0, 1..<2)
                switch cost {
                case .meanSquaredError: return meanSquaredError(predictions: sigmoid(z), targets: y)
                case .crossEntropy: return binaryCrossEntropy(logits: z, labels: y)
                }
            }
            trace.loss.append(loss.scalar)
            trace.gradientNorm.append(g.scalars.map { $0 * $0 }.reduce(0, +).squareRoot())
            let weights = parameters.scalars
            let p: [Double] = sigmoid(x * weights[0] + weights[1]).scalars
            let labels: [Double] = y.scalars
            var correct = 0.0
            for i in 0..<exampleCount { correct += labels[i] == 1 ? p[i] : 1 - p[i] }
            trace.correctProbability.append(correct / Double(exampleCount))
            parameters = (parameters - g * learningRate).detached()
        }
        return trace
    }

    public func run(_ options: ExperimentOptions) throws -> ExperimentReport {
        let steps = options.quick ? 100 : 300
        let mse = Self.train(cost: .meanSquaredError, steps: steps)
        let ce = Self.train(cost: .crossEntropy, steps: steps)
        var report = ExperimentReport(title: "Saturation of a sigmoid output unit (sections 6.2.1.1, 6.2.2.2)")
        report.markdown.paragraph(
            "One logistic unit p = σ(wx + b) on 64 points in two clusters x ∈ ±[0.9, 1.1], labelled y = [x > 0], started at w = −8, b = 0, so "
                + "that it is confidently wrong on every example (mean probability of the right class "
                + "\(fmt(mse.correctProbability[0]))). Both costs are minimised by plain gradient descent, learning rate 0.5, "
                + "\(steps) steps. Under MSE the gradient carries the factor σ'(z), which is tiny where the unit saturates; "
                + "the log-likelihood (cross-entropy) undoes the exponential, so its gradient stays of order one while "
                + "the answer is wrong.")
        let stepsAxis = (0...steps).map(Double.init)
        var lossChart = SVGChart(title: "Loss of a confidently wrong sigmoid unit", xLabel: "gradient step", yLabel: "loss")
        lossChart.addLine("MSE", x: stepsAxis, y: mse.loss)
        lossChart.addLine("cross-entropy", x: stepsAxis, y: ce.loss)
        report.addFigure("saturation-loss", lossChart, caption: "Loss over gradient steps under each cost.")
        var gradientChart = SVGChart(title: "Gradient magnitude", xLabel: "gradient step", yLabel: "log₁₀ ‖∇θ loss‖")
        gradientChart.addLine("MSE", x: stepsAxis, y: mse.gradientNorm.map { log10(Swift.max($0, 1e-300)) })
        gradientChart.addLine("cross-entropy", x: stepsAxis, y: ce.gradientNorm.map { log10(Swift.max($0, 1e-300)) })
        report.addFigure("saturation-gradient", gradientChart, caption: "Gradient norm (log scale): MSE's is small exactly where the unit is most wrong.")
        var probabilityChart = SVGChart(title: "Probability of the right class", xLabel: "gradient step", yLabel: "mean p(correct)")
        probabilityChart.addLine("MSE", x: stepsAxis, y: mse.correctProbability)
        probabilityChart.addLine("cross-entropy", x: stepsAxis, y: ce.correctProbability)
        report.addFigure("saturation-probability", probabilityChart, caption: "Mean probability given to the right class.")
        let rows = [0, 10, 50, steps / 2, steps].map { s in
            [String(s), fmt(mse.loss[s]), fmt(mse.gradientNorm[s]), fmt(ce.loss[s]), fmt(ce.gradientNorm[s])]
        }
        report.markdown.table(header: ["step", "MSE loss", "MSE ‖g‖", "CE loss", "CE ‖g‖"], rows: rows)
        report.key("initial gradient norm, MSE", fmt(mse.gradientNorm[0]))
        report.key("initial gradient norm, cross-entropy", fmt(ce.gradientNorm[0]))
        report.key("final p(correct), MSE / cross-entropy", "\(fmt(mse.correctProbability.last!)) / \(fmt(ce.correctProbability.last!))")
        return report
    }
}
