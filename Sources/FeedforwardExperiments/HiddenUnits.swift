import Feedforward
import Foundation

/// Section 6.3: the same MLP with each kind of hidden unit.
public struct HiddenUnitsExperiment: Experiment {
    public let name = "hidden-units"
    public let section = "6.3"
    public let summary = "One MLP on Fashion-MNIST with each hidden unit: test accuracy and training time"

    public init() {}

    /// A hidden unit: an `Activation`, or one of the units that are layers (PReLU, maxout).
    public enum Unit: Sendable, CaseIterable {
        case relu, leakyReLU, parametricReLU, absoluteValue, maxout, sigmoid, tanh, softplus, hardTanh, elu, cos, arctan, gelu

        public var name: String {
            switch self {
            case .relu: return "ReLU"
            case .leakyReLU: return "leaky ReLU (α = 0.01)"
            case .parametricReLU: return "parametric ReLU"
            case .absoluteValue: return "absolute value"
            case .maxout: return "maxout (k = 2)"
            case .sigmoid: return "sigmoid"
            case .tanh: return "tanh"
            case .softplus: return "softplus"
            case .hardTanh: return "hard tanh"
            case .elu: return "ELU"
            case .cos: return "cos"
            case .arctan: return "arctan"
            case .gelu: return "GELU"
            }
        }

        var activation: Activation? {
            switch self {
            case .relu: return .relu
            case .leakyReLU: return .leakyReLU(slope: 0.01)
            case .absoluteValue: return .absoluteValue
            case .sigmoid: return .sigmoid
            case .tanh: return .tanh
            case .softplus: return .softplus
            case .hardTanh: return .hardTanh
            case .elu: return .elu(alpha: 1)
            case .cos: return .cos
            case .arctan: return .arctan
            case .gelu: return .gelu
            case .parametricReLU, .maxout: return nil
            }
        }
    }

    /// An MLP `inputs → hidden → … → 10` whose hidden layers use `unit`.
    public static func makeModel(unit: Unit, inputSize: Int, hiddenSizes: [Int], classCount: Int = 10, seed: UInt64) -> Sequential<Float> {
        var generator = SeededRandomNumberGenerator(seed: seed)
        var layers: [any Layer<Float>] = []
        var width = inputSize
        for size in hiddenSizes {
            switch unit {
            case .maxout:
                layers.append(Maxout<Float>(inputSize: width, outputSize: size, pieces: 2, generator: &generator))
            case .parametricReLU:
                layers.append(Dense<Float>(inputSize: width, outputSize: size, weightInitializer: .heUniform, generator: &generator))
                layers.append(PReLU<Float>(featureCount: size))
            default:
                layers.append(Dense<Float>(inputSize: width, outputSize: size, activation: unit.activation!, generator: &generator))
            }
            width = size
        }
        layers.append(Dense<Float>(inputSize: width, outputSize: classCount, generator: &generator))
        return Sequential(layers)
    }

    public struct Row: Sendable {
        public var unit: Unit
        public var accuracy: Double
        public var seconds: Double
        public var parameterCount: Int
    }

    static func measure(
        units: [Unit], data: ImageData, hiddenSizes: [Int], epochs: Int, batchSize: Int = 128, learningRate: Double = 1e-3, seed: UInt64
    ) -> [Row] {
        units.map { unit in
            var model = makeModel(unit: unit, inputSize: data.train.featureCount, hiddenSizes: hiddenSizes, seed: seed)
            let result = trainClassifier(&model, data: data, epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: seed)
            return Row(unit: unit, accuracy: result.accuracy, seconds: result.seconds, parameterCount: model.parameterCount)
        }
    }

    /// A tiny run for tests: every unit, one hidden layer, small minibatches.
    static func tinyRun(data: ImageData, hidden: Int, epochs: Int, seed: UInt64) -> [Row] {
        measure(units: Unit.allCases, data: data, hiddenSizes: [hidden], epochs: epochs, batchSize: 25, learningRate: 3e-3, seed: seed)
    }

    public func run(_ options: ExperimentOptions) throws -> ExperimentReport {
        // Full size: every training and test image; quick: a subset.
        let trainCount: Int? = options.quick ? 3000 : nil
        let testCount: Int? = options.quick ? 2000 : nil
        let hiddenSizes = options.quick ? [64, 64] : [128, 128]
        let epochs = options.quick ? 2 : 5
        let data = try ImageData.load(trainCount: trainCount, testCount: testCount, seed: options.seed)
        let rows = Self.measure(units: Unit.allCases, data: data, hiddenSizes: hiddenSizes, epochs: epochs, seed: options.seed)
        var report = ExperimentReport(title: "Hidden units (section 6.3)")
        report.markdown.paragraph(
            "The same MLP, 784-\(hiddenSizes.map(String.init).joined(separator: "-"))-10, with each hidden unit in turn; "
                + "\(data.description); Adam (learning rate 10⁻³), minibatches of 128, \(epochs) epochs, seed \(options.seed). "
                + "Dense layers use He-uniform weights for ReLU and absolute value and Glorot-uniform otherwise; the parametric "
                + "ReLU's affine layer uses He-uniform and its slopes start at 0.25; maxout takes the maximum of 2 pieces, so "
                + "its affine layers have twice the weights. Time is the wall time of training on this machine.")
        let best = rows.map(\.accuracy).max() ?? 0
        report.markdown.table(
            header: ["hidden unit", "test accuracy", "training time (s)", "parameters"],
            rows: rows.map { [$0.unit.name, String(format: "%.4f", $0.accuracy), String(format: "%.1f", $0.seconds), String($0.parameterCount)] })
        let cos = rows.first { $0.unit == .cos }
        if let cos {
            let chance = 0.1
            let verdict = cos.accuracy >= best
                ? "it is the best unit in this run."
                : cos.accuracy > best - 0.03 ? "it works, within a few points of the best." : "it trains, but trails the best units."
            report.markdown.paragraph(
                "The book reports (section 6.3.3) that h = cos(Wx + b) reached an error rate below 1% on MNIST, one of many "
                    + "unpublished units that perform comparably to the usual ones. Here cos reaches \(String(format: "%.4f", cos.accuracy)) "
                    + "against \(String(format: "%.4f", best)) for the best unit and \(chance) for chance: " + verdict)
        }
        let floor = Swift.max(0, ((rows.map(\.accuracy).min() ?? 0) - 0.05) * 20).rounded(.down) / 20
        report.addFigure(
            "hidden-units-accuracy",
            svg: barChart(title: "Test accuracy by hidden unit", valueLabel: "test accuracy (axis starts at \(floor))",
                labels: rows.map(\.unit.name), values: rows.map(\.accuracy), lowerBound: floor),
            caption: "Test accuracy of the same MLP with each hidden unit.")
        report.addFigure(
            "hidden-units-time",
            svg: barChart(title: "Training time by hidden unit", valueLabel: "training time (s)",
                labels: rows.map(\.unit.name), values: rows.map(\.seconds)),
            caption: "Wall time of training with each hidden unit.")
        for row in rows { report.key("accuracy, \(row.unit.name)", String(format: "%.4f", row.accuracy)) }
        return report
    }
}
