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

/// A node of the computational graph: an operation applied to inputs, or a leaf (a tensor whose
/// gradient is wanted). Nodes are created by operations when an input takes part in differentiation.
public final class GraphNode<Scalar: TensorScalar>: @unchecked Sendable {
    /// The operation's name, used in anomaly reports.
    public let operation: String
    let inputs: [GraphEdge<Scalar>?]
    let inputShapes: [[Int]]
    let outputShapes: [[Int]]
    /// Outputs kept for the rule (only those the rule reads).
    var savedOutputs: [TensorStorage<Scalar>?]
    var rule: DerivativeRule<Scalar>?
    /// For leaves: the gradient accumulated by ``Tensor/backward(seed:retainingGraph:)``.
    var accumulatedGradient: Tensor<Scalar>?
    let isLeaf: Bool

    init(
        operation: String, inputs: [GraphEdge<Scalar>?], inputShapes: [[Int]], outputShapes: [[Int]],
        savedOutputs: [TensorStorage<Scalar>?], rule: DerivativeRule<Scalar>?, isLeaf: Bool
    ) {
        self.operation = operation
        self.inputs = inputs
        self.inputShapes = inputShapes
        self.outputShapes = outputShapes
        self.savedOutputs = savedOutputs
        self.rule = rule
        self.isLeaf = isLeaf
    }

    static func leaf(shape: [Int]) -> GraphNode {
        GraphNode(
            operation: "leaf", inputs: [], inputShapes: [], outputShapes: [shape], savedOutputs: [nil],
            rule: nil, isLeaf: true)
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

    /// Records a single-output operation if any input takes part in differentiation.
    ///
    /// - Parameters:
    ///   - savesOutput: whether `rule` reads the output (passed as its second argument).
    ///   - rule: `(outputGradient, output, needsGradient) -> inputGradients`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func record(
        _ operation: String, output: Tensor, inputs: [Tensor], savesOutput: Bool = false,
        rule: @escaping (_ gradient: Tensor, _ output: Tensor, _ needsGradient: [Bool]) -> [Tensor?]
    ) -> Tensor {
        var anyEdge = false
        for input in inputs where input.edge != nil {
            anyEdge = true
            break
        }
        guard anyEdge, GradientRecording.isEnabled else {
            AnomalyDetection.checkForward(operation, output: output, inputs: inputs)
            return output
        }
        // Closures rather than key-path literals (`map(\.edge)`): in unspecialised generic code a key
        // path is instantiated at run time on every call, which cost microseconds per operation.
        let node = GraphNode<Scalar>(
            operation: operation, inputs: inputs.map { $0.edge }, inputShapes: inputs.map { $0.shape },
            outputShapes: [output.shape], savedOutputs: [savesOutput ? output.storage : nil],
            rule: { gradients, outputs, needs in rule(gradients[0]!, outputs[0], needs) },
            isLeaf: false)
        var result = output
        result.edge = GraphEdge(node: node, outputIndex: 0)
        AnomalyDetection.checkForward(operation, output: output, inputs: inputs)
        return result
    }
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
        operation: name, inputs: inputs.map { $0.edge }, inputShapes: inputs.map { $0.shape },
        outputShapes: outputs.map { $0.shape }, savedOutputs: outputs.map { $0.storage }, rule: derivative,
        isLeaf: false)
    return outputs.enumerated().map { index, output in
        Tensor(storage: output.storage, shape: output.shape, edge: GraphEdge(node: node, outputIndex: index))
    }
}
