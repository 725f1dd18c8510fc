import Testing
@testable import Feedforward

/// `layer` as a function of its input and parameters, in visiting order: `f([x, p₀, p₁, …])`.
func layerFunction<L: Layer>(_ layer: L) -> ([Tensor<Double>]) -> Tensor<Double> where L.Scalar == Double {
    { inputs in
        var copy = layer
        var index = 1
        copy.visitParameters { _, parameter in
            parameter = inputs[index]
            index += 1
        }
        return copy(inputs[0])
    }
}

/// The input followed by the layer's parameters, the point `layerFunction` is checked at.
func layerPoint<L: Layer>(_ layer: L, input: Tensor<Double>) -> [Tensor<Double>] where L.Scalar == Double {
    [input] + layer.parameters.map(\.value)
}

/// Checks `layer` as a function of its input and every parameter with the operation-check harness
/// (`expectOperationChecks`): first derivatives, forward mode and capture replay, and with
/// `secondOrder` the second derivatives and reverse over forward.
func expectLayerGradients<L: Layer>(
    _ layer: L, input: Tensor<Double>, secondOrder: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
) where L.Scalar == Double {
    expectOperationChecks(
        "\(L.self)", at: layerPoint(layer, input: input), smooth: secondOrder, composed: false, sourceLocation: sourceLocation,
        layerFunction(layer))
}

/// A small 3-4-4-3 classifier in Double with a residual block: Dense(tanh), Residual(Dense(`residual`)), Dense.
func smallResidualClassifier(seed: UInt64, residual: Activation) -> Sequential<Double> {
    var generator = SeededRandomNumberGenerator(seed: seed)
    return Sequential<Double> {
        Dense<Double>(inputSize: 3, outputSize: 4, activation: .tanh, generator: &generator)
        Residual(Dense<Double>(inputSize: 4, outputSize: 4, activation: residual, generator: &generator))
        Dense<Double>(inputSize: 4, outputSize: 3, generator: &generator)
    }
}

/// Seeded normal values.
func randomTensor(_ shape: [Int], seed: UInt64, standardDeviation: Double = 1, mean: Double = 0) -> Tensor<Double> {
    var generator = SeededRandomNumberGenerator(seed: seed)
    return .randomNormal(shape: shape, mean: mean, standardDeviation: standardDeviation, using: &generator)
}

/// The smallest `|z - k|` over elements `z` and kinks `k`: how far a piecewise unit's inputs are
/// from its non-differentiable points.
func distanceToKinks(_ z: Tensor<Double>, _ kinks: [Double]) -> Double {
    z.scalars.map { value in kinks.map { Swift.abs(value - $0) }.min() ?? .infinity }.min() ?? .infinity
}
