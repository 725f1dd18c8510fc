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
