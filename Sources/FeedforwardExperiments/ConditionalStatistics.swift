import Feedforward
import Foundation

/// Section 6.2.1.2: MSE learns the conditional mean, MAE the conditional median.
public struct ConditionalStatisticsExperiment: Experiment {
    public let name = "conditional-statistics"
    public let section = "6.2.1.2"
    public let summary = "On skewed noise, MSE fits the conditional mean and MAE the conditional median"

    public init() {}

    /// `y = f(x) + s(x)·E` with `E ~ Exponential(1)`: mean `f + s`, median `f + s·ln 2`.
    public static func curve(_ x: Double) -> Double { sin(2 * Double.pi * x) }
    public static func noiseScale(_ x: Double) -> Double { 0.3 + 0.7 * x }
    public static func conditionalMean(_ x: Double) -> Double { curve(x) + noiseScale(x) }
    public static func conditionalMedian(_ x: Double) -> Double { curve(x) + noiseScale(x) * log(2) }

    public static func sample(count: Int, seed: UInt64) -> (x: [Double], y: [Double]) {
        var generator = SeededRandomNumberGenerator(seed: seed)
        let x = (0..<count).map { _ in generator.nextDouble() }
        var y = [Double](repeating: 0, count: count)
        for i in 0..<count {
            let exponential: Double = -Foundation.log(1 - generator.nextDouble())
            y[i] = curve(x[i]) + noiseScale(x[i]) * exponential
        }
        return (x, y)
    }

    public struct Fit: Sendable {
        public var grid: [Double]
        public var predictions: [Double]
        /// Mean absolute distance from the true conditional mean and median over the grid.
        public var distanceToMean: Double
        public var distanceToMedian: Double
    }

    /// Fits a 1-H-H-1 tanh network with Adam (full batch) under MSE or MAE.
    public static func fit(
        absoluteError: Bool, data: (x: [Double], y: [Double]), hidden: Int = 32, steps: Int = 2000, seed: UInt64
    ) -> Fit {
        var generator = SeededRandomNumberGenerator(seed: seed ^ 0xF17)
        var model = Sequential<Double> {
            Dense(inputSize: 1, outputSize: hidden, activation: .tanh, generator: &generator)
            Dense(inputSize: hidden, outputSize: hidden, activation: .tanh, generator: &generator)
            Dense(inputSize: hidden, outputSize: 1, generator: &generator)
        }
        let n = data.x.count
        let x = Tensor<Double>(shape: [n, 1], scalars: data.x)
        let y = Tensor<Double>(shape: [n, 1], scalars: data.y)
        var optimizer = Adam<Double>(learningRate: 0.01)
        for step in 0..<steps {
            // Smaller steps at the end, so MAE's sign gradients settle on the median.
            optimizer.learningRate = step < steps / 2 ? 0.01 : step < 3 * steps / 4 ? 0.003 : 0.001
            let gradients = gradient(at: model) { m in
                absoluteError ? meanAbsoluteError(predictions: m(x), targets: y) : meanSquaredError(predictions: m(x), targets: y)
            }
            optimizer.update(&model, along: gradients)
        }
        let grid = (0..<101).map { 0.05 + 0.9 * Double($0) / 100 }
        let predictions = withoutGradients { model(Tensor(shape: [grid.count, 1], scalars: grid)).scalars }
        func distance(_ truth: (Double) -> Double) -> Double {
            zip(grid, predictions).map { Swift.abs($1 - truth($0)) }.reduce(0, +) / Double(grid.count)
        }
        return Fit(grid: grid, predictions: predictions, distanceToMean: distance(conditionalMean), distanceToMedian: distance(conditionalMedian))
    }

    public func run(_ options: ExperimentOptions) throws -> ExperimentReport {
        let count = options.quick ? 500 : 2000
        let steps = options.quick ? 800 : 3000
        let data = Self.sample(count: count, seed: options.seed)
        let mse = Self.fit(absoluteError: false, data: data, steps: steps, seed: options.seed)
        let mae = Self.fit(absoluteError: true, data: data, steps: steps, seed: options.seed)
        var report = ExperimentReport(title: "Conditional mean and median (section 6.2.1.2)")
        report.markdown.paragraph(
            "Data: x ~ U(0, 1), y = sin(2πx) + s(x)·E with E ~ Exponential(1) and s(x) = 0.3 + 0.7x, so the noise is "
                + "skewed: the conditional mean is sin(2πx) + s(x) and the conditional median sin(2πx) + s(x)·ln 2. "
                + "Two identical 1-32-32-1 tanh networks are trained with Adam on \(count) points for \(steps) full-batch steps, "
                + "one with mean squared error and one with mean absolute error. Calculus of variations (eqs. 6.14 to 6.16) "
                + "says the first should recover the mean and the second the median.")
        report.markdown.table(
            header: ["cost", "mean |f̂ − mean|", "mean |f̂ − median|", "closer to"],
            rows: [
                ["MSE", fmt(mse.distanceToMean), fmt(mse.distanceToMedian), mse.distanceToMean < mse.distanceToMedian ? "mean" : "median"],
                ["MAE", fmt(mae.distanceToMean), fmt(mae.distanceToMedian), mae.distanceToMedian < mae.distanceToMean ? "median" : "mean"],
            ])
        var chart = SVGChart(title: "MSE fits the mean, MAE the median", xLabel: "x", yLabel: "y")
        chart.width = 760
        chart.height = 480
        let shown = Array(0..<Swift.min(count, 600))
        chart.addPoints("data", x: shown.map { data.x[$0] }, y: shown.map { data.y[$0] })
        chart.addLine("true mean", x: mse.grid, y: mse.grid.map(Self.conditionalMean))
        chart.addLine("true median", x: mse.grid, y: mse.grid.map(Self.conditionalMedian))
        chart.addLine("MSE network", x: mse.grid, y: mse.predictions)
        chart.addLine("MAE network", x: mae.grid, y: mae.predictions)
        report.addFigure("conditional-statistics", chart, caption: "Data with skewed noise, the true conditional mean and median, and the two fits.")
        report.key("MSE fit: distance to mean / median", "\(fmt(mse.distanceToMean)) / \(fmt(mse.distanceToMedian))")
        report.key("MAE fit: distance to mean / median", "\(fmt(mae.distanceToMean)) / \(fmt(mae.distanceToMedian))")
        return report
    }
}
