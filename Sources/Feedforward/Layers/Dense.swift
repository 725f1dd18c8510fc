/// A fully connected (affine) layer followed by a hidden unit: `h = g(x Wᵀ + b)`, the book's
/// `h = g(Wᵀx + c)` for a batch of row vectors.
///
/// `weight` has shape `[outputSize, inputSize]` and `bias` shape `[outputSize]`: the layout of
/// PyTorch's `nn.Linear`, so saved weights move between the two unchanged.
public struct Dense<Scalar: TensorScalar>: Layer {
    /// The weights `W`, `[outputSize, inputSize]` (as PyTorch's `nn.Linear`).
    public var weight: Tensor<Scalar>
    /// The biases `b`, `[outputSize]`, or nil for a layer without them.
    public var bias: Tensor<Scalar>?
    /// The unit `g` applied to `x Wᵀ + b`.
    public var activation: Activation

    /// A layer with given parameters.
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil, activation: Activation = .identity) {
        precondition(weight.rank == 2, "Dense: weight must have rank 2, got \(weight.shape)")
        precondition(bias == nil || bias!.shape == [weight.shape[0]], "Dense: bias shape \(bias!.shape) does not match weight \(weight.shape)")
        self.weight = weight
        self.bias = bias
        self.activation = activation
    }

    /// A layer with initialised parameters. By default weights are He-uniform for rectifiers and
    /// Glorot-uniform otherwise; biases are 0.1 for rectifiers (6.3.1: ReLU, absolute value, leaky,
    /// generalised, ELU) and 0 otherwise.
    public init(
        inputSize: Int, outputSize: Int, activation: Activation = .identity, usesBias: Bool = true,
        weightInitializer: Initializer? = nil, biasInitializer: Initializer? = nil,
        generator: inout SeededRandomNumberGenerator
    ) {
        precondition(inputSize > 0 && outputSize > 0, "Dense: sizes must be positive, got \(inputSize) → \(outputSize)")
        let rectifier: Bool
        switch activation {
        case .relu, .absoluteValue, .leakyReLU, .generalizedReLU, .elu: rectifier = true
        default: rectifier = false
        }
        let weightInitializer = weightInitializer ?? (rectifier ? .heUniform : .glorotUniform)
        weight = weightInitializer.makeTensor(shape: [outputSize, inputSize], fanIn: inputSize, fanOut: outputSize, generator: &generator)
        bias = usesBias
            ? (biasInitializer ?? (rectifier ? .constant(0.1) : .zeros)).makeTensor(
                shape: [outputSize], fanIn: inputSize, fanOut: outputSize, generator: &generator)
            : nil
        self.activation = activation
    }

    /// The number of inputs per example.
    public var inputSize: Int { weight.shape[1] }
    /// The number of outputs per example.
    public var outputSize: Int { weight.shape[0] }

    /// The width of the inputs: ``inputSize``.
    public var inputWidth: Int? { inputSize }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(input.shape.last == inputSize,
            "Dense layer (\(inputSize) → \(outputSize)) takes inputs of width \(inputSize), got a batch of shape \(input.shape)")
        guard input.rank == 2, bias?.rank ?? 1 == 1 else {
            let affine = matmul(input, weight, transposeB: true)
            return activation(bias.map { affine + $0 } ?? affine)
        }
        // x·Wᵀ + b as one operation: the bias fills the output and the product accumulates into it.
        return activation(sumOfProducts([MatrixProduct(a: input, b: weight, transposeB: true)], plus: bias))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        try body(parameterName(prefix, "weight"), &weight)
        if bias != nil { try body(parameterName(prefix, "bias"), &bias!) }
    }
}

/// A hidden unit as a layer without parameters.
public struct ActivationLayer<Scalar: TensorScalar>: Layer {
    /// The unit applied to every element.
    public var activation: Activation

    /// A layer that applies `activation`.
    public init(_ activation: Activation) { self.activation = activation }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { activation(input) }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {}
}

/// Layers applied one after another. Parameters are named by position: `"0.weight"`, `"1.bias"`.
public struct Sequential<Scalar: TensorScalar>: Layer {
    /// The layers, applied in order; parameters are named by index (`"0.weight"`).
    public var layers: [any Layer<Scalar>]

    /// A model applying `layers` in order.
    public init(_ layers: [any Layer<Scalar>]) { self.layers = layers }

    /// A model applying the layers the builder lists, in order.
    public init(@LayerBuilder<Scalar> _ build: () -> [any Layer<Scalar>]) { layers = build() }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        var output = input
        for index in layers.indices {
            if let width = layers[index].inputWidth, output.shape.last != width {
                preconditionFailure(InputWidthError(layer: layerName(index), expectedWidth: width, shape: output.shape).description)
            }
            output = layers[index](output)
        }
        return output
    }

    /// The width of the inputs: the first layer's.
    public var inputWidth: Int? { layers.first?.inputWidth }

    /// Checks, before anything runs, that a batch of `shape` fits the first layer.
    /// - Throws: ``InputWidthError`` naming the layer and the width it takes.
    public func checkInput(shape: [Int]) throws(InputWidthError) {
        if let width = inputWidth, shape.last != width {
            throw InputWidthError(layer: layerName(0), expectedWidth: width, shape: shape)
        }
    }

    func layerName(_ index: Int) -> String { "layer \(index) (\(type(of: layers[index])))" }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        for index in layers.indices {
            try layers[index].visitParameters(prefix: parameterName(prefix, String(index)), body)
        }
    }
}

/// Builds the layer list of a ``Sequential`` from a block of layers.
@resultBuilder
public enum LayerBuilder<Scalar: TensorScalar> {
    /// One layer.
    public static func buildExpression(_ layer: any Layer<Scalar>) -> [any Layer<Scalar>] { [layer] }
    /// The layers of a block, in order.
    public static func buildBlock(_ parts: [any Layer<Scalar>]...) -> [any Layer<Scalar>] { parts.flatMap { $0 } }
    /// The layers of a `for` loop, in order.
    public static func buildArray(_ parts: [[any Layer<Scalar>]]) -> [any Layer<Scalar>] { parts.flatMap { $0 } }
    /// The layers of an `if` without `else`, or none.
    public static func buildOptional(_ part: [any Layer<Scalar>]?) -> [any Layer<Scalar>] { part ?? [] }
    /// The layers of the first branch.
    public static func buildEither(first: [any Layer<Scalar>]) -> [any Layer<Scalar>] { first }
    /// The layers of the second branch.
    public static func buildEither(second: [any Layer<Scalar>]) -> [any Layer<Scalar>] { second }
}

/// A skip (residual) connection, section 6.4.2: `y = x + body(x)`. The body must keep the shape.
public struct Residual<Body: Layer>: Layer {
    /// The element type of the wrapped layer.
    public typealias Scalar = Body.Scalar
    /// The wrapped layer; its parameters are named `body.<name>`.
    public var body: Body

    /// `body` with its input added to its output.
    public init(_ body: Body) { self.body = body }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let output = body(input)
        precondition(output.shape == input.shape, "Residual: body maps \(input.shape) to \(output.shape)")
        return input + output
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        try body.visitParameters(prefix: parameterName(prefix, "body"), visit)
    }
}

/// A layer whose intermediate results are recomputed during back-propagation instead of stored
/// (see ``checkpointed(_:_:)-([Tensor<S>],_)``): same outputs and gradients, less memory.
public struct Checkpointed<Body: Layer>: Layer {
    /// The element type of the wrapped layer.
    public typealias Scalar = Body.Scalar
    /// The wrapped layer; its parameters are named `body.<name>`.
    public var body: Body

    /// `body`, recomputed during back-propagation instead of storing its intermediate results.
    public init(_ body: Body) { self.body = body }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let parameters = body.parameters.map(\.value)
        let template = body
        return checkpointed([input] + parameters) { inputs in
            var layer = template
            var index = 1
            layer.visitParameters { _, parameter in
                parameter = inputs[index]
                index += 1
            }
            return layer(inputs[0])
        }
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        try body.visitParameters(prefix: prefix, visit)
    }
}
