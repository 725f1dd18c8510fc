import Feedforward
import Foundation

/// Section 6.1: learning XOR.
public struct XORExperiment: Experiment {
    public let name = "xor"
    public let section = "6.1"
    public let summary = "XOR: the linear model's normal equations, the exact ReLU network, training from random weights"

    public init() {}

    static let inputs: Tensor<Double> = [[0, 0], [0, 1], [1, 0], [1, 1]]
    static let targets: Tensor<Double> = [[0], [1], [1], [0]]

    /// (a) The linear model `f(x) = xᵀw + b` fitted by the normal equations (eqs. 6.1, 6.2).
    public static func linearModel() -> (w: [Double], b: Double, mse: Double) {
        // Design matrix with a column of ones: θ = (XᵀX)⁻¹ Xᵀ y.
        let x = inputs.scalars, y = targets.scalars
        let rows = (0..<4).map { [x[2 * $0], x[2 * $0 + 1], 1.0] }
        var normal = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 3)
        for i in 0..<3 {
            for j in 0..<3 { normal[i][j] = (0..<4).map { rows[$0][i] * rows[$0][j] }.reduce(0, +) }
            normal[i][3] = (0..<4).map { rows[$0][i] * y[$0] }.reduce(0, +)
        }
        let theta = solve(normal)
        let predictions = rows.map { $0[0] * theta[0] + $0[1] * theta[1] + theta[2] }
        let mse = zip(predictions, y).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 4
        return ([theta[0], theta[1]], theta[2], mse)
    }

    /// Gaussian elimination with partial pivoting on an augmented matrix.
    static func solve(_ augmented: [[Double]]) -> [Double] {
        var a = augmented
        let n = a.count
        for column in 0..<n {
            let pivot = (column..<n).max { Swift.abs(a[$0][column]) < Swift.abs(a[$1][column]) }!
            a.swapAt(column, pivot)
            for row in 0..<n where row != column {
                let factor = a[row][column] / a[column][column]
                if factor != 0 { for k in column...n { a[row][k] -= factor * a[column][k] } }
            }
        }
        return (0..<n).map { a[$0][n] / a[$0][$0] }
    }

    /// (b) The network of eqs. 6.3 to 6.6: `f(x) = wᵀ max(0, Wᵀx + c) + b`.
    public static func exactNetwork() -> Sequential<Double> {
        Sequential<Double> {
            Dense(weight: [[1, 1], [1, 1]], bias: [0, -1], activation: .relu)
            Dense(weight: [[1, -2]], bias: [0])
        }
    }

    /// The outputs of the exact network on the four inputs.
    public static func exactOutputs() -> [Double] { exactNetwork()(inputs).scalars }

    public struct TrainingRun: Sendable {
        public var seed: UInt64
        public var solved: Bool
        public var steps: Int
        public var model: Sequential<Double>
    }

    /// The parameters of a 2-H-1 ReLU network as plain numbers: `W` is `[H, 2]` row-major.
    public struct SmallNetwork: Sendable {
        public var W: [Double]
        public var c: [Double]
        public var w: [Double]
        public var b: Double

        public var hiddenCount: Int { c.count }

        public var model: Sequential<Double> {
            Sequential<Double> {
                Dense(weight: Tensor(shape: [hiddenCount, 2], scalars: W), bias: Tensor(c), activation: .relu)
                Dense(weight: Tensor(shape: [1, hiddenCount], scalars: w), bias: Tensor([b]))
            }
        }

        /// The outputs on the four inputs, and the gradient of the MSE with respect to
        /// (W, c, w, b), by back-propagation written out by hand for this one small graph (so that
        /// hundreds of runs of thousands of steps take a moment; tests check it against the
        /// library's autodiff).
        public func outputsAndGradient() -> (outputs: [Double], W: [Double], c: [Double], w: [Double], b: Double) {
            let x = XORExperiment.inputs.scalars, y = XORExperiment.targets.scalars
            let h = hiddenCount
            var gW = [Double](repeating: 0, count: 2 * h), gc = [Double](repeating: 0, count: h)
            var gw = [Double](repeating: 0, count: h), gb = 0.0
            var outputs: [Double] = []
            for example in 0..<4 {
                let (x0, x1) = (x[2 * example], x[2 * example + 1])
                var z = [Double](repeating: 0, count: h)
                var output = b
                for j in 0..<h {
                    z[j] = W[2 * j] * x0 + W[2 * j + 1] * x1 + c[j]
                    output += w[j] * Swift.max(0, z[j])
                }
                outputs.append(output)
                let d = 2 * (output - y[example]) / 4
                gb += d
                for j in 0..<h {
                    gw[j] += d * Swift.max(0, z[j])
                    guard z[j] > 0 else { continue }
                    gc[j] += d * w[j]
                    gW[2 * j] += d * w[j] * x0
                    gW[2 * j + 1] += d * w[j] * x1
                }
            }
            return (outputs, gW, gc, gw, gb)
        }

        /// Weights from N(0, scale²), hidden biases 0.1 (the advice of section 6.3.1 for ReLUs), output bias 0.
        public init(hiddenCount: Int, seed: UInt64, scale: Double = 0.5) {
            var generator = SeededRandomNumberGenerator(seed: seed)
            W = Tensor<Double>.randomNormal(shape: [2 * hiddenCount], standardDeviation: scale, using: &generator).scalars
            w = Tensor<Double>.randomNormal(shape: [hiddenCount], standardDeviation: scale, using: &generator).scalars
            c = [Double](repeating: 0.1, count: hiddenCount)
            b = 0
        }
    }

    /// (c) A 2-H-1 ReLU network from small random weights, full-batch gradient descent on MSE.
    /// Solved means every output is within 0.1 of its target.
    public static func train(seed: UInt64, hiddenCount: Int = 2, learningRate: Double = 0.1, maximumSteps: Int = 5000) -> TrainingRun {
        var network = SmallNetwork(hiddenCount: hiddenCount, seed: seed)
        for step in 0...maximumSteps {
            let g = network.outputsAndGradient()
            if zip(g.outputs, targets.scalars).allSatisfy({ Swift.abs($0 - $1) < 0.1 }) {
                return TrainingRun(seed: seed, solved: true, steps: step, model: network.model)
            }
            guard step < maximumSteps else { break }
            for i in network.W.indices { network.W[i] -= learningRate * g.W[i] }
            for j in 0..<hiddenCount {
                network.c[j] -= learningRate * g.c[j]
                network.w[j] -= learningRate * g.w[j]
            }
            network.b -= learningRate * g.b
        }
        return TrainingRun(seed: seed, solved: false, steps: maximumSteps, model: network.model)
    }

    public struct TrainingSummary: Sendable {
        public var runs: [TrainingRun]
        public var successRate: Double { Double(runs.filter(\.solved).count) / Double(Swift.max(1, runs.count)) }
        public var medianSteps: Double { median(runs.filter(\.solved).map { Double($0.steps) }) }
    }

    public static func trainMany(
        seeds: Range<UInt64>, hiddenCount: Int = 2, learningRate: Double = 0.1, maximumSteps: Int = 5000
    ) -> TrainingSummary {
        TrainingSummary(runs: seeds.map {
            train(seed: $0, hiddenCount: hiddenCount, learningRate: learningRate, maximumSteps: maximumSteps)
        })
    }

    /// The hidden representation `h = max(0, Wᵀx + c)` of the four inputs under `model`.
    static func hidden(_ model: Sequential<Double>) -> [[Double]] {
        let h = model.layers[0](inputs).scalars
        return (0..<4).map { [h[2 * $0], h[2 * $0 + 1]] }
    }

    public func run(_ options: ExperimentOptions) throws -> ExperimentReport {
        var report = ExperimentReport(title: "Learning XOR (section 6.1)")
        let linear = Self.linearModel()
        report.markdown.heading("(a) The linear model")
        report.markdown.paragraph(
            "Solving the normal equations for f(x; w, b) = xᵀw + b on the four XOR points gives "
                + "w = (\(fmt(linear.w[0])), \(fmt(linear.w[1]))), b = \(fmt(linear.b)) and MSE = \(fmt(linear.mse)): "
                + "the model outputs 1/2 everywhere (eqs. 6.1, 6.2).")
        let outputs = Self.exactOutputs()
        report.markdown.heading("(b) The network of eqs. 6.3 to 6.6")
        report.markdown.paragraph(
            "With W = [[1, 1], [1, 1]], c = [0, −1], w = [1, −2], b = 0, the ReLU network outputs "
                + outputs.map { fmt($0) }.joined(separator: ", ") + " on (0,0), (0,1), (1,0), (1,1).")

        let seedCount = options.quick ? 20 : 100
        let seeds = options.seed..<(options.seed + UInt64(seedCount))
        let summary = Self.trainMany(seeds: seeds)
        let wider = [3, 4, 8].map { ($0, Self.trainMany(seeds: seeds, hiddenCount: $0)) }
        report.markdown.heading("(c) Gradient descent from small random weights")
        report.markdown.paragraph(
            "A 2-2-1 ReLU network, weights drawn from N(0, 0.5²), hidden biases 0.1, full-batch gradient descent on MSE "
                + "(learning rate 0.1, at most 5000 steps); solved when every output is within 0.1 of its target. "
                + "Over \(seedCount) seeds, \(Int((summary.successRate * 100).rounded()))% solve XOR, with a median of "
                + "\(fmt(summary.medianSteps)) steps among those that do. The minimal network fails more often than not: "
                + "a hidden unit that is inactive on every input receives no gradient (a dead ReLU), or both units settle "
                + "on the same side of the data, and plain gradient descent cannot leave these regions. With a few more "
                + "hidden units, gradient descent finds a solution from almost every start:")
        report.markdown.table(
            header: ["hidden units", "success rate", "median steps"],
            rows: [(2, summary)].map { [String($0.0), fmt($0.1.successRate), fmt($0.1.medianSteps)] }
                + wider.map { [String($0.0), fmt($0.1.successRate), fmt($0.1.medianSteps)] })

        // (d) x space and the learned h space.
        let classes = [0, 1, 1, 0]
        var left = SVGChart(title: "Original x space", xLabel: "x₁", yLabel: "x₂")
        let x = Self.inputs.scalars
        for label in [0, 1] {
            let points = (0..<4).filter { classes[$0] == label }
            left.addPoints("y = \(label)", x: points.map { x[2 * $0] }, y: points.map { x[2 * $0 + 1] })
        }
        left.width = 520
        // The zero sets of the learned hidden units' pre-activations, clipped to the plotted square.
        func boundary(_ a: Double, _ b: Double, _ c: Double) -> (x: [Double], y: [Double]) {
            let ts = (0...300).map { -0.25 + 1.5 * Double($0) / 300 }
            let points: [(Double, Double)] = Swift.abs(b) >= Swift.abs(a)
                ? ts.map { ($0, -(a * $0 + c) / b) } : ts.map { (-(b * $0 + c) / a, $0) }
            let kept = points.filter { $0.0 >= -0.25 && $0.0 <= 1.25 && $0.1 >= -0.25 && $0.1 <= 1.25 }
            return (kept.map(\.0), kept.map(\.1))
        }
        let learned = summary.runs.first(where: \.solved)?.model ?? Self.exactNetwork()
        if let first = learned.layers[0] as? Dense<Double> {
            let w = first.weight.scalars, c = first.bias?.scalars ?? [0, 0]
            for j in 0..<2 {
                let line = boundary(w[2 * j], w[2 * j + 1], c[j])
                if !line.x.isEmpty { left.addLine("h\(j == 0 ? "₁" : "₂") = 0", x: line.x, y: line.y) }
            }
        }
        var right = SVGChart(title: "Learned h space", xLabel: "h₁", yLabel: "h₂")
        right.width = 520
        let h = Self.hidden(learned)
        for label in [0, 1] {
            let points = (0..<4).filter { classes[$0] == label }
            right.addPoints("y = \(label)", x: points.map { h[$0][0] }, y: points.map { h[$0][1] })
        }
        // The output unit's boundary wᵀh + b = 1/2.
        if let output = learned.layers[1] as? Dense<Double> {
            let w = output.weight.scalars, b = output.bias?.scalars[0] ?? 0
            let hs = h.flatMap { $0 }
            let lower = (hs.min() ?? 0) - 0.2, upper = (hs.max() ?? 1) + 0.2
            if Swift.abs(w[1]) > 1e-9 {
                let xs = [lower, upper]
                right.addLine("wᵀh + b = ½", x: xs, y: xs.map { (0.5 - b - w[0] * $0) / w[1] })
            } else if Swift.abs(w[0]) > 1e-9 {
                let boundary = (0.5 - b) / w[0]
                right.addLine("wᵀh + b = ½", x: [boundary, boundary], y: [lower, upper])
            }
        }
        report.markdown.heading("(d) The representation")
        report.markdown.table(
            header: ["x", "y", "h = max(0, Wx + c)"],
            rows: (0..<4).map { ["(\(Int(x[2 * $0])), \(Int(x[2 * $0 + 1])))", String(classes[$0]), "(\(fmt(h[$0][0], 3)), \(fmt(h[$0][1], 3)))"] })
        report.addFigure(
            "xor-spaces", svg: sideBySide([left, right]),
            caption: "Left: the four inputs; no line separates the classes. Right: their images under the learned "
                + "hidden layer (seed \(summary.runs.first(where: \.solved)?.seed ?? 0)), where a line does; "
                + "inputs with the same h are drawn on top of each other. The lines on the left are where each hidden unit switches on.")

        var exact = SVGChart(title: "h space of the network of eqs. 6.3–6.6", xLabel: "h₁", yLabel: "h₂")
        let he = Self.hidden(Self.exactNetwork())
        for label in [0, 1] {
            let points = (0..<4).filter { classes[$0] == label }
            exact.addPoints("y = \(label)", x: points.map { he[$0][0] }, y: points.map { he[$0][1] })
        }
        exact.addLine("h₁ − 2h₂ = ½", x: [-0.2, 2.2], y: [-0.35, 0.85])
        report.addFigure("xor-exact-h", exact, caption: "The book's solution maps (0,1) and (1,0) to the same point h = (1, 0).")

        report.key("linear model w, b, MSE", "(\(fmt(linear.w[0])), \(fmt(linear.w[1]))), \(fmt(linear.b)), \(fmt(linear.mse))")
        report.key("exact network outputs", outputs.map { fmt($0) }.joined(separator: ", "))
        report.key("success rate (\(seedCount) seeds)", fmt(summary.successRate))
        report.key("median steps to solve", fmt(summary.medianSteps))
        for (h, result) in wider { report.key("success rate with \(h) hidden units", fmt(result.successRate)) }
        return report
    }
}
