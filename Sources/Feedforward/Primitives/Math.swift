// Element-wise functions of one tensor. Each function declares its primitive: name, kernel,
// derivative, tangent rule (see Primitive.swift). Their Jacobians are diagonal, so each derivative
// rule maps tangents too.

/// The primitive of an element-wise function of one tensor: `derivative(g, x, y)` is `g · f′(x)`,
/// from the input `x` or the output `y`, whichever `saving` keeps. (Specialised here, so the
/// one-line declarations below need no specialisation of their own.)
@_specialize(where S == Float)
@_specialize(where S == Double)
private func elementwise<S>(
    _ name: String, _ operation: UnaryOperation, saving: Primitive<S>.Saved,
    _ x: Tensor<S>, derivative: @escaping (_ g: Tensor<S>, _ x: Tensor<S>, _ y: Tensor<S>) -> Tensor<S>
) -> Tensor<S> {
    let readsInput = saving.contains(.inputs)
    return Primitive<S>(
        name, .unary(operation), saving: saving,
        derivative: { g, saved, _ in
            derivative(g, readsInput ? saved.inputs[0] : saved.output, saved.output)
        }, tangent: .sameAsDerivative
    ).bind(x)
}

/// `e^x`
public func exp<S>(_ x: Tensor<S>) -> Tensor<S> { elementwise("exp", .exp, saving: .output, x) { g, _, y in g * y } }

/// Natural logarithm.
public func log<S>(_ x: Tensor<S>) -> Tensor<S> { elementwise("log", .log, saving: .inputs, x) { g, x, _ in g / x } }

/// `log(1 + x)`, accurate for small `x`.
public func log1p<S>(_ x: Tensor<S>) -> Tensor<S> {
    elementwise("log1p", .log1p, saving: .inputs, x) { g, x, _ in g / (x + 1) }
}

/// `e^x - 1`, accurate for small `x`.
public func expm1<S>(_ x: Tensor<S>) -> Tensor<S> {
    elementwise("expm1", .expm1, saving: .output, x) { g, _, y in g * (y + 1) }
}

/// Square root.
public func sqrt<S>(_ x: Tensor<S>) -> Tensor<S> {
    elementwise("sqrt", .sqrt, saving: .output, x) { g, _, y in g / (y * 2) }
}

/// `1 / x`
public func reciprocal<S>(_ x: Tensor<S>) -> Tensor<S> {
    elementwise("reciprocal", .reciprocal, saving: .output, x) { g, _, y in -g * y * y }
}

/// `x * x`
public func square<S>(_ x: Tensor<S>) -> Tensor<S> {
    elementwise("square", .square, saving: .inputs, x) { g, x, _ in g * x * 2 }
}

/// Absolute value; its derivative at 0 is taken as 0.
public func abs<S>(_ x: Tensor<S>) -> Tensor<S> { elementwise("abs", .abs, saving: .inputs, x) { g, x, _ in g * sign(x) } }

/// Sine.
public func sin<S>(_ x: Tensor<S>) -> Tensor<S> { elementwise("sin", .sin, saving: .inputs, x) { g, x, _ in g * cos(x) } }

/// Cosine.
public func cos<S>(_ x: Tensor<S>) -> Tensor<S> { elementwise("cos", .cos, saving: .inputs, x) { g, x, _ in -g * sin(x) } }

/// Arctangent.
public func atan<S>(_ x: Tensor<S>) -> Tensor<S> {
    elementwise("atan", .atan, saving: .inputs, x) { g, x, _ in g / (square(x) + 1) }
}

/// Hyperbolic tangent.
public func tanh<S>(_ x: Tensor<S>) -> Tensor<S> {
    elementwise("tanh", .tanh, saving: .output, x) { g, _, y in g * (1 - square(y)) }
}

/// The logistic sigmoid `1 / (1 + e^-x)`, computed without overflow for large `|x|`.
public func sigmoid<S>(_ x: Tensor<S>) -> Tensor<S> {
    elementwise("sigmoid", .sigmoid, saving: .output, x) { g, _, y in g * y * (1 - y) }
}

/// `log(1 + e^x)`, computed as `max(x, 0) + log1p(e^-|x|)` so it is finite and accurate for any `x`.
public func softplus<S>(_ x: Tensor<S>) -> Tensor<S> {
    elementwise("softplus", .softplus, saving: .inputs, x) { g, x, _ in g * sigmoid(x) }
}

/// `max(x, 0)`; its derivative at 0 is taken as 0.
public func relu<S>(_ x: Tensor<S>) -> Tensor<S> {
    elementwise("relu", .relu, saving: .output, x) { g, _, y in g.passingWherePositive(y) }
}

extension Tensor {
    /// This gradient where `mask > 0`, else 0, in one pass: ReLU's derivative rule, and its tangent
    /// rule, with the unit's outputs as `mask`. Linear in `self`; `mask` is a constant (the step
    /// function's derivative is zero), so the rule is its own derivative and tangent.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func passingWherePositive(_ mask: Tensor) -> Tensor {
        Primitive<Scalar>(
            "relu_derivative", .binary(.passWherePositive), saving: .inputs,
            derivative: { g, saved, _ in g.passingWherePositive(saved.inputs[1]) }, tangent: .sameAsDerivative
        ).bind([self, mask.detached()])
    }
}

/// -1, 0 or 1 by the sign of each element (NaN stays NaN). Its derivative is zero.
public func sign<S>(_ x: Tensor<S>) -> Tensor<S> {
    Primitive<S>(constant: "sign", .unary(.sign)).bind(x)
}

/// The binary step: 1 where `x > 0`, else 0. Its derivative is zero (undefined at 0).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func step<S>(_ x: Tensor<S>) -> Tensor<S> {
    Primitive<S>(constant: "step", .unary(.step)).bind(x)
}
