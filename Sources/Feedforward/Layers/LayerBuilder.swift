/// Builds the layer list of a ``Sequential`` from a block of layers.
@resultBuilder
public enum LayerBuilder<Scalar: TensorScalar> {
    /// One layer.
    public static func buildExpression(_ layer: any Layer<Scalar>) -> [any Layer<Scalar>] { [layer] }
    /// The layers of a block, in order.
    public static func buildBlock(_ parts: [any Layer<Scalar>]...) -> [any Layer<Scalar>] { parts.flatMap { $0 } }
    /// The layers of a `for` loop, in order.
    public static func buildArray(_ parts: [[any Layer<Scalar>]]) -> [any Layer<Scalar>] { parts.flatMap { $0 } }
    /// The layers of an `if` without `else`, or none.
    public static func buildOptional(_ part: [any Layer<Scalar>]?) -> [any Layer<Scalar>] { part ?? [] }
    /// The layers of the first branch.
    public static func buildEither(first: [any Layer<Scalar>]) -> [any Layer<Scalar>] { first }
    /// The layers of the second branch.
    public static func buildEither(second: [any Layer<Scalar>]) -> [any Layer<Scalar>] { second }
}
