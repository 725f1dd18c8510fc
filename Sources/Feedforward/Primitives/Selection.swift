// Comparisons (constants for differentiation) and selection by a condition.

extension Tensor {
    /// A comparison: 1 where it holds, 0 elsewhere; not differentiable (its gradient is zero).
    static func compare(_ name: String, _ operation: BinaryOperation, _ lhs: Tensor, _ rhs: Tensor) -> Tensor {
        Primitive<Scalar>(constant: name, .binary(operation)).bind([lhs, rhs])
    }

    /// 1 where `self == other`, else 0.
    public func elementsEqual(_ other: Tensor) -> Tensor { Tensor.compare("equal", .equal, self, other) }
    /// 1 where `self != other`, else 0.
    public func elementsNotEqual(_ other: Tensor) -> Tensor { Tensor.compare("notEqual", .notEqual, self, other) }

    /// 1 where `lhs < rhs`, else 0 (broadcast; not differentiable).
    public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { compare("less", .less, lhs, rhs) }
    /// 1 where `lhs <= rhs`, else 0.
    public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { compare("lessOrEqual", .lessOrEqual, lhs, rhs) }
    /// 1 where `lhs > rhs`, else 0.
    public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { compare("greater", .greater, lhs, rhs) }
    /// 1 where `lhs >= rhs`, else 0.
    public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { compare("greaterOrEqual", .greaterOrEqual, lhs, rhs) }
    /// 1 where an element is below `rhs`, else 0.
    public static func .< (lhs: Tensor, rhs: Scalar) -> Tensor { lhs .< Tensor(rhs) }
    /// 1 where an element is at most `rhs`, else 0.
    public static func .<= (lhs: Tensor, rhs: Scalar) -> Tensor { lhs .<= Tensor(rhs) }
    /// 1 where an element is above `rhs`, else 0.
    public static func .> (lhs: Tensor, rhs: Scalar) -> Tensor { lhs .> Tensor(rhs) }
    /// 1 where an element is at least `rhs`, else 0.
    public static func .>= (lhs: Tensor, rhs: Scalar) -> Tensor { lhs .>= Tensor(rhs) }
}

/// Elements of `a` where `condition` is non-zero, else of `b`, with broadcasting of all three.
/// Differentiable in `a` and `b`; the condition is a constant.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func `where`<S>(_ condition: Tensor<S>, _ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    let shape = Shape.broadcast(
        Shape.broadcast(condition.shape, a.shape, operation: "where"), b.shape, operation: "where")
    let count = Shape.count(shape)
    // The operands are broadcast first (recorded, so their gradients are summed back to their shapes).
    let operands = [condition.detached(), a, b].map { $0.broadcasted(to: shape) }
    return Primitive<S>(
        "where", .kernel(shape: shape) { buffers in S._select(buffers[0], buffers[1], buffers[2], buffers.output, count: count) },
        saving: .inputs,
        derivative: { g, saved, input in
            let zero = Tensor<S>(0)
            return input == 1 ? `where`(saved.inputs[0], g, zero) : `where`(saved.inputs[0], zero, g)
        }, tangent: .sameAsDerivative
    ).bind(operands)
}
