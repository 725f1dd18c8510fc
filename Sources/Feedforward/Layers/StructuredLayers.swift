import RealModule

/// A dense layer whose weight matrix has rank at most `rank`: `W = V U`, so `h = g((x Uᵀ) Vᵀ + b)`
/// (the rank-reducing linear transformation of section 6.3.3). It has `rank·(in + out)` weights
/// instead of `in·out`.
public struct LowRankDense<Scalar: TensorScalar>: Layer {
    /// `[rank, inputSize]`
    public var down: Tensor<Scalar>
    /// `[outputSize, rank]`
    public var up: Tensor<Scalar>
    /// The biases, `[outputSize]`.
    public var bias: Tensor<Scalar>
    /// The unit applied to the affine result.
    public var activation: Activation

    /// A layer of `rank·(inputSize + outputSize)` Glorot-uniform weights and zero biases.
    public init(
        inputSize: Int, outputSize: Int, rank: Int, activation: Activation = .identity,
        generator: inout SeededRandomNumberGenerator
    ) {
        precondition(rank > 0 && rank <= Swift.min(inputSize, outputSize), "LowRankDense: rank \(rank) must be in 1...\(Swift.min(inputSize, outputSize))")
        down = Initializer.glorotUniform.makeTensor(shape: [rank, inputSize], fanIn: inputSize, fanOut: rank, generator: &generator)
        up = Initializer.glorotUniform.makeTensor(shape: [outputSize, rank], fanIn: rank, fanOut: outputSize, generator: &generator)
        bias = .zeros(shape: [outputSize])
        self.activation = activation
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        activation(matmul(matmul(input, down, transposeB: true), up, transposeB: true) + bias)
    }

    /// The width of the inputs.
    public var inputWidth: Int? { down.shape[1] }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        try body(parameterName(prefix, "down"), &down)
        try body(parameterName(prefix, "up"), &up)
        try body(parameterName(prefix, "bias"), &bias)
    }
}

/// A sparsely connected dense layer (section 6.4.2): each output sees only the inputs its fixed
/// connectivity mask allows, `h = g(x (W ⊙ M)ᵀ + b)`. The mask is not a parameter.
public struct SparseDense<Scalar: TensorScalar>: Layer {
    /// The weights, `[outputSize, inputSize]`; entries where the mask is 0 have no effect.
    public var weight: Tensor<Scalar>
    /// The biases, `[outputSize]`.
    public var bias: Tensor<Scalar>
    /// `[outputSize, inputSize]` of zeros and ones.
    public let mask: Tensor<Scalar>
    /// The unit applied to the affine result.
    public var activation: Activation

    /// A layer whose mask keeps each connection with probability `density` (at least one per output).
    public init(
        inputSize: Int, outputSize: Int, density: Double, activation: Activation = .identity,
        generator: inout SeededRandomNumberGenerator
    ) {
        precondition(density > 0 && density <= 1, "SparseDense: density \(density) must be in (0, 1]")
        var maskValues = [Scalar](repeating: 0, count: inputSize * outputSize)
        for row in 0..<outputSize {
            for column in 0..<inputSize where generator.nextDouble() < density { maskValues[row * inputSize + column] = 1 }
            maskValues[row * inputSize + generator.nextInt(below: inputSize)] = 1
        }
        self.init(
            mask: Tensor(shape: [outputSize, inputSize], scalars: maskValues), activation: activation, generator: &generator)
    }

    /// A layer with a given `[outputSize, inputSize]` mask of zeros and ones.
    public init(mask: Tensor<Scalar>, activation: Activation = .identity, generator: inout SeededRandomNumberGenerator) {
        precondition(mask.rank == 2, "SparseDense: mask must have rank 2, got \(mask.shape)")
        let fanIn = Swift.max(1, Int(mask.sum().scalar) / Swift.max(1, mask.shape[0]))
        self.mask = mask.detached()
        weight = Initializer.heUniform.makeTensor(shape: mask.shape, fanIn: fanIn, fanOut: mask.shape[0], generator: &generator) * mask
        bias = .zeros(shape: [mask.shape[0]])
        self.activation = activation
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        activation(matmul(input, weight * mask, transposeB: true) + bias)
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        try body(parameterName(prefix, "weight"), &weight)
        try body(parameterName(prefix, "bias"), &bias)
    }
}

/// Maxout units (eq. 6.37): an affine map to `outputSize × pieces` values, then the maximum of each
/// group of `pieces`.
public struct Maxout<Scalar: TensorScalar>: Layer {
    /// The affine map to `outputSize · pieces` values, grouped by unit.
    public var affine: Dense<Scalar>
    /// The number of affine pieces each unit takes the maximum of.
    public let pieces: Int

    /// `outputSize` maxout units of `pieces` pieces each, with Glorot-uniform weights.
    public init(inputSize: Int, outputSize: Int, pieces: Int, generator: inout SeededRandomNumberGenerator) {
        precondition(pieces >= 1, "Maxout: pieces must be at least 1")
        affine = Dense(inputSize: inputSize, outputSize: outputSize * pieces, generator: &generator)
        self.pieces = pieces
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let z = affine(input)
        let outputSize = affine.outputSize / pieces
        return z.reshaped(to: Array(z.shape.dropLast()) + [outputSize, pieces]).max(alongAxes: [-1])
    }

    /// The width of the inputs.
    public var inputWidth: Int? { affine.inputSize }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        try affine.visitParameters(prefix: prefix, body)
    }
}

/// Parametric ReLU: `max(0, z) + α·min(0, z)` with one learned α per feature (6.3.1).
public struct PReLU<Scalar: TensorScalar>: Layer {
    /// The learned slope of each feature for negative inputs, `[featureCount]`.
    public var slope: Tensor<Scalar>

    /// Parametric ReLU units for `featureCount` features, every slope starting at `initialSlope`.
    public init(featureCount: Int, initialSlope: Scalar = 0.25) {
        slope = Tensor(repeating: initialSlope, shape: [featureCount])
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        relu(input) - relu(-input) * slope
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        try body(parameterName(prefix, "slope"), &slope)
    }
}

/// Radial basis function units (6.3.3): `hᵢ = exp(-‖x - cᵢ‖² / σᵢ²)`, with learned centres `cᵢ` and
/// widths (stored as `logPrecision = -log σᵢ²` so the width stays positive).
public struct RadialBasis<Scalar: TensorScalar>: Layer {
    /// `[unitCount, inputSize]`
    public var centers: Tensor<Scalar>
    /// `[unitCount]`
    public var logPrecision: Tensor<Scalar>

    /// `unitCount` units with centres drawn uniformly from [-1, 1] and unit widths.
    public init(inputSize: Int, unitCount: Int, generator: inout SeededRandomNumberGenerator) {
        centers = .randomNormal(shape: [unitCount, inputSize], using: &generator)
        logPrecision = .zeros(shape: [unitCount])
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        // ‖x - c‖² = ‖x‖² - 2 x·c + ‖c‖², for all pairs at once.
        let squaredDistance = square(input).sum(alongAxes: [-1], keepingDimensions: true)
            - matmul(input, centers, transposeB: true) * 2 + square(centers).sum(alongAxes: [-1])
        return exp(-relu(squaredDistance) * exp(logPrecision))
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        try body(parameterName(prefix, "centers"), &centers)
        try body(parameterName(prefix, "logPrecision"), &logPrecision)
    }
}

/// Dropout: in training mode, each element is zeroed with probability `probability` and the rest
/// scaled by `1 / (1 - probability)`; in inference mode it is the identity.
public struct Dropout<Scalar: TensorScalar>: Layer {
    /// The probability of zeroing each element in training mode, in [0, 1).
    public var probability: Double

    /// Dropout with drop probability `probability`.
    public init(probability: Double) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability \(probability) must be in [0, 1)")
        self.probability = probability
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        guard probability > 0, let box = LearningPhase.trainingGenerator else { return input }
        let keep = 1 - probability
        let mask = Tensor<Scalar>.randomUniform(shape: input.shape, using: &box.generator) .>= Tensor(Scalar(probability))
        return input * mask * Scalar(1 / keep)
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {}
}
