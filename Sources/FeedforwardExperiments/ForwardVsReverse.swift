import Feedforward
import Foundation

/// Section 6.5.9: forward against reverse mode, and the order of a matrix chain.
public struct ForwardVsReverseExperiment: Experiment {
    public let name = "forward-vs-reverse"
    public let section = "6.5.9"
    public let summary = "Jacobians by forward and reverse mode across n ≪ m and n ≫ m; the chain ABCD from either end"

    public init() {}

    /// `f(x) = tanh(x A) B` for `x ∈ Rⁿ`, with `A` of shape `[n, hidden]` and `B` `[hidden, m]`.
    public static func function(inputSize n: Int, outputSize m: Int, hidden: Int = 32, seed: UInt64 = 0) -> (Tensor<Double>) -> Tensor<Double> {
        var generator = SeededRandomNumberGenerator(seed: seed)
        let a = Tensor<Double>.randomNormal(shape: [n, hidden], standardDeviation: 1 / Double(n).squareRoot(), using: &generator)
        let b = Tensor<Double>.randomNormal(shape: [hidden, m], standardDeviation: 1 / Double(hidden).squareRoot(), using: &generator)
        return { x in matmul(tanh(matmul(x.reshaped(to: [1, n]), a)), b).reshaped(to: [m]) }
    }

    public struct JacobianRow: Sendable {
        public var n: Int
        public var m: Int
        public var forwardSeconds: Double
        public var reverseSeconds: Double
        public var maximumDifference: Double
    }

    public static func jacobians(n: Int, m: Int, repeats: Int = 3) -> JacobianRow {
        let f = function(inputSize: n, outputSize: m)
        var generator = SeededRandomNumberGenerator(seed: 7)
        let x = Tensor<Double>.randomNormal(shape: [n], using: &generator)
        var forward = Tensor<Double>(0), reverse = Tensor<Double>(0)
        let forwardTime = bestTime(repeats: repeats) { forward = jacobian(at: x, mode: .forward, of: f) }
        let reverseTime = bestTime(repeats: repeats) { reverse = jacobian(at: x, mode: .reverse, of: f) }
        let difference = zip(forward.scalars, reverse.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
        return JacobianRow(n: n, m: m, forwardSeconds: forwardTime, reverseSeconds: reverseTime, maximumDifference: difference)
    }

    public struct ChainResult: Sendable {
        public var rows: Int
        public var inner: Int
        public var leftFirstFlops: Double
        public var rightFirstFlops: Double
        public var leftFirstSeconds: Double
        public var rightFirstSeconds: Double
        public var maximumDifference: Double
    }

    /// `A B C D` with `A` of shape `[rows, inner]`, `B`, `C` square and `D` a column: multiplied
    /// from the left (matrix-matrix products) and from the right (matrix-vector products).
    public static func matrixChain(rows: Int, inner: Int, repeats: Int = 3) -> ChainResult {
        var generator = SeededRandomNumberGenerator(seed: 11)
        let scale = 1 / Double(inner).squareRoot()
        let a = Tensor<Double>.randomNormal(shape: [rows, inner], standardDeviation: scale, using: &generator)
        let b = Tensor<Double>.randomNormal(shape: [inner, inner], standardDeviation: scale, using: &generator)
        let c = Tensor<Double>.randomNormal(shape: [inner, inner], standardDeviation: scale, using: &generator)
        let d = Tensor<Double>.randomNormal(shape: [inner, 1], using: &generator)
        var left = Tensor<Double>(0), right = Tensor<Double>(0)
        let leftTime = bestTime(repeats: repeats) { left = matmul(matmul(matmul(a, b), c), d) }
        let rightTime = bestTime(repeats: repeats) { right = matmul(a, matmul(b, matmul(c, d))) }
        let (r, k) = (Double(rows), Double(inner))
        return ChainResult(
            rows: rows, inner: inner, leftFirstFlops: 2 * r * k * k * 2 + 2 * r * k, rightFirstFlops: 2 * k * k * 2 + 2 * r * k,
            leftFirstSeconds: leftTime, rightFirstSeconds: rightTime,
            maximumDifference: zip(left.scalars, right.scalars).map { Swift.abs($0 - $1) }.max() ?? 0)
    }

    public func run(_ options: ExperimentOptions) throws -> ExperimentReport {
        var report = ExperimentReport(title: "Forward mode against reverse mode (section 6.5.9)")
        let m = 64
        let ns = options.quick ? [4, 16, 64, 256] : [4, 8, 16, 32, 64, 128, 256, 512]
        let sweep = ns.map { Self.jacobians(n: $0, m: m) }
        let extremes = [Self.jacobians(n: 4, m: 400), Self.jacobians(n: 400, m: 4)]
        report.markdown.paragraph(
            "f(x) = tanh(xA)B maps Rⁿ to Rᵐ through 32 hidden units. `jacobian(at:mode:of:)` builds the m × n Jacobian "
                + "column by column in forward mode (n Jacobian-vector products) or row by row in reverse mode (m "
                + "vector-Jacobian products). Forward mode wins when n ≪ m, reverse mode when n ≫ m. A JVP here is real "
                + "forward accumulation (each operation's tangent rule), so the crossover sits near n = m.")
        report.markdown.table(
            header: ["n", "m", "forward (ms)", "reverse (ms)", "faster", "max |J_fwd − J_rev|"],
            rows: (extremes + sweep).map {
                [String($0.n), String($0.m), fmt($0.forwardSeconds * 1000, 3), fmt($0.reverseSeconds * 1000, 3),
                 $0.forwardSeconds < $0.reverseSeconds ? "forward" : "reverse", fmt($0.maximumDifference, 2)]
            })
        var chart = SVGChart(title: "Jacobian of f: Rⁿ → R⁶⁴ by each mode", xLabel: "log₂ n (input size)", yLabel: "log₁₀ milliseconds")
        chart.addLine("forward (n JVPs)", x: ns.map { log2(Double($0)) }, y: sweep.map { log10($0.forwardSeconds * 1000) })
        chart.addLine("reverse (m VJPs)", x: ns.map { log2(Double($0)) }, y: sweep.map { log10($0.reverseSeconds * 1000) })
        chart.addLine("n = m", x: [log2(Double(m)), log2(Double(m))],
            y: [sweep.map { log10($0.forwardSeconds * 1000) }.min()!, sweep.map { log10($0.forwardSeconds * 1000) }.max()!])
        report.addFigure("forward-vs-reverse", chart, caption: "Time to form the Jacobian as the input size grows with m = 64 fixed.")

        let chain = options.quick ? Self.matrixChain(rows: 1000, inner: 200) : Self.matrixChain(rows: 2000, inner: 500)
        report.markdown.heading("The matrix chain ABCD")
        report.markdown.paragraph(
            "A has \(chain.rows) rows and \(chain.inner) columns, B and C are \(chain.inner) × \(chain.inner), D is a column. "
                + "Multiplying from the right, A(B(CD)), takes only matrix-vector products (reverse mode's order for a "
                + "gradient); from the left, ((AB)C)D, forms matrix-matrix products first.")
        report.markdown.table(
            header: ["order", "multiply-adds × 2 (flops)", "time (ms)"],
            rows: [["((AB)C)D, from the left", fmt(chain.leftFirstFlops, 4), fmt(chain.leftFirstSeconds * 1000, 3)],
                   ["A(B(CD)), from the right", fmt(chain.rightFirstFlops, 4), fmt(chain.rightFirstSeconds * 1000, 3)]])
        report.markdown.paragraph("Largest difference between the two products: \(fmt(chain.maximumDifference, 2)).")

        if let cross = zip(ns, sweep).first(where: { $0.1.forwardSeconds > $0.1.reverseSeconds }) {
            report.key("m = 64: reverse mode first faster at n", String(cross.0))
        }
        report.key("n = 4, m = 400: forward / reverse ms", "\(fmt(extremes[0].forwardSeconds * 1000, 3)) / \(fmt(extremes[0].reverseSeconds * 1000, 3))")
        report.key("n = 400, m = 4: forward / reverse ms", "\(fmt(extremes[1].forwardSeconds * 1000, 3)) / \(fmt(extremes[1].reverseSeconds * 1000, 3))")
        report.key("ABCD from left / right: ms", "\(fmt(chain.leftFirstSeconds * 1000, 3)) / \(fmt(chain.rightFirstSeconds * 1000, 3))")
        report.key("ABCD flops ratio left / right", fmt(chain.leftFirstFlops / chain.rightFirstFlops, 3))
        return report
    }
}
