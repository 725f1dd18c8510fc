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
