/// How a parameter tensor is filled before training (section 6.3.1 and the Glorot/He schemes).
public enum Initializer: Sendable, Equatable {
    /// Glorot (Xavier) uniform: U(±√(6 / (fanIn + fanOut))).
    case glorotUniform
    /// Glorot normal: N(0, 2 / (fanIn + fanOut)).
    case glorotNormal
    /// He uniform: U(±√(6 / fanIn)), for ReLU units.
    case heUniform
    /// He normal: N(0, 2 / fanIn), for ReLU units.
    case heNormal
    /// Small random normal values N(0, σ²).
    case normal(standardDeviation: Double)
    /// Every element the same value (0.1 for ReLU biases keeps units active at the start, 6.3.1).
    case constant(Double)

    /// All zeros.
    public static let zeros = Initializer.constant(0)

    /// A tensor of `shape` initialised for a layer with the given fans.
    public func makeTensor<S: TensorScalar>(
        shape: [Int], fanIn: Int, fanOut: Int, generator: inout SeededRandomNumberGenerator
    ) -> Tensor<S> {
        switch self {
        case .glorotUniform:
            let limit = S((6 / Double(Swift.max(1, fanIn + fanOut))).squareRoot())
            return .randomUniform(shape: shape, lower: -limit, upper: limit, using: &generator)
        case .glorotNormal:
            let deviation = S((2 / Double(Swift.max(1, fanIn + fanOut))).squareRoot())
            return .randomNormal(shape: shape, standardDeviation: deviation, using: &generator)
        case .heUniform:
            let limit = S((6 / Double(Swift.max(1, fanIn))).squareRoot())
            return .randomUniform(shape: shape, lower: -limit, upper: limit, using: &generator)
        case .heNormal:
            let deviation = S((2 / Double(Swift.max(1, fanIn))).squareRoot())
            return .randomNormal(shape: shape, standardDeviation: deviation, using: &generator)
        case .normal(let deviation):
            return .randomNormal(shape: shape, standardDeviation: S(deviation), using: &generator)
        case .constant(let value):
            return Tensor(repeating: S(value), shape: shape)
        }
    }
}
