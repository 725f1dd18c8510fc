// Element-wise arithmetic with NumPy broadcasting. Each function declares its primitive: name,
// kernel, derivative with respect to each input, tangent rule (see Primitive.swift).

extension Tensor {
    /// The element-wise sum, broadcasting the operands.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        Primitive<Scalar>("add", .binary(.add), derivative: { g, _, _ in g }, tangent: .sameAsDerivative).bind([lhs, rhs])
    }

    /// The element-wise difference, broadcasting the operands.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        Primitive<Scalar>("subtract", .binary(.subtract), derivative: { g, _, input in input == 0 ? g : -g }, tangent: .sameAsDerivative)
            .bind([lhs, rhs])
    }

    /// The element-wise product, broadcasting the operands.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        Primitive<Scalar>(
            "multiply", .binary(.multiply), saving: .inputs,
            derivative: { g, saved, input in g * saved.inputs[1 - input] }, tangent: .sameAsDerivative
        ).bind([lhs, rhs])
    }

    /// The element-wise quotient, broadcasting the operands.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        Primitive<Scalar>(
            "divide", .binary(.divide), saving: .inputs,
            derivative: { g, saved, input in
                let (a, b) = (saved.inputs[0], saved.inputs[1])
                return input == 0 ? g / b : -g * a / (b * b)
            }, tangent: .sameAsDerivative
        ).bind([lhs, rhs])
    }

    /// The negation of every element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static prefix func - (x: Tensor) -> Tensor {
        Primitive<Scalar>("negate", .unary(.negate), derivative: { g, _, _ in -g }, tangent: .sameAsDerivative).bind(x)
    }

    /// `rhs` added to every element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (lhs: Tensor, rhs: Scalar) -> Tensor {
        Primitive<Scalar>("add", .unary(.shift, rhs), derivative: { g, _, _ in g }, tangent: .sameAsDerivative).bind(lhs)
    }
    /// `lhs` added to every element.
    public static func + (lhs: Scalar, rhs: Tensor) -> Tensor { rhs + lhs }
    /// `rhs` subtracted from every element.
    public static func - (lhs: Tensor, rhs: Scalar) -> Tensor { lhs + (-rhs) }
    /// Every element subtracted from `lhs`.
    public static func - (lhs: Scalar, rhs: Tensor) -> Tensor { -rhs + lhs }
    /// Every element multiplied by `rhs`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (lhs: Tensor, rhs: Scalar) -> Tensor {
        Primitive<Scalar>("scale", .unary(.scale, rhs), derivative: { g, _, _ in g * rhs }, tangent: .sameAsDerivative).bind(lhs)
    }
    /// Every element multiplied by `lhs`.
    public static func * (lhs: Scalar, rhs: Tensor) -> Tensor { rhs * lhs }
    /// Every element divided by `rhs`.
    public static func / (lhs: Tensor, rhs: Scalar) -> Tensor { lhs * (1 / rhs) }
    /// `lhs` divided by every element.
    public static func / (lhs: Scalar, rhs: Tensor) -> Tensor { Tensor(lhs) / rhs }

    /// Replaces `lhs` with `lhs + rhs` (a new tensor, recorded for differentiation).
    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs = lhs + rhs }
    /// Replaces `lhs` with `lhs - rhs`.
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs - rhs }
    /// Replaces `lhs` with `lhs * rhs`.
    public static func *= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs * rhs }
    /// Replaces `lhs` with `lhs / rhs`.
    public static func /= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs / rhs }
    /// Replaces `lhs` with `lhs + rhs`.
    public static func += (lhs: inout Tensor, rhs: Scalar) { lhs = lhs + rhs }
    /// Replaces `lhs` with `lhs - rhs`.
    public static func -= (lhs: inout Tensor, rhs: Scalar) { lhs = lhs - rhs }
    /// Replaces `lhs` with `lhs * rhs`.
    public static func *= (lhs: inout Tensor, rhs: Scalar) { lhs = lhs * rhs }
    /// Replaces `lhs` with `lhs / rhs`.
    public static func /= (lhs: inout Tensor, rhs: Scalar) { lhs = lhs / rhs }
}

/// `x^exponent` for a scalar exponent.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func pow<S>(_ x: Tensor<S>, _ exponent: S) -> Tensor<S> {
    Primitive<S>(
        "pow", .unary(.power, exponent), saving: .inputs,
        derivative: { g, saved, _ in exponent == 0 ? g * 0 : g * pow(saved.inputs[0], exponent - 1) * exponent },
        tangent: .sameAsDerivative
    ).bind(x)
}

/// `base^exponent` element-wise with broadcasting.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func pow<S>(_ base: Tensor<S>, _ exponent: Tensor<S>) -> Tensor<S> {
    Primitive<S>(
        "pow", .binary(.power), saving: [.inputs, .output],
        derivative: { g, saved, input in
            let (base, exponent) = (saved.inputs[0], saved.inputs[1])
            if input == 0 { return g * exponent * pow(base, exponent - 1) }
            // d/dy x^y = x^y log x, taken as 0 at x = 0 (where 0^y is constant for y > 0).
            return g * saved.output * log(`where`(base.detached().elementsEqual(Tensor(0)), Tensor(1), base))
        }, tangent: .sameAsDerivative
    ).bind([base, exponent])
}

/// Element-wise maximum with broadcasting (NaN propagates). At ties the gradient goes to `a`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func maximum<S>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    chooseElements("maximum", .maximum, a, b, firstIsChosen: { $0 .>= $1 })
}

/// Element-wise minimum with broadcasting (NaN propagates). At ties the gradient goes to `a`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func minimum<S>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    chooseElements("minimum", .minimum, a, b, firstIsChosen: { $0 .<= $1 })
}

/// The primitive of ``maximum(_:_:)`` and ``minimum(_:_:)``: each element is one of `a`'s or `b`'s,
/// and the gradient goes to the operand chosen, `a` where `firstIsChosen(a, b)` is 1.
private func chooseElements<S>(
    _ name: String, _ operation: BinaryOperation, _ a: Tensor<S>, _ b: Tensor<S>,
    firstIsChosen: @escaping (Tensor<S>, Tensor<S>) -> Tensor<S>
) -> Tensor<S> {
    Primitive<S>(
        name, .binary(operation), saving: .inputs,
        derivative: { g, saved, input in
            let mask = firstIsChosen(saved.inputs[0].detached(), saved.inputs[1].detached())
            return input == 0 ? g * mask : g * (1 - mask)
        }, tangent: .sameAsDerivative
    ).bind([a, b])
}

/// Each element limited to `lower...upper`; the gradient passes where `lower <= x <= upper`.
public func clamp<S>(_ x: Tensor<S>, min lower: S, max upper: S) -> Tensor<S> {
    precondition(lower <= upper, "clamp: lower bound \(lower) exceeds upper bound \(upper)")
    return minimum(maximum(x, Tensor(lower)), Tensor(upper))
}
