import Foundation

/// A small SVG chart: lines and point clouds on linear axes, with a title, axis labels and a legend.
///
/// ```swift
/// var chart = SVGChart(title: "Loss", xLabel: "epoch", yLabel: "cross-entropy")
/// chart.addLine("train", x: [1, 2, 3], y: [0.9, 0.5, 0.4])
/// try chart.render().write(to: url, atomically: true, encoding: .utf8)
/// ```
public struct SVGChart: Sendable {
    /// How a series is drawn.
    public enum Style: Sendable {
        /// Points joined by straight lines.
        case line
        /// Unjoined dots.
        case points
    }

    /// One named set of points with its style.
    public struct Series: Sendable {
        /// The name shown in the legend.
        public var name: String
        /// The horizontal coordinates.
        public var x: [Double]
        /// The vertical coordinates, one per `x`.
        public var y: [Double]
        /// How the series is drawn.
        public var style: Style
    }

    /// The title above the plot.
    public var title: String
    /// The label of the horizontal axis.
    public var xLabel: String
    /// The label of the vertical axis.
    public var yLabel: String
    /// The series, drawn in order with the palette's colours.
    public var series: [Series] = []
    /// The width of the image in SVG units.
    public var width = 640.0
    /// The height of the image in SVG units.
    public var height = 420.0

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// An empty chart with a title and axis labels.
    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// Adds a series drawn as a line.
    public mutating func addLine(_ name: String, x: [Double], y: [Double]) {
        series.append(Series(name: name, x: x, y: y, style: .line))
    }

    /// Adds a series drawn as dots.
    public mutating func addPoints(_ name: String, x: [Double], y: [Double]) {
        series.append(Series(name: name, x: x, y: y, style: .points))
    }

    /// "Nice" tick values covering `lower...upper`.
    static func ticks(_ lower: Double, _ upper: Double) -> [Double] {
        let span = Swift.max(upper - lower, 1e-12)
        let raw = span / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var values: [Double] = []
        var value = ceil(lower / step) * step
        while value <= upper + step * 1e-9 {
            values.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return values
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        return String(format: abs(value) < 0.01 ? "%.2e" : "%.3g", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The chart as an SVG document.
    public func render() -> String {
        let left = 70.0, right = 150.0, top = 40.0, bottom = 55.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let xs = series.flatMap(\.x).filter(\.isFinite)
        let ys = series.flatMap(\.y).filter(\.isFinite)
        var (xMin, xMax) = (xs.min() ?? 0, xs.max() ?? 1)
        var (yMin, yMax) = (ys.min() ?? 0, ys.max() ?? 1)
        if xMax - xMin < 1e-12 { xMin -= 0.5; xMax += 0.5 }
        if yMax - yMin < 1e-12 { yMin -= 0.5; yMax += 0.5 }
        let yPad = (yMax - yMin) * 0.05
        yMin -= yPad
        yMax += yPad
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * plotHeight }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left + plotWidth / 2)" y="22" text-anchor="middle" font-size="15" font-weight="bold">\(Self.escape(title))</text>

            """
        for tick in Self.ticks(xMin, xMax) {
            let x = px(tick)
            svg += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(top + plotHeight)\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(x)\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\">\(Self.format(tick))</text>\n"
        }
        for tick in Self.ticks(yMin, yMax) {
            let y = py(tick)
            svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotWidth)\" y2=\"\(y)\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(Self.format(tick))</text>\n"
        }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(18 \(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
        for (index, s) in series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            let points = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }
            switch s.style {
            case .line:
                let path = points.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            case .points:
                for (x, y) in points {
                    svg += "<circle cx=\"\(px(x))\" cy=\"\(py(y))\" r=\"3\" fill=\"\(color)\" fill-opacity=\"0.7\"/>"
                }
                svg += "\n"
            }
            let legendY = top + 10 + Double(index) * 18
            svg += "<rect x=\"\(left + plotWidth + 12)\" y=\"\(legendY - 8)\" width=\"14\" height=\"4\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(left + plotWidth + 32)\" y=\"\(legendY)\">\(Self.escape(s.name))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// Writes the chart to `url`, atomically.
    public func write(to url: URL) throws {
        try FileIO.writeAtomically(Array(render().utf8), to: url)
    }
}

extension TrainingSession {
    /// Writes `loss.svg` and, for classifiers, `accuracy.svg` (per epoch, train and validation) into `directory`.
    public func writePlots(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let epochs = history.map { Double($0.epoch) }
        var loss = SVGChart(title: "Loss per epoch", xLabel: "epoch", yLabel: "loss")
        loss.addLine("train", x: epochs, y: history.map(\.trainLoss))
        if history.contains(where: { $0.validation != nil }) {
            loss.addLine("validation", x: epochs, y: history.map { $0.validation?.loss ?? .nan })
        }
        try loss.write(to: directory.appendingPathComponent("loss.svg"))
        guard specification.output.isClassifier else { return }
        var accuracy = SVGChart(title: "Accuracy per epoch", xLabel: "epoch", yLabel: "accuracy")
        if history.contains(where: { $0.train != nil }) {
            accuracy.addLine("train", x: epochs, y: history.map { $0.train?.classification?.accuracy ?? .nan })
        }
        if history.contains(where: { $0.validation != nil }) {
            accuracy.addLine("validation", x: epochs, y: history.map { $0.validation?.classification?.accuracy ?? .nan })
        }
        try accuracy.write(to: directory.appendingPathComponent("accuracy.svg"))
    }
}
