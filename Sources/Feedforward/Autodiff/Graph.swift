/// The derivative rule of a recorded operation: given the gradients of its outputs (nil for an output
/// whose gradient is zero), its outputs, and which inputs need a gradient, it returns one gradient per
/// input (nil where none is needed or it is zero). Rules are written in differentiable tensor
/// operations, so a derivative can itself be differentiated (the "extended graph" of section 6.5.5).
public typealias DerivativeRule<Scalar: TensorScalar> =
    (_ outputGradients: [Tensor<Scalar>?], _ outputs: [Tensor<Scalar>], _ needsGradient: [Bool]) -> [Tensor<Scalar>?]

/// One output of a node of the computational graph.
public struct GraphEdge<Scalar: TensorScalar>: Sendable {
    @usableFromInline let node: GraphNode<Scalar>
    @usableFromInline let outputIndex: Int
}

/// An input of a recorded operation: the output of the node it came from (nil for a constant) and
/// its shape. The node is stored untyped so that a node's input list is a non-generic array, which
/// tears down without per-element generic calls.
struct GraphInput {
    let node: AnyObject?
    let outputIndex: Int
    let shape: [Int]
}

/// A node of the computational graph: an operation applied to inputs, or a leaf (a tensor whose
/// gradient is wanted). Nodes are created by operations when an input takes part in differentiation.
public final class GraphNode<Scalar: TensorScalar>: @unchecked Sendable {
    /// How a recorded operation is differentiated, with the outputs its rule reads.
    enum Derivative {
        /// A primitive (see ``Primitive``): its derivative with respect to each input, with the
        /// inputs and the output's storage where it saves them.
        case primitive(PrimitiveRule<Scalar>, savedInputs: [Tensor<Scalar>], savedOutput: TensorStorage<Scalar>?)
        /// A custom operation: the general rule and all its outputs.
        case custom(DerivativeRule<Scalar>, outputShapes: [[Int]], outputs: [TensorStorage<Scalar>])
    }

    /// The operation's name, used in anomaly reports.
    public let operation: String
    let inputs: [GraphInput]
    /// The shape of the first output (the only one, except for custom operations).
    let outputShape: [Int]
    let outputCount: Int
    /// The rule, released after back-propagation unless the graph is retained.
    var derivative: Derivative?
    /// For leaves: the gradient accumulated by ``Tensor/backward(seed:retainingGraph:)``.
    var accumulatedGradient: Tensor<Scalar>?
    /// The outputs' tangents at the forward-mode levels that reached this node (see ``ForwardMode``).
    var tangents: [Tangent<Scalar>] = []
    let isLeaf: Bool

    init(
        operation: String, inputs: [GraphInput], outputShape: [Int], outputCount: Int,
        derivative: Derivative?, isLeaf: Bool
    ) {
        self.operation = operation
        self.inputs = inputs
        self.outputShape = outputShape
        self.outputCount = outputCount
        self.derivative = derivative
        self.isLeaf = isLeaf
    }

    static func leaf(shape: [Int]) -> GraphNode {
        GraphNode(operation: "leaf", inputs: [], outputShape: shape, outputCount: 1, derivative: nil, isLeaf: true)
    }

    /// The node an input came from (all nodes of one graph have the same element type).
    @inline(__always)
    static func of(_ input: GraphInput) -> GraphNode? {
        input.node.map { unsafeDowncast($0, to: GraphNode.self) }
    }
}

extension Array {
    /// The inputs of an operation as graph inputs.
    @inline(__always)
    func graphInputs<Scalar>() -> [GraphInput] where Element == Tensor<Scalar> {
        var result: [GraphInput] = []
        result.reserveCapacity(count)
        for tensor in self {
            result.append(GraphInput(node: tensor.edge?.node, outputIndex: tensor.edge?.outputIndex ?? 0, shape: tensor.shape))
        }
        return result
    }
}

/// Whether operations record the computational graph. Recording is on by default; it only happens
/// when an input takes part in differentiation.
public enum GradientRecording {
    @TaskLocal static var isEnabled = true
    /// How many differentiation transformations are running around the current code.
    @TaskLocal static var nestingDepth = 0

    /// Whether operations record the graph in the current context.
    public static var isActive: Bool { isEnabled }
}

/// Runs `body` without recording the computational graph (inference pays nothing for autodiff).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientRecording.$isEnabled.withValue(false, operation: body)
}

/// Runs `body` with recording on, even inside ``withoutGradients(_:)``.
public func withGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientRecording.$isEnabled.withValue(true, operation: body)
}

extension Tensor {
    /// Whether this tensor takes part in differentiation (it is a leaf that requires a gradient or
    /// was computed from one while recording).
    public var requiresGradient: Bool { edge != nil }

    /// The same values as a leaf of the computational graph, whose gradient back-propagation computes.
    public func requiringGradient() -> Tensor {
        Tensor(storage: storage, shape: shape, edge: GraphEdge(node: .leaf(shape: shape), outputIndex: 0))
    }

    /// The same values, cut from the computational graph (a constant for differentiation).
    public func detached() -> Tensor {
        Tensor(storage: storage, shape: shape)
    }

    /// The name of the operation that produced this tensor, or nil for constants.
    public var producingOperation: String? { edge?.node.operation }
}

/// Defines an operation with its own forward computation and derivative rule, like
/// `torch.autograd.Function` or `jax.custom_vjp`.
///
/// `forward` runs without recording. `derivative` receives the gradients of the outputs (nil where an
/// output's gradient is zero), the outputs, and which inputs need a gradient; it returns one gradient
/// per input (nil for none). Write it in tensor operations if the operation is to be differentiated
/// more than once.
///
/// ```swift
/// let y = customOperation("cube", inputs: [x], forward: { [$0[0] * $0[0] * $0[0]] },
///                         derivative: { g, _, _ in [g[0]! * 3 * x * x] })[0]
/// ```
public func customOperation<Scalar>(
    _ name: String, inputs: [Tensor<Scalar>], forward: ([Tensor<Scalar>]) -> [Tensor<Scalar>],
    derivative: @escaping DerivativeRule<Scalar>
) -> [Tensor<Scalar>] {
    let outputs = withoutGradients { forward(inputs.map { $0.detached() }) }
    guard inputs.contains(where: { $0.edge != nil }), GradientRecording.isEnabled else { return outputs }
    let node = GraphNode<Scalar>(
        operation: name, inputs: inputs.graphInputs(), outputShape: outputs.first?.shape ?? [], outputCount: outputs.count,
        derivative: .custom(derivative, outputShapes: outputs.map { $0.shape }, outputs: outputs.map { $0.storage }),
        isLeaf: false)
    let recorded = outputs.enumerated().map { index, output in
        Tensor(storage: output.storage, shape: output.shape, edge: GraphEdge(node: node, outputIndex: index))
    }
    if ForwardMode.runningCount.load(ordering: .relaxed) > 0 {
        ForwardMode.propagate(to: node, inputs: inputs) {
            ForwardMode.tangentsFromDerivative(derivative, outputs: recorded, inputTangents: $0)
        }
    }
    return recorded
}
