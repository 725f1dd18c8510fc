import Feedforward
import Foundation

/// Section 6.5.10: the top of the Hessian spectrum of a trained MLP's loss, by Lanczos on
/// Hessian-vector products, checked against the full Hessian.
public struct CurvatureExperiment: Experiment {
    public let name = "curvature"
    public let section = "6.5.10"
    public let summary = "The largest Hessian eigenvalues by Lanczos on Hessian-vector products, checked on a small model"

    public init() {}

    /// An MLP whose parameters are one flat vector, so the loss is a function `R^p → R` to which
    /// `hessianVectorProduct(at:along:of:)` and `hessian(at:of:)` apply directly.
    public struct FlatMLP: Layer {
        public typealias Scalar = Double
        public let sizes: [Int]
        public var theta: Tensor<Double>

        public init(sizes: [Int], seed: UInt64) {
            self.sizes = sizes
            var generator = SeededRandomNumberGenerator(seed: seed)
            var values: [Double] = []
            for (fanIn, fanOut) in zip(sizes, sizes.dropFirst()) {
                let limit = (6 / Double(fanIn + fanOut)).squareRoot()
                values += (0..<(fanIn * fanOut)).map { _ in (2 * generator.nextDouble() - 1) * limit }
                values += [Double](repeating: 0, count: fanOut)
            }
            theta = Tensor(values)
        }

        public var count: Int { theta.scalarCount }

        /// The network with parameters `theta` applied to `input`: tanh hidden layers, linear output.
        public static func apply(sizes: [Int], theta: Tensor<Double>, to input: Tensor<Double>) -> Tensor<Double> {
            var h = input
            var offset = 0
            for (index, (fanIn, fanOut)) in zip(sizes, sizes.dropFirst()).enumerated() {
                let weight = theta.slice(alongAxis: 0, offset..<(offset + fanIn * fanOut)).reshaped(to: [fanOut, fanIn])
                offset += fanIn * fanOut
                let bias = theta.slice(alongAxis: 0, offset..<(offset + fanOut))
                offset += fanOut
                h = matmul(h, weight, transposeB: true) + bias
                if index < sizes.count - 2 { h = tanh(h) }
            }
            return h
        }

        public func callAsFunction(_ input: Tensor<Double>) -> Tensor<Double> {
            Self.apply(sizes: sizes, theta: theta, to: input)
        }

        public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Double>) throws -> Void) rethrows {
            try body(prefix.isEmpty ? "theta" : prefix + ".theta", &theta)
        }
    }

    /// Regression data: `y = sin(2x₁)·cos(x₂) + 0.05ε` on `x ∈ [−2, 2]²`.
    public static func data(count: Int, seed: UInt64) -> (x: Tensor<Double>, y: Tensor<Double>) {
        var generator = SeededRandomNumberGenerator(seed: seed)
        let x = (0..<(2 * count)).map { _ in 4 * generator.nextDouble() - 2 }
        let noise = Tensor<Double>.randomNormal(shape: [count], standardDeviation: 0.05, using: &generator).scalars
        var y = [Double](repeating: 0, count: count)
        for i in 0..<count {
            let first: Double = Foundation.sin(2 * x[2 * i])
            let second: Double = Foundation.cos(x[2 * i + 1])
            y[i] = first * second + noise[i]
        }
        return (Tensor(shape: [count, 2], scalars: x), Tensor(shape: [count, 1], scalars: y))
    }

    /// A trained model and its loss as a function of the flat parameter vector.
    public static func trainedLoss(sizes: [Int], count: Int, steps: Int, seed: UInt64)
        -> (theta: Tensor<Double>, loss: (Tensor<Double>) -> Tensor<Double>, finalLoss: Double)
    {
        let (x, y) = data(count: count, seed: seed)
        var model = FlatMLP(sizes: sizes, seed: seed ^ 0xC0)
        var optimizer = Adam<Double>(learningRate: 0.01)
        for _ in 0..<steps {
            let g = gradient(at: model) { m in meanSquaredError(predictions: m(x), targets: y) }
            optimizer.update(&model, along: g)
        }
        let loss = { (theta: Tensor<Double>) in meanSquaredError(predictions: FlatMLP.apply(sizes: sizes, theta: theta, to: x), targets: y) }
        return (model.theta, loss, withoutGradients { loss(model.theta).scalar })
    }

    public struct Comparison: Sendable {
        public var parameterCount: Int
        public var lanczos: [Double]
        public var exact: [Double]?
        public var finalLoss: Double
        public var lanczosSeconds: Double
        public var exactSeconds: Double?
        public var hessianVectorProducts: Int
    }

    /// Trains a model and compares the top `top` eigenvalues from Lanczos with those of the full Hessian.
    public static func compare(
        sizes: [Int], count: Int, steps: Int, iterations: Int, top: Int = 5, formFullHessian: Bool, seed: UInt64
    ) -> Comparison {
        let (theta, loss, finalLoss) = trainedLoss(sizes: sizes, count: count, steps: steps, seed: seed)
        let p = theta.scalarCount
        var products = 0
        let (ritz, lanczosSeconds) = timed {
            lanczosEigenvalues(of: { v in
                products += 1
                return hessianVectorProduct(at: theta, along: v, of: loss)
            }, shape: [p], iterations: iterations, seed: seed)
        }
        var exact: [Double]?
        var exactSeconds: Double?
        if formFullHessian {
            let (values, seconds) = timed { symmetricEigenvalues(hessian(at: theta, of: loss)) }
            exact = Array(values.prefix(top))
            exactSeconds = seconds
        }
        return Comparison(
            parameterCount: p, lanczos: Array(ritz.prefix(top)), exact: exact, finalLoss: finalLoss,
            lanczosSeconds: lanczosSeconds, exactSeconds: exactSeconds, hessianVectorProducts: products)
    }

    public func run(_ options: ExperimentOptions) throws -> ExperimentReport {
        var report = ExperimentReport(title: "Curvature: the top of the Hessian spectrum (section 6.5.10)")
        let smallSizes = options.quick ? [2, 6, 6, 1] : [2, 10, 10, 1]
        let largeSizes = options.quick ? [2, 24, 24, 1] : [2, 48, 48, 1]
        let steps = options.quick ? 500 : 2000
        let small = Self.compare(sizes: smallSizes, count: 200, steps: steps, iterations: 40, formFullHessian: true, seed: options.seed)
        let large = Self.compare(sizes: largeSizes, count: 200, steps: steps, iterations: 60, formFullHessian: false, seed: options.seed)
        report.markdown.paragraph(
            "An MLP with tanh hidden units is trained with Adam (\(steps) full-batch steps) to regress y = sin(2x₁)·cos(x₂) + noise "
                + "on 200 points. Its MSE is written as a function of one flat parameter vector, so Hessian-vector products "
                + "H v = ∇θ[(∇θ L)ᵀ v] (eq. 6.59) come from `hessianVectorProduct(at:along:of:)` without forming H. Lanczos "
                + "iteration with full reorthogonalisation turns k such products into a k × k tridiagonal matrix whose largest "
                + "eigenvalues converge first to the largest eigenvalues of H. On a model small enough, `hessian(at:of:)` forms "
                + "H (one product per parameter) and a Jacobi eigenvalue routine gives the exact spectrum for comparison.")
        let exact = small.exact ?? []
        report.markdown.heading("Small model, \(smallSizes.map(String.init).joined(separator: "-")) (\(small.parameterCount) parameters)")
        report.markdown.table(
            header: ["rank", "Lanczos (\(small.hessianVectorProducts) HVPs)", "full Hessian", "relative difference"],
            rows: small.lanczos.indices.map { i in
                [String(i + 1), fmt(small.lanczos[i], 8), i < exact.count ? fmt(exact[i], 8) : "–",
                 i < exact.count ? fmt(Swift.abs(small.lanczos[i] - exact[i]) / Swift.max(Swift.abs(exact[i]), 1e-300), 2) : "–"]
            })
        report.markdown.paragraph(
            "Training loss \(fmt(small.finalLoss)); Lanczos took \(fmt(small.lanczosSeconds, 3)) s, forming and diagonalising "
                + "the full Hessian \(fmt(small.exactSeconds ?? 0, 3)) s.")
        report.markdown.heading("Larger model, \(largeSizes.map(String.init).joined(separator: "-")) (\(large.parameterCount) parameters)")
        report.markdown.table(
            header: ["rank", "Lanczos eigenvalue (\(large.hessianVectorProducts) HVPs)"],
            rows: large.lanczos.indices.map { [String($0 + 1), fmt(large.lanczos[$0], 6)] })
        report.markdown.paragraph(
            "Training loss \(fmt(large.finalLoss)); Lanczos took \(fmt(large.lanczosSeconds, 3)) s. The full Hessian would "
                + "need \(large.parameterCount) Hessian-vector products and \(large.parameterCount * large.parameterCount) entries.")
        var chart = SVGChart(title: "Largest Hessian eigenvalues", xLabel: "rank", yLabel: "log₁₀ eigenvalue")
        let ranks = small.lanczos.indices.map { Double($0 + 1) }
        chart.addPoints("Lanczos", x: ranks, y: small.lanczos.map { log10(Swift.max($0, 1e-12)) })
        chart.addLine("full Hessian", x: ranks, y: exact.map { log10(Swift.max($0, 1e-12)) })
        chart.addLine("Lanczos (larger)", x: large.lanczos.indices.map { Double($0 + 1) }, y: large.lanczos.map { log10(Swift.max($0, 1e-12)) })
        report.addFigure("curvature", chart, caption: "Top five eigenvalues: Lanczos on Hessian-vector products against the full Hessian.")
        report.key("small model: Lanczos top 5", small.lanczos.map { fmt($0, 6) }.joined(separator: ", "))
        report.key("small model: full Hessian top 5", exact.map { fmt($0, 6) }.joined(separator: ", "))
        report.key("larger model (\(large.parameterCount) parameters): Lanczos top 5", large.lanczos.map { fmt($0, 6) }.joined(separator: ", "))
        return report
    }
}
