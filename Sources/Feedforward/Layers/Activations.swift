import RealModule

// Hidden units (section 6.3) as functions. Each is built from differentiable primitives, so its first
// and higher derivatives come from the primitives' rules.

/// `g(z) = max(0, z) + α·min(0, z)`: the generalised rectifier of section 6.3.1. α = 0 gives ReLU,
/// α = -1 absolute-value rectification, a small α the leaky ReLU.
public func generalizedReLU<S>(_ z: Tensor<S>, slope alpha: S) -> Tensor<S> {
    relu(z) - relu(-z) * alpha
}

/// Leaky ReLU: `max(0, z) + α·min(0, z)` with a small fixed α (0.01 by default).
public func leakyReLU<S>(_ z: Tensor<S>, slope alpha: S = 0.01) -> Tensor<S> {
    generalizedReLU(z, slope: alpha)
}

/// Absolute-value rectification `|z|` (α = -1).
public func absoluteValueReLU<S>(_ z: Tensor<S>) -> Tensor<S> { abs(z) }

/// Exponential linear unit: `z` for `z > 0`, `α(e^z - 1)` otherwise.
public func elu<S>(_ z: Tensor<S>, alpha: S = 1) -> Tensor<S> {
    relu(z) + expm1(-relu(-z)) * alpha
}

/// Hard tanh: `max(-1, min(1, z))`.
public func hardTanh<S>(_ z: Tensor<S>) -> Tensor<S> { clamp(z, min: -1, max: 1) }

/// The identity (a linear hidden unit).
public func identity<S>(_ z: Tensor<S>) -> Tensor<S> { z }

/// Gaussian error linear unit `z·Φ(z)`, with the tanh approximation used by BERT and GPT.
public func gelu<S>(_ z: Tensor<S>) -> Tensor<S> {
    let c = S.sqrt(2 / S.pi)
    return z * (tanh((z + z * z * z * 0.044715) * c) + 1) * 0.5
}

/// Sigmoid linear unit (swish) `z·σ(z)`.
public func silu<S>(_ z: Tensor<S>) -> Tensor<S> { z * sigmoid(z) }

/// A hidden unit, as a value that can be stored, parsed from a name and applied.
public enum Activation: Sendable, Equatable, CustomStringConvertible {
    /// The units without parameters: `z`, the unit step, `σ(z)`, `tanh z`, `atan z`, `max(0, z)`, `|z|`,
    /// `ln(1+eᶻ)`, `max(-1, min(1, z))`, `cos z`, GELU `z·Φ(z)` and SiLU `z·σ(z)`.
    case identity, step, sigmoid, tanh, arctan, relu, absoluteValue, softplus, hardTanh, cos, gelu, silu
    /// `max(0, z) + slope · min(0, z)` with a small fixed slope (0.01 is usual).
    case leakyReLU(slope: Double)
    /// `max(0, z) + slope · min(0, z)` with any fixed slope (-1 gives the absolute value).
    case generalizedReLU(slope: Double)
    /// `z` for `z > 0`, else `alpha · (eᶻ - 1)`.
    case elu(alpha: Double)
    /// `exp(zᵢ) / Σⱼ exp(zⱼ)` along the last axis.
    case softmax

    /// Applies the unit element-wise (softmax along the last axis).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func callAsFunction<S>(_ z: Tensor<S>) -> Tensor<S> {
        switch self {
        case .identity: return z
        case .step: return Feedforward.step(z)
        case .sigmoid: return Feedforward.sigmoid(z)
        case .tanh: return Feedforward.tanh(z)
        case .arctan: return Feedforward.atan(z)
        case .relu: return Feedforward.relu(z)
        case .absoluteValue: return Feedforward.abs(z)
        case .softplus: return Feedforward.softplus(z)
        case .hardTanh: return Feedforward.hardTanh(z)
        case .cos: return Feedforward.cos(z)
        case .gelu: return Feedforward.gelu(z)
        case .silu: return Feedforward.silu(z)
        case .leakyReLU(let slope): return Feedforward.leakyReLU(z, slope: S(slope))
        case .generalizedReLU(let slope): return Feedforward.generalizedReLU(z, slope: S(slope))
        case .elu(let alpha): return Feedforward.elu(z, alpha: S(alpha))
        case .softmax: return Feedforward.softmax(z, alongAxis: -1)
        }
    }

    /// Parses a name as the CLI accepts it: `relu`, `leaky-relu`, `leaky-relu:0.2`, `elu:1.0`, `tanh`, ….
    public init?(name: String) {
        let parts = name.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? Double(parts[1]) : nil
        if parts.count > 1 && argument == nil { return nil }
        switch parts.first ?? "" {
        case "identity", "linear": self = .identity
        case "step", "binary-step": self = .step
        case "sigmoid", "logistic": self = .sigmoid
        case "tanh": self = .tanh
        case "arctan", "atan": self = .arctan
        case "relu": self = .relu
        case "abs", "absolute-value", "absolute": self = .absoluteValue
        case "softplus": self = .softplus
        case "hard-tanh", "hardtanh": self = .hardTanh
        case "cos", "cosine": self = .cos
        case "gelu": self = .gelu
        case "silu", "swish": self = .silu
        case "leaky-relu", "leakyrelu": self = .leakyReLU(slope: argument ?? 0.01)
        case "generalized-relu": self = .generalizedReLU(slope: argument ?? 0)
        case "elu": self = .elu(alpha: argument ?? 1)
        case "softmax": self = .softmax
        default: return nil
        }
    }

    /// The names ``init(name:)`` accepts.
    public static let names = [
        "identity", "step", "sigmoid", "tanh", "arctan", "relu", "abs", "softplus", "hard-tanh", "cos", "gelu", "silu",
        "leaky-relu[:slope]", "generalized-relu[:slope]", "elu[:alpha]", "softmax",
    ]

    public var description: String {
        switch self {
        case .leakyReLU(let slope): return "leaky-relu:\(slope)"
        case .generalizedReLU(let slope): return "generalized-relu:\(slope)"
        case .elu(let alpha): return "elu:\(alpha)"
        case .identity: return "identity"
        case .step: return "step"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .arctan: return "arctan"
        case .relu: return "relu"
        case .absoluteValue: return "abs"
        case .softplus: return "softplus"
        case .hardTanh: return "hard-tanh"
        case .cos: return "cos"
        case .gelu: return "gelu"
        case .silu: return "silu"
        case .softmax: return "softmax"
        }
    }
}
