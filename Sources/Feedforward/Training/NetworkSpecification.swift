/// The output unit and the cost it is trained with (the table of section 6.2.2).
public enum OutputUnit: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Softmax over classes with the multinoulli negative log-likelihood (cross-entropy on logits).
    case softmax
    /// One sigmoid unit with the Bernoulli negative log-likelihood (binary cross-entropy on logits).
    case sigmoid
    /// Linear units with the Gaussian negative log-likelihood of fixed variance (mean squared error).
    case linear
    /// Linear units trained with mean absolute error (predicts the conditional median).
    case linearAbsolute
    /// A mixture density network with `components` Gaussian components.
    case mixtureDensity(components: Int)

    /// Parses `softmax`, `sigmoid`, `linear`/`mse`, `mae`, `mdn:K`.
    public init?(name: String) {
        let parts = name.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch (parts.first ?? "", parts.count) {
        case ("softmax", 1): self = .softmax
        case ("sigmoid", 1): self = .sigmoid
        case ("linear", 1), ("mse", 1): self = .linear
        case ("mae", 1), ("linear-mae", 1): self = .linearAbsolute
        case ("mdn", 2), ("mixture-density", 2):
            guard let k = Int(parts[1]), k >= 1 else { return nil }
            self = .mixtureDensity(components: k)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .softmax: return "softmax"
        case .sigmoid: return "sigmoid"
        case .linear: return "linear"
        case .linearAbsolute: return "mae"
        case .mixtureDensity(let k): return "mdn:\(k)"
        }
    }

    /// Whether the unit predicts classes.
    public var isClassifier: Bool { self == .softmax || self == .sigmoid }

    /// The number of network outputs for `targetSize` classes or target dimensions.
    public func outputSize(targetSize: Int) -> Int {
        switch self {
        case .softmax: return targetSize
        case .sigmoid: return 1
        case .linear, .linearAbsolute: return targetSize
        case .mixtureDensity(let k): return MixtureDensityParameters<Float>.outputSize(componentCount: k, targetSize: targetSize)
        }
    }

    /// The cost of raw network outputs against targets (a mean over the batch).
    public func loss<S>(outputs: Tensor<S>, targets: SupervisedTargetsBatch<S>) -> Tensor<S> {
        switch (self, targets) {
        case (.softmax, .classes(let labels)):
            return crossEntropy(logits: outputs, labels: labels)
        case (.sigmoid, .classes(let labels)):
            return binaryCrossEntropy(logits: outputs, labels: Tensor(shape: [labels.count, 1], scalars: labels.map { S($0) }))
        case (.linear, .values(let values)):
            return meanSquaredError(predictions: outputs, targets: values)
        case (.linearAbsolute, .values(let values)):
            return meanAbsoluteError(predictions: outputs, targets: values)
        case (.mixtureDensity(let k), .values(let values)):
            return MixtureDensityParameters(rawOutputs: outputs, componentCount: k, targetSize: values.shape[1])
                .negativeLogLikelihood(targets: values)
        default:
            preconditionFailure("loss: output unit \(self) does not fit these targets")
        }
    }

    /// Point predictions from raw outputs: class scores (logits) for classifiers, values otherwise
    /// (the most probable mode for a mixture density network).
    public func predictions<S>(outputs: Tensor<S>, targetSize: Int) -> Tensor<S> {
        switch self {
        case .softmax, .linear, .linearAbsolute: return outputs
        case .sigmoid: return concatenate([Tensor<S>.zeros(like: outputs), outputs], alongAxis: 1)
        case .mixtureDensity(let k):
            return MixtureDensityParameters(rawOutputs: outputs, componentCount: k, targetSize: targetSize).mostProbableMode()
        }
    }
}

/// Targets of one minibatch in the element type of the network.
public enum SupervisedTargetsBatch<S: TensorScalar>: Sendable {
    /// The class of each example of the batch.
    case classes([Int])
    /// The real-valued targets of the batch, `[batch, targetSize]`.
    case values(Tensor<S>)
}

/// A hidden unit of a network specification: an element-wise ``Activation``, or one of the units
/// with parameters or a different width (parametric ReLU, maxout).
public enum HiddenUnit: Sendable, Equatable, CustomStringConvertible {
    /// An element-wise unit.
    case activation(Activation)
    /// ReLU with a learned slope per unit for negative inputs (6.3.1).
    case parametricReLU
    /// The maximum of `pieces` affine units (eq. 6.37).
    case maxout(pieces: Int)

    /// Parses an ``Activation`` name, `prelu`, or `maxout:K`.
    public init?(name: String) {
        let lowered = name.lowercased()
        if lowered == "prelu" || lowered == "parametric-relu" {
            self = .parametricReLU
        } else if lowered.hasPrefix("maxout:") {
            guard let pieces = Int(lowered.dropFirst("maxout:".count)), (1...64).contains(pieces) else { return nil }
            self = .maxout(pieces: pieces)
        } else if let activation = Activation(name: name) {
            self = .activation(activation)
        } else {
            return nil
        }
    }

    /// The names ``init(name:)`` accepts.
    public static let names = Activation.names + ["prelu", "maxout:K"]

    public var description: String {
        switch self {
        case .activation(let activation): return activation.description
        case .parametricReLU: return "prelu"
        case .maxout(let pieces): return "maxout:\(pieces)"
        }
    }
}

/// A multilayer perceptron described by its sizes and units: enough to rebuild it from a file.
public struct NetworkSpecification: Sendable, Equatable, Codable {
    /// The number of input features.
    public var inputSize: Int
    /// The width of each hidden layer, from the input side (empty for a linear model).
    public var hiddenSizes: [Int]
    /// The hidden unit's name as ``HiddenUnit/init(name:)`` accepts it.
    public var activation: String
    /// The output unit and the cost it is trained with.
    public var output: OutputUnit
    /// Classes for classifiers, target dimensions for regression.
    public var targetSize: Int
    /// Whether the output layer also sees the inputs, beside the last hidden layer ("wide and deep",
    /// see ``InputBeside``): the network is then a linear model of the inputs plus a deep network,
    /// and a table whose targets are nearly linear in the features is fitted by the linear part
    /// without the hidden units having to imitate it. Ignored without hidden layers.
    public var linearPath: Bool

    /// A network whose hidden layers use the element-wise unit `activation`.
    public init(
        inputSize: Int, hiddenSizes: [Int], activation: Activation, output: OutputUnit, targetSize: Int, linearPath: Bool = false
    ) {
        self.init(
            inputSize: inputSize, hiddenSizes: hiddenSizes, hiddenUnit: .activation(activation), output: output,
            targetSize: targetSize, linearPath: linearPath)
    }

    /// A network whose hidden layers use `hiddenUnit` (an activation, parametric ReLU or maxout).
    public init(
        inputSize: Int, hiddenSizes: [Int], hiddenUnit: HiddenUnit, output: OutputUnit, targetSize: Int, linearPath: Bool = false
    ) {
        self.inputSize = inputSize
        self.hiddenSizes = hiddenSizes
        self.activation = hiddenUnit.description
        self.output = output
        self.targetSize = targetSize
        self.linearPath = linearPath
    }

    /// Decodes a specification; one written before ``linearPath`` existed has none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        inputSize = try container.decode(Int.self, forKey: .inputSize)
        hiddenSizes = try container.decode([Int].self, forKey: .hiddenSizes)
        activation = try container.decode(String.self, forKey: .activation)
        output = try container.decode(OutputUnit.self, forKey: .output)
        targetSize = try container.decode(Int.self, forKey: .targetSize)
        linearPath = try container.decodeIfPresent(Bool.self, forKey: .linearPath) ?? false
    }

    /// Whether the built network has the linear path (``linearPath`` with at least one hidden layer).
    var hasLinearPath: Bool { linearPath && !hiddenSizes.isEmpty }

    /// The hidden unit, or nil if the stored name is unknown.
    public var hiddenUnit: HiddenUnit? { HiddenUnit(name: activation) }

    /// Builds the network with freshly initialised parameters. With ``linearPath`` the hidden layers
    /// are wrapped in an ``InputBeside`` (parameters `0.body.<i>.weight`) and the output layer
    /// (`1.weight`) takes the last hidden width plus the inputs.
    public func makeModel(generator: inout SeededRandomNumberGenerator) -> Sequential<Float> {
        let unit = hiddenUnit ?? .activation(.relu)
        var layers: [any Layer<Float>] = []
        var width = inputSize
        for size in hiddenSizes {
            switch unit {
            case .activation(let activation):
                layers.append(Dense<Float>(inputSize: width, outputSize: size, activation: activation, generator: &generator))
            case .parametricReLU:
                layers.append(Dense<Float>(
                    inputSize: width, outputSize: size, weightInitializer: .heUniform, biasInitializer: .constant(0.1),
                    generator: &generator))
                layers.append(PReLU<Float>(featureCount: size))
            case .maxout(let pieces):
                layers.append(Maxout<Float>(inputSize: width, outputSize: size, pieces: pieces, generator: &generator))
            }
            width = size
        }
        if hasLinearPath {
            layers = [InputBeside(Sequential(layers))]
            width += inputSize
        }
        layers.append(Dense<Float>(inputSize: width, outputSize: output.outputSize(targetSize: targetSize), generator: &generator))
        return Sequential(layers)
    }
}
