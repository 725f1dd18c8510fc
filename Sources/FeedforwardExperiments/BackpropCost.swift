import Feedforward
import Foundation

/// Section 6.5: the cost of back-propagation.
public struct BackpropCostExperiment: Experiment {
    public let name = "backprop-cost"
    public let section = "6.5"
    public let summary = "Gradient cost over forward cost, naive recursion against the gradient table, recomputation"

    public init() {}

    // MARK: Gradient time over forward time

    public struct RatioRow: Sendable {
        public var width: Int
        public var parameters: Int
        public var forwardSeconds: Double
        public var gradientSeconds: Double
        public var ratio: Double { gradientSeconds / forwardSeconds }
    }

    /// Forward time (no recording) and forward-plus-backward time of a `depth`-layer ReLU MLP of each width.
    public static func gradientOverForward(widths: [Int], depth: Int = 3, batch: Int = 128, inputSize: Int = 784, repeats: Int = 5) -> [RatioRow] {
        widths.map { width in
            let model = HiddenUnitsExperiment.makeModel(
                unit: .relu, inputSize: inputSize, hiddenSizes: Array(repeating: width, count: depth), seed: 1)
            var generator = SeededRandomNumberGenerator(seed: 2)
            let x = Tensor<Float>.randomNormal(shape: [batch, inputSize], using: &generator)
            let labels = (0..<batch).map { $0 % 10 }
            let forward = bestTime(repeats: repeats) { _ = withoutGradients { crossEntropy(logits: model(x), labels: labels) } }
            let backward = bestTime(repeats: repeats) {
                _ = valueWithGradient(at: model) { m in crossEntropy(logits: m(x), labels: labels) }
            }
            return RatioRow(width: width, parameters: model.parameterCount, forwardSeconds: forward, gradientSeconds: backward)
        }
    }

    // MARK: Shared subexpressions: naive recursion against the gradient table

    /// The chain `u₀ = w`, `uᵢ = sin(uᵢ₋₁) · uᵢ₋₁`: each node uses its predecessor twice, so there are
    /// 2ⁿ paths from `uₙ` back to `w` but only 2n edges.
    public struct SharedChain: Sendable {
        public let length: Int
        public let values: [Double]

        public init(length: Int, input: Double) {
            self.length = length
            var values = [input]
            for _ in 0..<length { values.append(sin(values.last!) * values.last!) }
            self.values = values
        }

        /// The number of edges of the graph.
        public var edgeCount: Int { 2 * length }

        /// Local partial derivatives of node `i` (≥ 1) with respect to its two input slots.
        func localDerivative(node i: Int, slot: Int, count: inout Int) -> Double {
            count += 1
            let a = values[i - 1]
            return slot == 0 ? cos(a) * a : sin(a)
        }

        /// duₙ/dw by the chain rule written out recursively, with no table: every path is walked.
        public func naiveDerivative() -> (value: Double, evaluations: Int) {
            var count = 0
            func derivative(_ i: Int) -> Double {
                if i == 0 { return 1 }
                var total = 0.0
                for slot in 0..<2 { total += localDerivative(node: i, slot: slot, count: &count) * derivative(i - 1) }
                return total
            }
            let value = derivative(length)
            return (value, count)
        }

        /// duₙ/dw by back-propagation: a gradient table filled in reverse order, each edge once.
        public func tableDerivative() -> (value: Double, evaluations: Int) {
            var count = 0
            var table = [Double](repeating: 0, count: length + 1)
            table[length] = 1
            for i in stride(from: length, through: 1, by: -1) {
                for slot in 0..<2 { table[i - 1] += table[i] * localDerivative(node: i, slot: slot, count: &count) }
            }
            return (table[0], count)
        }

        /// The same chain on tensors, differentiated by the library.
        public static func libraryDerivative(length: Int, input: Double) -> Double {
            gradient(at: Tensor<Double>(input)) { w in
                var u = w
                for _ in 0..<length { u = sin(u) * u }
                return u
            }.scalar
        }
    }

    // MARK: Recomputation

    public struct MemoryRow: Sendable {
        public var depth: Int
        public var plainBytes: Int
        public var recomputedBytes: Int
        public var plainSeconds: Double
        public var recomputedSeconds: Double
    }

    /// A deep tanh network `x ↦ Σ tanh(W_d … tanh(W_1 x))`, differentiated with respect to its input and
    /// every weight, with the graph stored in full or in √depth checkpointed segments. Memory is the
    /// tensor storage the recorded graph holds between the forward and the backward pass.
    public static func recomputation(depths: [Int], width: Int = 256, batch: Int = 256, repeats: Int = 3) -> [MemoryRow] {
        var generator = SeededRandomNumberGenerator(seed: 3)
        let x = Tensor<Float>.randomNormal(shape: [batch, width], using: &generator)
        return depths.map { depth in
            let weights = (0..<depth).map { _ in
                Tensor<Float>.randomNormal(shape: [width, width], standardDeviation: 1 / Float(width).squareRoot(), using: &generator)
            }
            let segmentLength = Int(Double(depth).squareRoot().rounded(.up))
            func layers(_ range: Range<Int>, _ w: [Tensor<Float>]) -> (Tensor<Float>) -> Tensor<Float> {
                { h in range.reduce(h) { tanh(matmul($0, w[$1])) } }
            }
            // inputs[0] is x, inputs[1...] the weights.
            func plain(_ inputs: [Tensor<Float>]) -> Tensor<Float> { layers(0..<depth, Array(inputs.dropFirst()))(inputs[0]).sum() }
            func recomputed(_ inputs: [Tensor<Float>]) -> Tensor<Float> {
                var h = inputs[0]
                for start in stride(from: 0, to: depth, by: segmentLength) {
                    let range = start..<Swift.min(depth, start + segmentLength)
                    let segmentWeights = Array(inputs[(1 + range.lowerBound)..<(1 + range.upperBound)])
                    h = checkpointed([h] + segmentWeights) { local in
                        range.reduce(local[0]) { tanh(matmul($0, local[1 + $1 - range.lowerBound])) }
                    }
                }
                return h.sum()
            }
            func measure(_ f: @escaping ([Tensor<Float>]) -> Tensor<Float>) -> (bytes: Int, seconds: Double) {
                var bytes = 0
                let seconds = bestTime(repeats: repeats) {
                    let tracked = ([x] + weights).map { $0.requiringGradient() }
                    let before = TensorMemory.liveBytes
                    let value = f(tracked)
                    bytes = TensorMemory.liveBytes - before
                    value.backward()
                }
                return (bytes, seconds)
            }
            let a = measure(plain)
            let b = measure(recomputed)
            return MemoryRow(depth: depth, plainBytes: a.bytes, recomputedBytes: b.bytes, plainSeconds: a.seconds, recomputedSeconds: b.seconds)
        }
    }

    public func run(_ options: ExperimentOptions) throws -> ExperimentReport {
        var report = ExperimentReport(title: "The cost of back-propagation (section 6.5)")
        let widths = options.quick ? [64, 128, 256, 512] : [64, 128, 256, 512, 1024, 2048]
        let ratios = Self.gradientOverForward(widths: widths, repeats: options.quick ? 3 : 9)
        report.markdown.heading("Gradient time over forward time")
        report.markdown.paragraph(
            "A 784-w-w-w-10 ReLU MLP on a batch of 128, cross-entropy loss, Float. Forward time is the loss computed without "
                + "recording; gradient time is `valueWithGradient(at: model)`, which records the graph and back-propagates. "
                + "Back-propagation costs a constant multiple of the forward pass (section 6.5.7: O(edges)); for matrix "
                + "products that multiple is about 3 (one product forward, two backward). Best of several runs; on a shared "
                + "machine the timings are noisy. In the smallest networks the fixed cost of recording the graph (a node and a "
                + "closure per operation) weighs more than the arithmetic, so the ratio is higher there.")
        report.markdown.table(
            header: ["width", "parameters", "forward (ms)", "forward + backward (ms)", "ratio"],
            rows: ratios.map { [String($0.width), String($0.parameters), fmt($0.forwardSeconds * 1000, 3), fmt($0.gradientSeconds * 1000, 3), fmt($0.ratio, 3)] })
        var ratioChart = SVGChart(title: "Gradient time over forward time", xLabel: "log₁₀ parameters", yLabel: "time ratio")
        ratioChart.addLine("gradient / forward", x: ratios.map { log10(Double($0.parameters)) }, y: ratios.map(\.ratio))
        ratioChart.addLine("3", x: ratios.map { log10(Double($0.parameters)) }, y: ratios.map { _ in 3 })
        report.addFigure("backprop-ratio", ratioChart, caption: "The ratio stays roughly constant as the network grows.")

        let lengths = options.quick ? Array(1...16) : Array(1...22)
        let chains = lengths.map { SharedChain(length: $0, input: 0.7) }
        let naive = chains.map { $0.naiveDerivative() }
        let table = chains.map { $0.tableDerivative() }
        report.markdown.heading("Shared subexpressions: naive recursion against the gradient table")
        report.markdown.paragraph(
            "The chain u₀ = w, uᵢ = sin(uᵢ₋₁)·uᵢ₋₁ uses each node twice. Writing out the chain rule recursively (eq. 6.53 "
                + "without storing anything) walks all 2ⁿ paths; back-propagation fills a table of ∂uₙ/∂uᵢ once, one local "
                + "derivative per edge (2n). Both give the same derivative, as does the library's `gradient`.")
        let shownLengths = lengths.filter { $0 % 4 == 0 || $0 == lengths.last! }
        report.markdown.table(
            header: ["n", "edges", "naive evaluations", "table evaluations", "derivative (table)", "derivative (library)"],
            rows: shownLengths.map { n in
                let i = n - 1
                return [String(n), String(chains[i].edgeCount), String(naive[i].evaluations), String(table[i].evaluations),
                        fmt(table[i].value, 8), fmt(SharedChain.libraryDerivative(length: n, input: 0.7), 8)]
            })
        var chainChart = SVGChart(title: "Chain-rule evaluations", xLabel: "chain length n", yLabel: "log₁₀ local-derivative evaluations")
        chainChart.addLine("naive recursion", x: lengths.map(Double.init), y: naive.map { log10(Double($0.evaluations)) })
        chainChart.addLine("gradient table", x: lengths.map(Double.init), y: table.map { log10(Double($0.evaluations)) })
        report.addFigure("backprop-chain", chainChart, caption: "Naive recursion grows exponentially with the chain; the table grows linearly.")

        let depths = options.quick ? [2, 4, 8, 16, 32] : [2, 4, 8, 12, 16, 24, 32]
        let memory = Self.recomputation(depths: depths, width: options.quick ? 128 : 256, batch: 256)
        report.markdown.heading("Storage against recomputation")
        report.markdown.paragraph(
            "A deep tanh network (width \(options.quick ? 128 : 256), batch 256), differentiated with respect to its input "
                + "and every weight. Memory is the tensor storage the recorded graph holds between the forward and the "
                + "backward pass (`TensorMemory.liveBytes`); with recomputation the layers are grouped into ⌈√depth⌉-layer "
                + "segments wrapped in `checkpointed`, which keep only their inputs (the segment's input and weights) and run "
                + "again during back-propagation.")
        report.markdown.table(
            header: ["depth", "stored (KiB)", "stored with recomputation (KiB)", "time (ms)", "time with recomputation (ms)"],
            rows: memory.map { [String($0.depth), String($0.plainBytes / 1024), String($0.recomputedBytes / 1024), fmt($0.plainSeconds * 1000, 3), fmt($0.recomputedSeconds * 1000, 3)] })
        var memoryChart = SVGChart(title: "Memory held for back-propagation", xLabel: "depth", yLabel: "MiB after the forward pass")
        memoryChart.addLine("store everything", x: memory.map { Double($0.depth) }, y: memory.map { Double($0.plainBytes) / 1_048_576 })
        memoryChart.addLine("√depth checkpoints", x: memory.map { Double($0.depth) }, y: memory.map { Double($0.recomputedBytes) / 1_048_576 })
        report.addFigure("backprop-memory", memoryChart, caption: "Stored activations grow linearly with depth, about as √depth with checkpoints.")
        var timeChart = SVGChart(title: "Time of one gradient", xLabel: "depth", yLabel: "milliseconds")
        timeChart.addLine("store everything", x: memory.map { Double($0.depth) }, y: memory.map { $0.plainSeconds * 1000 })
        timeChart.addLine("√depth checkpoints", x: memory.map { Double($0.depth) }, y: memory.map { $0.recomputedSeconds * 1000 })
        report.addFigure("backprop-time", timeChart, caption: "Recomputation costs about one extra forward pass.")

        report.key("gradient/forward time ratio, range over widths", "\(fmt(ratios.map(\.ratio).min()!, 3)) – \(fmt(ratios.map(\.ratio).max()!, 3))")
        report.key("chain n = \(lengths.last!): naive / table evaluations", "\(naive.last!.evaluations) / \(table.last!.evaluations)")
        if let deepest = memory.last {
            report.key("depth \(deepest.depth): stored KiB plain / recomputed", "\(deepest.plainBytes / 1024) / \(deepest.recomputedBytes / 1024)")
            report.key("depth \(deepest.depth): time ms plain / recomputed", "\(fmt(deepest.plainSeconds * 1000, 3)) / \(fmt(deepest.recomputedSeconds * 1000, 3))")
        }
        return report
    }
}
