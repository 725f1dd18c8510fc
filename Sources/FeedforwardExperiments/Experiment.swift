import Feedforward
import Foundation

/// How an experiment is run: full size or reduced, with which seed.
public struct ExperimentOptions: Sendable {
    /// A reduced size that runs in well under a minute in a release build.
    public var quick: Bool
    /// The random seed (data, initialisation, shuffling).
    public var seed: UInt64

    public init(quick: Bool = false, seed: UInt64 = 0) {
        self.quick = quick
        self.seed = seed
    }
}

/// What an experiment produces: a Markdown report and named SVG figures.
public struct ExperimentReport: Sendable {
    public var markdown: MarkdownDocument
    /// File name (without extension) and the SVG text.
    public var figures: [(name: String, svg: String)] = []
    /// The key numbers, for the command's summary line and for tests.
    public var keyNumbers: [(name: String, value: String)] = []

    public init(title: String) {
        markdown = MarkdownDocument(title: title)
    }

    public mutating func addFigure(_ name: String, _ chart: SVGChart, caption: String) {
        addFigure(name, svg: chart.render(), caption: caption)
    }

    public mutating func addFigure(_ name: String, svg: String, caption: String) {
        figures.append((name, svg))
        markdown.image(path: "\(name).svg", caption: caption)
    }

    public mutating func key(_ name: String, _ value: String) {
        keyNumbers.append((name, value))
    }

    /// Writes `report.md` and one `NAME.svg` per figure into `directory` (created if needed).
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var text = markdown
        if !keyNumbers.isEmpty {
            text.heading("Key numbers", level: 2)
            text.table(header: ["quantity", "value"], rows: keyNumbers.map { [$0.name, $0.value] })
        }
        try Data(text.text.utf8).write(to: directory.appendingPathComponent("report.md"), options: .atomic)
        for figure in figures {
            try Data(figure.svg.utf8).write(to: directory.appendingPathComponent("\(figure.name).svg"), options: .atomic)
        }
    }
}

/// One of the chapter's experiments.
public protocol Experiment: Sendable {
    /// The name given to `feedforward experiment NAME`.
    var name: String { get }
    /// The section of chapter 6 it illustrates.
    var section: String { get }
    /// One line on what it shows.
    var summary: String { get }
    func run(_ options: ExperimentOptions) throws -> ExperimentReport
}

/// All experiments, in the order of the chapter.
public enum ExperimentRegistry {
    public static let all: [any Experiment] = [
        XORExperiment(), SaturationExperiment(), ConditionalStatisticsExperiment(), MixtureDensityExperiment(),
        HiddenUnitsExperiment(), DepthExperiment(), BackpropCostExperiment(), ForwardVsReverseExperiment(),
        CurvatureExperiment(),
    ]

    public static func experiment(named name: String) -> (any Experiment)? {
        all.first { $0.name == name.lowercased() }
    }
}

/// A small Markdown writer: headings, paragraphs, tables, images.
public struct MarkdownDocument: Sendable {
    public private(set) var text = ""

    public init(title: String) {
        text = "# \(title)\n\n"
    }

    public mutating func heading(_ title: String, level: Int = 2) {
        text += String(repeating: "#", count: level) + " \(title)\n\n"
    }

    public mutating func paragraph(_ body: String) {
        text += body + "\n\n"
    }

    public mutating func bullets(_ items: [String]) {
        text += items.map { "- \($0)" }.joined(separator: "\n") + "\n\n"
    }

    public mutating func table(header: [String], rows: [[String]]) {
        func row(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
        }
        text += row(header) + "\n" + "|" + String(repeating: " --- |", count: header.count) + "\n"
        text += rows.map(row).joined(separator: "\n") + "\n\n"
    }

    public mutating func image(path: String, caption: String) {
        text += "![\(caption)](\(path))\n\n*\(caption)*\n\n"
    }
}

// MARK: - Shared helpers

/// A number formatted with `digits` significant digits.
func fmt(_ value: Double, _ digits: Int = 4) -> String {
    if value == 0 { return "0" }
    if !value.isFinite { return "\(value)" }
    let magnitude = Swift.abs(value)
    if magnitude >= 1e-3 && magnitude < 1e6 { return String(format: "%.\(digits)g", value) }
    return String(format: "%.\(Swift.max(1, digits - 1))e", value)
}

/// Seconds taken by `body`, and its result.
func timed<R>(_ body: () throws -> R) rethrows -> (R, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try body()
    return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

/// The median of `values` (0 for none).
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// The smallest time of `repeats` runs of `body`.
func bestTime(repeats: Int, _ body: () -> Void) -> Double {
    (0..<Swift.max(1, repeats)).map { _ in timed(body).1 }.min()!
}

/// Several charts side by side in one SVG document (the panels of one figure).
func sideBySide(_ charts: [SVGChart]) -> String {
    let width = charts.map(\.width).reduce(0, +)
    let height = charts.map(\.height).max() ?? 0
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">\n"
    var x = 0.0
    for chart in charts {
        svg += chart.render().replacingOccurrences(of: "<svg xmlns=\"http://www.w3.org/2000/svg\" ", with: "<svg x=\"\(x)\" y=\"0\" ")
        x += chart.width
    }
    return svg + "</svg>\n"
}

/// Fashion-MNIST (or the bundled subset) cut to the requested sizes.
struct ImageData {
    var train: SupervisedDataset
    var test: SupervisedDataset
    var description: String
    var trainLabels: [Int]
    var testLabels: [Int]

    static func load(trainCount: Int?, testCount: Int?, seed: UInt64, source: DataSource = .automatic) throws -> ImageData {
        let splits = try DataSplits.load(source, validationFraction: 0, seed: seed)
        var generator = SeededRandomNumberGenerator(seed: seed ^ 0xDA7A)
        func cut(_ data: SupervisedDataset, _ count: Int?) -> SupervisedDataset {
            guard let count, count < data.count else { return data }
            return data.subset(Array(generator.permutation(count: data.count).prefix(count)))
        }
        let train = cut(splits.training, trainCount)
        let test = cut(splits.test, testCount)
        func labels(_ d: SupervisedDataset) -> [Int] {
            if case .classes(let labels, _) = d.targets { return labels }
            return []
        }
        return ImageData(
            train: train, test: test, description: "\(source), \(train.count) training and \(test.count) test images",
            trainLabels: labels(train), testLabels: labels(test))
    }
}

/// Trains a classifier with Adam on minibatches; returns the test accuracy and training seconds.
func trainClassifier<Model: Layer>(
    _ model: inout Model, data: ImageData, epochs: Int, batchSize: Int = 128, learningRate: Double = 1e-3, seed: UInt64
) -> (accuracy: Double, seconds: Double, finalLoss: Double) where Model.Scalar == Float {
    var optimizer = Adam<Float>(learningRate: learningRate)
    var generator = SeededRandomNumberGenerator(seed: seed ^ 0xBA7C4)
    var lastLoss = Double.nan
    let (_, seconds) = timed {
        for _ in 0..<epochs {
            let order = generator.permutation(count: data.train.count)
            var start = 0
            var lossSum = 0.0, batches = 0
            while start < order.count {
                let indices = Array(order[start..<Swift.min(start + batchSize, order.count)])
                start += batchSize
                let x = data.train.features.gatheringRows(indices)
                let y = indices.map { data.trainLabels[$0] }
                let (loss, gradients) = valueWithGradient(at: model) { m in crossEntropy(logits: m(x), labels: y) }
                optimizer.update(&model, along: gradients)
                lossSum += Double(loss.scalar)
                batches += 1
            }
            lastLoss = lossSum / Double(Swift.max(1, batches))
        }
    }
    let accuracy = testAccuracy(model, data: data)
    return (accuracy, seconds, lastLoss)
}

/// Accuracy on the test images, in batches without recording.
func testAccuracy<Model: Layer>(_ model: Model, data: ImageData) -> Double where Model.Scalar == Float {
    withoutGradients {
        var correct = 0.0
        var start = 0
        let n = data.test.count
        while start < n {
            let indices = Array(start..<Swift.min(start + 1000, n))
            let logits = model(data.test.features.gatheringRows(indices))
            correct += accuracy(logits: logits, labels: indices.map { data.testLabels[$0] }) * Double(indices.count)
            start += 1000
        }
        return correct / Double(Swift.max(1, n))
    }
}

/// A horizontal bar chart with one labelled bar per entry (the line charts of ``SVGChart`` have no
/// category axis). Bars start at `lowerBound`; the value is printed at the end of each bar.
func barChart(title: String, valueLabel: String, labels: [String], values: [Double], lowerBound: Double = 0, digits: Int = 3) -> String {
    let left = 190.0, right = 70.0, top = 44.0, rowHeight = 24.0, bottom = 50.0
    let width = 760.0
    let height = top + rowHeight * Double(labels.count) + bottom
    let plotWidth = width - left - right
    let upper = Swift.max(values.filter(\.isFinite).max() ?? 1, lowerBound + 1e-9)
    let span = upper - lowerBound
    func px(_ v: Double) -> Double { left + Swift.max(0, (v - lowerBound) / span) * plotWidth }
    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    svg += "<text x=\"\(width / 2)\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>\n"
    for i in 0...5 {
        let v = lowerBound + span * Double(i) / 5
        svg += "<line x1=\"\(px(v))\" y1=\"\(top)\" x2=\"\(px(v))\" y2=\"\(top + rowHeight * Double(labels.count))\" stroke=\"#eee\"/>"
        svg += "<text x=\"\(px(v))\" y=\"\(top + rowHeight * Double(labels.count) + 16)\" text-anchor=\"middle\">\(String(format: "%.\(digits)g", v))</text>\n"
    }
    for (i, (label, value)) in zip(labels, values).enumerated() {
        let y = top + rowHeight * Double(i)
        svg += "<text x=\"\(left - 8)\" y=\"\(y + rowHeight * 0.65)\" text-anchor=\"end\">\(escape(label))</text>"
        svg += "<rect x=\"\(left)\" y=\"\(y + 4)\" width=\"\(px(value) - left)\" height=\"\(rowHeight - 8)\" fill=\"#1f77b4\"/>"
        svg += "<text x=\"\(px(value) + 4)\" y=\"\(y + rowHeight * 0.65)\">\(String(format: "%.\(digits + 1)g", value))</text>\n"
    }
    svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 10)\" text-anchor=\"middle\">\(escape(valueLabel))</text>\n"
    return svg + "</svg>\n"
}
