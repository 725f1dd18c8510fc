/// A layer's output with its own input beside it: `[body(x), x]` along the last axis, so that the
/// next layer sees both. Followed by a ``Dense`` layer, this is the "wide and deep" model of Cheng et
/// al. (2016): the network's output is `W₁·body(x) + W₂·x + b`, a linear model of the inputs with a
/// deep network beside it. ``NetworkSpecification/linearPath`` builds it around the hidden layers.
///
/// ```swift
/// let model = Sequential<Float> {
///     InputBeside(Sequential<Float> { Dense(inputSize: 8, outputSize: 100, activation: .relu, generator: &generator) })
///     Dense(inputSize: 100 + 8, outputSize: 1, generator: &generator)
/// }
/// ```
public struct InputBeside<Body: Layer>: Layer {
    /// The element type of the wrapped layer.
    public typealias Scalar = Body.Scalar
    /// The wrapped layer; its parameters are named `body.<name>`.
    public var body: Body

    /// `body` with its input concatenated after its output.
    public init(_ body: Body) { self.body = body }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let output = body(input)
        precondition(output.rank == input.rank && output.shape.dropLast() == input.shape.dropLast(),
                     "InputBeside: body maps \(input.shape) to \(output.shape), which differ beyond the last axis")
        return concatenate([output, input], alongAxis: input.rank - 1)
    }

    /// The width of the inputs: the body's.
    public var inputWidth: Int? { body.inputWidth }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Tensor<Scalar>) throws -> Void) rethrows {
        try body.visitParameters(prefix: parameterName(prefix, "body"), visit)
    }
}
