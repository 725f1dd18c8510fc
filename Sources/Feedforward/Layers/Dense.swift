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
