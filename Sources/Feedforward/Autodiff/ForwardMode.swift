import Synchronization

// Forward-mode differentiation (real forward accumulation): tangents travel forward with the recorded
// graph. Each running `jvp` is a *level*; every recorded operation whose inputs carry a tangent of an
// active level computes its output's tangent at that level from its tangent rule, written in
// differentiable tensor operations, so that a tangent can itself be differentiated in reverse mode
// (Hessian-vector products as reverse over forward) or in forward mode again (nested `jvp`).

/// The tangent of one output of a graph node at one forward-mode level.
struct Tangent<Scalar: TensorScalar> {
    let level: Int
    let outputIndex: Int
    let value: Tensor<Scalar>
}

/// A node that can hold tangents (see ``ForwardLevel``).
protocol TangentCarrier: AnyObject {
    func removeTangents(atLevel level: Int)
}

extension GraphNode: TangentCarrier {
    func removeTangents(atLevel level: Int) {
        tangents.removeAll { $0.level == level }
    }
}

/// One running forward-mode transformation: its id, and the nodes holding its tangents. A tangent
/// refers back to its own node through the operations that computed it (`t · (1 − y²)` reads `y`),
/// so the level drops them when it ends; kept, they would be reference cycles.
final class ForwardLevel: @unchecked Sendable {
    let id: Int
    private var carriers: [any TangentCarrier] = []

    init(id: Int) { self.id = id }

    func attach<Scalar>(_ value: Tensor<Scalar>, to node: GraphNode<Scalar>, outputIndex: Int) {
        if !node.tangents.contains(where: { $0.level == id }) { carriers.append(node) }
        node.tangents.append(Tangent(level: id, outputIndex: outputIndex, value: value))
    }

    fileprivate func end() {
        for carrier in carriers { carrier.removeTangents(atLevel: id) }
        carriers = []
    }
}

enum ForwardMode {
    /// Forward-mode transformations running in the process: operations look for tangents only when
    /// this is positive, so reverse mode and inference pay one relaxed atomic load per operation.
    static let runningCount = Atomic<Int>(0)
    private static let lastLevel = Atomic<Int>(0)
    /// The levels operations propagate in the current context, oldest (outermost) first.
    @TaskLocal static var activeLevels: [ForwardLevel] = []

    /// Runs `body` as the forward pass of a new level (`seed` places the inputs' tangents first);
    /// the level's tangents are dropped from the graph when `body` returns.
    static func withNewLevel<R>(seed: (ForwardLevel) -> Void, _ body: (ForwardLevel) -> R) -> R {
        let level = ForwardLevel(id: lastLevel.wrappingAdd(1, ordering: .relaxed).newValue)
        runningCount.wrappingAdd(1, ordering: .relaxed)
        defer {
            level.end()
            runningCount.wrappingSubtract(1, ordering: .relaxed)
        }
        seed(level)
        return $activeLevels.withValue(activeLevels + [level]) { body(level) }
    }

    /// Computes the tangents of a new node's outputs at every active level where an input carries one.
    /// A level's tangent is computed with that level (and newer ones) inactive, so tangent computations
    /// do not differentiate themselves at their own level, while older levels see them (nesting).
    static func propagate<Scalar>(
        to node: GraphNode<Scalar>, inputs: [Tensor<Scalar>],
        _ rule: (_ inputTangents: [Tensor<Scalar>?]) -> [Tensor<Scalar>?]
    ) {
        let levels = activeLevels
        for (position, level) in levels.enumerated() {
            let tangents = inputs.map { $0.tangent(atLevel: level.id) }
            guard tangents.contains(where: { $0 != nil }) else { continue }
            let outputs = $activeLevels.withValue(Array(levels[..<position])) { rule(tangents) }
            for (index, value) in outputs.enumerated() {
                if let value { level.attach(value, to: node, outputIndex: index) }
            }
        }
    }

    /// The output tangents of an operation without a tangent rule, from its derivative rule: the rule
    /// is linear in the output gradients `u`, so `J t` is the gradient with respect to `u` of
    /// `Σᵢ ⟨rule(u)ᵢ, tᵢ⟩` (the double-VJP construction, applied to this one operation).
    static func tangentsFromDerivative<Scalar>(
        _ rule: DerivativeRule<Scalar>, outputs: [Tensor<Scalar>], inputTangents: [Tensor<Scalar>?]
    ) -> [Tensor<Scalar>?] {
        let cotangents = outputs.map { Tensor<Scalar>.zeros(like: $0).requiringGradient() }
        let needs = inputTangents.map { $0 != nil }
        let pairing = withGradients { () -> Tensor<Scalar>? in
            var total: Tensor<Scalar>?
            for (contribution, tangent) in zip(rule(cotangents, outputs, needs), inputTangents) {
                guard let contribution, let tangent else { continue }
                let term = (contribution * tangent).sum()
                total = total.map { $0 + term } ?? term
            }
            return total
        }
        guard let pairing, pairing.edge != nil else { return outputs.map { _ in nil } }
        return GradientRecording.$nestingDepth.withValue(GradientRecording.nestingDepth + 1) {
            vectorJacobianProduct(
                output: pairing, seed: Tensor(shape: pairing.shape, scalars: [1]), inputs: cotangents, createGraph: true)
        }
    }
}

extension Tensor {
    /// This tensor's tangent at a forward-mode level, if it carries one.
    func tangent(atLevel level: Int) -> Tensor? {
        guard let edge else { return nil }
        for tangent in edge.node.tangents where tangent.level == level && tangent.outputIndex == edge.outputIndex {
            return tangent.value
        }
        return nil
    }

    /// A tangent for an output of `shape` from a term that may have an operand's (smaller) shape.
    func broadcastedTangent(to shape: [Int]) -> Tensor {
        self.shape == shape ? self : broadcasted(to: shape)
    }
}
