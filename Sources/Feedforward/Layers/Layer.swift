/// A differentiable building block of a network: a value with parameters that maps a batch of inputs
/// to a batch of outputs.
///
/// Layers are values (copying a model copies its parameters, lazily). Parameters are enumerated by
/// name (`"0.weight"`, `"2.bias"`) for optimizers, freezing and serialization.
///
/// ```swift
/// var generator = SeededRandomNumberGenerator(seed: 42)
/// let model = Sequential<Float> {
///     Dense(inputSize: 784, outputSize: 256, activation: .relu, generator: &generator)
///     Dense(inputSize: 256, outputSize: 10, generator: &generator)
/// }
/// let logits = model(images)
/// ```
public protocol Layer<Scalar>: Sendable {
    /// The element type of the layer's parameters, inputs and outputs.
    associatedtype Scalar: TensorScalar

    /// The layer applied to a batch (the first dimension indexes examples).
    func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar>

    /// Calls `body` with the name and storage of each parameter, in a fixed order. Names are
    /// prefixed with `prefix`. Assigning through `body` updates the layer.
    mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows

    /// The width (last dimension) of the inputs the layer takes, or nil when it takes any width.
    /// ``Sequential`` checks it before running each layer.
    var inputWidth: Int? { get }
}

/// A batch whose width does not fit the layer it is fed to.
public struct InputWidthError: Error, Equatable, CustomStringConvertible {
    /// The layer, by position and type (`layer 0 (Dense<Float>)`).
    public var layer: String
    /// The width the layer takes.
    public var expectedWidth: Int
    /// The shape of the batch it was given.
    public var shape: [Int]

    public var description: String {
        "\(layer) takes inputs of width \(expectedWidth), got a batch of shape \(shape)"
    }
}

extension Layer {
    /// Takes any width unless the layer says otherwise.
    public var inputWidth: Int? { nil }

    /// Names and values of all parameters, in visiting order.
    public var parameters: [(name: String, value: Tensor<Scalar>)] {
        var copy = self
        var result: [(String, Tensor<Scalar>)] = []
        copy.visitParameters(prefix: "") { name, value in result.append((name, value)) }
        return result
    }

    /// The total number of scalar parameters.
    public var parameterCount: Int { parameters.map(\.value.scalarCount).reduce(0, +) }

    /// Calls `body` for each parameter without a prefix.
    public mutating func visitParameters(_ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        try visitParameters(prefix: "", body)
    }

    /// Replaces parameters by name; every parameter must be present with its shape, otherwise
    /// nothing is changed.
    public mutating func loadParameters(_ values: [String: Tensor<Scalar>]) throws(ParameterLoadingError) {
        var missing: [String] = []
        var mismatched: [(String, [Int], [Int])] = []
        for (name, parameter) in parameters {
            guard let value = values[name] else { missing.append(name); continue }
            if value.shape != parameter.shape { mismatched.append((name, parameter.shape, value.shape)) }
        }
        if let name = missing.first { throw .missing(name: name) }
        if let (name, expected, actual) = mismatched.first { throw .shapeMismatch(name: name, expected: expected, actual: actual) }
        visitParameters(prefix: "") { name, parameter in parameter = values[name]!.detached() }
    }
}

/// Why parameters could not be loaded into a model.
public enum ParameterLoadingError: Error, Equatable, CustomStringConvertible {
    /// The model has a parameter called `name` that the values do not.
    case missing(name: String)
    /// The value for parameter `name` has shape `actual`, the model's parameter `expected`.
    case shapeMismatch(name: String, expected: [Int], actual: [Int])
    /// The stored tensor is not floating-point (an integer or BOOL dtype such as `I64`).
    case unsupportedDataType(name: String, dtype: String)
    /// The file holds tensors the model has no parameter for (a strict load refuses them).
    case unexpected(names: [String])

    public var description: String {
        switch self {
        case .missing(let name): return "parameter '\(name)' is missing"
        case .shapeMismatch(let name, let expected, let actual):
            return "parameter '\(name)' has shape \(actual), the model needs \(expected)"
        case .unsupportedDataType(let name, let dtype):
            return "parameter '\(name)' is stored as \(dtype), not a floating-point type"
        case .unexpected(let names):
            let listed = names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            return "the file holds \(names.count) tensor(s) the model has no parameter for: \(listed)\(names.count > 5 ? ", …" : "")"
                + " (load with strict: false to ignore them)"
        }
    }
}

/// Joins a parameter name to its prefix with a dot (`parameterName("1", "bias")` is `"1.bias"`,
/// `parameterName("", "bias")` is `"bias"`): what a layer's ``Layer/visitParameters(prefix:_:)``
/// passes to its sublayers and to `body`.
public func parameterName(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : prefix + "." + name
}

/// Whether the network runs in training mode (dropout active) and the randomness it uses there.
public enum LearningPhase {
    final class GeneratorBox: @unchecked Sendable {
        var generator: SeededRandomNumberGenerator
        init(_ generator: SeededRandomNumberGenerator) { self.generator = generator }
    }

    @TaskLocal static var trainingGenerator: GeneratorBox?

    /// Whether layers run in training mode in the current context.
    public static var isTraining: Bool { trainingGenerator != nil }

    /// Runs `body` in training mode, drawing randomness (dropout masks) from `generator`, and
    /// leaves `generator` advanced past what was drawn.
    public static func training<R>(using generator: inout SeededRandomNumberGenerator, _ body: () throws -> R) rethrows -> R {
        let box = GeneratorBox(generator)
        defer { generator = box.generator }
        return try $trainingGenerator.withValue(box, operation: body)
    }
}
