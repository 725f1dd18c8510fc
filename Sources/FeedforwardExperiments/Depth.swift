import Feedforward
import Foundation

/// Section 6.4.1: depth at a fixed parameter budget (in the style of figures 6.6 and 6.7).
public struct DepthExperiment: Experiment {
    public let name = "depth"
    public let section = "6.4.1"
    public let summary = "Depth 1 to 5 at fixed parameter budgets on Fashion-MNIST"

    public init() {}

    /// The width of `depth` equal ReLU hidden layers, `inputs → w → … → w → classes`, whose parameter
    /// count is closest to `budget`.
    public static func width(depth: Int, budget: Int, inputSize: Int = 784, classCount: Int = 10) -> Int {
        func count(_ w: Int) -> Int { parameterCount(depth: depth, width: w, inputSize: inputSize, classCount: classCount) }
        var best = 1
        for w in 1...4096 {
            if Swift.abs(count(w) - budget) < Swift.abs(count(best) - budget) { best = w }
            if count(w) > budget { break }
        }
        return best
    }

    public static func parameterCount(depth: Int, width w: Int, inputSize: Int = 784, classCount: Int = 10) -> Int {
        (inputSize + 1) * w + (depth - 1) * (w * w + w) + (w + 1) * classCount
    }

    public struct Row: Sendable {
        public var depth: Int
        public var width: Int
        public var parameters: Int
        public var accuracy: Double
        public var seconds: Double
    }

    static func measure(
        depths: [Int], budgets: [Int], data: ImageData, epochs: Int, batchSize: Int = 128, learningRate: Double = 1e-3, seed: UInt64
    ) -> [Row] {
        var rows: [Row] = []
        for budget in budgets {
            for depth in depths {
                let w = width(depth: depth, budget: budget, inputSize: data.train.featureCount)
                var model = HiddenUnitsExperiment.makeModel(
                    unit: .relu, inputSize: data.train.featureCount, hiddenSizes: Array(repeating: w, count: depth), seed: seed)
                let result = trainClassifier(&model, data: data, epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: seed)
                rows.append(Row(depth: depth, width: w, parameters: model.parameterCount, accuracy: result.accuracy, seconds: result.seconds))
            }
        }
        return rows
    }

    /// A tiny run for tests.
    static func tinyRun(depths: [Int], budget: Int, data: ImageData, epochs: Int, seed: UInt64) -> [Row] {
        measure(depths: depths, budgets: [budget], data: data, epochs: epochs, batchSize: 25, learningRate: 3e-3, seed: seed)
    }

    public func run(_ options: ExperimentOptions) throws -> ExperimentReport {
        // Full size: every training and test image; quick: a subset.
        let trainCount: Int? = options.quick ? 3000 : nil
        let testCount: Int? = options.quick ? 2000 : nil
        let epochs = options.quick ? 2 : 5
        let budgets = options.quick ? [25_000, 100_000] : [25_000, 50_000, 100_000]
        let depths = Array(1...5)
        let data = try ImageData.load(trainCount: trainCount, testCount: testCount, seed: options.seed)
        let rows = Self.measure(depths: depths, budgets: budgets, data: data, epochs: epochs, seed: options.seed)
        var report = ExperimentReport(title: "Depth at a fixed parameter budget (section 6.4.1)")
        report.markdown.paragraph(
            "ReLU MLPs with 1 to 5 equal hidden layers whose width is chosen so that the total parameter count matches a "
                + "budget (\(budgets.map(String.init).joined(separator: ", ")) parameters); \(data.description); Adam "
                + "(learning rate 10⁻³), minibatches of 128, \(epochs) epochs, seed \(options.seed). The book's figures 6.6 "
                + "and 6.7 (Goodfellow et al. 2014, multi-digit house numbers with convolutional networks) show accuracy "
                + "rising with depth, and depth helping more than parameters. Fashion-MNIST with fully connected layers is "
                + "a much easier task, so expect a weaker effect; the figures below show what this run found.")
        report.markdown.table(
            header: ["budget", "depth", "width", "parameters", "test accuracy", "time (s)"],
            rows: rows.enumerated().map { index, row in
                [String(budgets[index / depths.count]), String(row.depth), String(row.width), String(row.parameters),
                 String(format: "%.4f", row.accuracy), String(format: "%.1f", row.seconds)]
            })
        var byDepth = SVGChart(title: "Test accuracy against depth (cf. figure 6.6)", xLabel: "number of hidden layers", yLabel: "test accuracy")
        for (index, budget) in budgets.enumerated() {
            let slice = rows[(index * depths.count)..<((index + 1) * depths.count)]
            byDepth.addLine("\(budget / 1000)k parameters", x: slice.map { Double($0.depth) }, y: slice.map(\.accuracy))
        }
        report.addFigure("depth-accuracy", byDepth, caption: "Test accuracy against depth, one line per parameter budget.")
        var byParameters = SVGChart(title: "Test accuracy against parameters (cf. figure 6.7)", xLabel: "parameters (thousands)", yLabel: "test accuracy")
        for depth in depths {
            let slice = rows.filter { $0.depth == depth }
            byParameters.addLine("depth \(depth)", x: slice.map { Double($0.parameters) / 1000 }, y: slice.map(\.accuracy))
        }
        report.addFigure("depth-parameters", byParameters, caption: "Test accuracy against parameter count, one line per depth.")
        for row in rows {
            report.key("accuracy, depth \(row.depth), \(row.parameters) parameters", String(format: "%.4f", row.accuracy))
        }
        return report
    }
}
