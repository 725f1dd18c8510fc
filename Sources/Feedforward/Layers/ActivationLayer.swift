/// A hidden unit as a layer without parameters.
public struct ActivationLayer<Scalar: TensorScalar>: Layer {
    /// The unit applied to every element.
    public var activation: Activation

    /// A layer that applies `activation`.
    public init(_ activation: Activation) { self.activation = activation }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { activation(input) }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Scalar>) throws -> Void) rethrows {}
}
