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
