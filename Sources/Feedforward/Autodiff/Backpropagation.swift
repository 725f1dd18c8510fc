/// Counts from one run of back-propagation, to verify its cost.
public struct BackpropagationStatistics: Sendable, Equatable {
    /// Nodes whose derivative rule ran.
    public var ruleEvaluations = 0
    /// Input gradients produced by those rules and accumulated (the edges of the pruned graph).
    public var edgesTraversed = 0
    /// Nodes on the path from the output back to the targets (after pruning).
    public var nodesOnPath = 0
}

/// General back-propagation (algorithms 6.5 and 6.6 of *Deep Learning*).
///
/// The graph is pruned to the nodes that are ancestors of the outputs and descendants of the targets;
/// each node is visited once in reverse topological order, and the contributions of all its consumers
/// are summed into one gradient buffer before its rule runs (a gradient table filled by dynamic
/// programming; cost proportional to the number of edges).
enum Backpropagation {
    struct Key: Hashable {
        let node: ObjectIdentifier
        let output: Int
    }

    /// Gradients of `Σ seeds[i] · outputs[i]` with respect to each target (nil where a target is not
    /// reached from the outputs).
    ///
    /// - Parameters:
    ///   - createGraph: record the derivative computation itself, for higher-order derivatives.
    ///   - retainGraph: keep rules and saved tensors for another pass (implied by `createGraph`).
    ///   - accumulateIntoLeaves: add gradients into every leaf reached (the eager `backward()` path).
    // Specialised for the two element types: unspecialised, every use of a generic container of
    // tensors or graph edges looks its type metadata up at run time, which dominated small graphs.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func run<Scalar>(
        outputs: [Tensor<Scalar>], seeds: [Tensor<Scalar>], targets: [GraphEdge<Scalar>],
        createGraph: Bool, retainGraph: Bool, accumulateIntoLeaves: Bool = false,
        statistics: UnsafeMutablePointer<BackpropagationStatistics>? = nil
    ) -> [Tensor<Scalar>?] {
        // 1. Ancestors of the outputs in topological order (iterative depth-first post-order).
        var order: [GraphNode<Scalar>] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GraphNode<Scalar>, Int)] = []
        for output in outputs {
            guard let edge = output.edge, visited.insert(ObjectIdentifier(edge.node)).inserted else { continue }
            stack.append((edge.node, 0))
            while let (node, next) = stack.popLast() {
                if next < node.inputs.count {
                    stack.append((node, next + 1))
                    if let input = node.inputs[next], visited.insert(ObjectIdentifier(input.node)).inserted {
                        stack.append((input.node, 0))
                    }
                } else {
                    order.append(node)
                }
            }
        }

        // 2. Prune to descendants of the targets.
        var targetNodes = Set(targets.map { ObjectIdentifier($0.node) })
        if accumulateIntoLeaves {
            for node in order where node.isLeaf { targetNodes.insert(ObjectIdentifier(node)) }
        }
        var needed = Set<ObjectIdentifier>()
        for node in order {
            let id = ObjectIdentifier(node)
            if targetNodes.contains(id)
                || node.inputs.contains(where: { $0.map { needed.contains(ObjectIdentifier($0.node)) } ?? false })
            {
                needed.insert(id)
            }
        }

        // 3. Seed the gradient table.
        var table: [Key: Tensor<Scalar>] = [:]
        func accumulate(_ gradient: Tensor<Scalar>, into key: Key) {
            // Taken out of the table, the running sum is uniquely owned and can grow in place.
            guard var sum = table.removeValue(forKey: key) else {
                table[key] = gradient
                return
            }
            if createGraph { sum = sum + gradient } else { sum.accumulate(gradient) }
            table[key] = sum
        }
        for (output, seed) in zip(outputs, seeds) {
            guard let edge = output.edge, needed.contains(ObjectIdentifier(edge.node)) else { continue }
            precondition(seed.shape == output.shape, "backpropagation: seed shape \(seed.shape) differs from output shape \(output.shape)")
            accumulate(seed, into: Key(node: ObjectIdentifier(edge.node), output: edge.outputIndex))
        }

        // 4. Visit the needed nodes in reverse topological order.
        var results = [Key: Tensor<Scalar>]()
        let targetKeys = Set(targets.map { Key(node: ObjectIdentifier($0.node), output: $0.outputIndex) })
        let recording = createGraph && GradientRecording.isEnabled
        GradientRecording.$isEnabled.withValue(recording) {
            for node in order.reversed() {
                let id = ObjectIdentifier(node)
                guard needed.contains(id) else { continue }
                statistics?.pointee.nodesOnPath += 1
                let keys = (0..<node.outputShapes.count).map { Key(node: id, output: $0) }
                let gradients = keys.map { table.removeValue(forKey: $0) }
                for (key, gradient) in zip(keys, gradients) where targetKeys.contains(key) {
                    results[key] = gradient
                }
                if node.isLeaf {
                    if accumulateIntoLeaves, let gradient = gradients[0] {
                        node.accumulatedGradient = node.accumulatedGradient.map { $0 + gradient } ?? gradient
                    }
                    continue
                }
                guard gradients.contains(where: { $0 != nil }) else { continue }
                let needs = node.inputs.map { $0.map { needed.contains(ObjectIdentifier($0.node)) } ?? false }
                guard needs.contains(true) else { continue }
                guard let rule = node.rule else {
                    preconditionFailure(
                        "backpropagation: the graph through '\(node.operation)' was already released; "
                            + "differentiate with retainingGraph: true to run back-propagation twice")
                }
                let outputs = node.outputShapes.indices.map { index in
                    Tensor<Scalar>(
                        storage: node.savedOutputs[index] ?? TensorStorage(uninitializedCount: 0),
                        shape: node.savedOutputs[index] == nil ? [0] : node.outputShapes[index],
                        edge: GraphEdge(node: node, outputIndex: index))
                }
                let inputGradients = AnomalyDetection.inDerivative(of: node.operation) { rule(gradients, outputs, needs) }
                statistics?.pointee.ruleEvaluations += 1
                precondition(inputGradients.count == node.inputs.count,
                    "backpropagation: the rule of '\(node.operation)' returned \(inputGradients.count) gradients for \(node.inputs.count) inputs")
                for (index, input) in node.inputs.enumerated() {
                    guard let input, needs[index], var gradient = inputGradients[index] else { continue }
                    if gradient.shape != node.inputShapes[index] {
                        let unreduced = gradient
                        gradient = AnomalyDetection.inDerivative(of: node.operation) { unreduced.summed(toShape: node.inputShapes[index]) }
                    }
                    AnomalyDetection.check(
                        node.operation, pass: .backward, result: gradient, inputShapes: node.inputShapes)
                    statistics?.pointee.edgesTraversed += 1
                    accumulate(gradient, into: Key(node: ObjectIdentifier(input.node), output: input.outputIndex))
                }
                if !retainGraph && !createGraph {
                    node.rule = nil
                    node.savedOutputs = node.savedOutputs.map { _ in nil }
                }
            }
        }
        return targets.map { results[Key(node: ObjectIdentifier($0.node), output: $0.outputIndex)] }
    }
}

extension Tensor {
    /// Adds `other` into this tensor's storage when it is the only owner and the shapes match, else
    /// replaces this tensor by the sum. Used to accumulate gradients into one buffer (section 6.5.8).
    mutating func accumulate(_ other: Tensor) {
        guard other.shape == shape, edge == nil, isKnownUniquelyReferenced(&storage) else {
            self = self + other
            return
        }
        Scalar._applyBinary(
            .add, storage.base, other.storage.base, storage.base,
            plan: BroadcastPlan(lhsShape: shape, rhsShape: shape, outputShape: shape))
    }

    /// Back-propagates from this tensor (PyTorch's `backward()`): adds the gradient of
    /// `Σ seed · self` into every leaf that requires a gradient; read it with ``gradient``.
    ///
    /// Gradients accumulate over several calls until ``zeroGradient()``. Without `retainingGraph`,
    /// the graph's saved tensors are released and a second pass through it is a programmer error.
    public func backward(seed: Tensor? = nil, retainingGraph: Bool = false) {
        precondition(requiresGradient, "backward(): the tensor does not depend on any tensor that requires a gradient")
        precondition(seed != nil || scalarCount == 1, "backward(): a seed is needed for a tensor of shape \(shape)")
        let seed = seed ?? Tensor(shape: shape, scalars: [1])
        _ = Backpropagation.run(
            outputs: [self], seeds: [seed], targets: [], createGraph: false, retainGraph: retainingGraph,
            accumulateIntoLeaves: true)
    }

    /// The gradient accumulated into this leaf by ``backward(seed:retainingGraph:)``, if any.
    public var gradient: Tensor? {
        guard let edge, edge.node.isLeaf else { return nil }
        return edge.node.accumulatedGradient
    }

    /// Clears the gradient accumulated into this leaf.
    public func zeroGradient() {
        edge?.node.accumulatedGradient = nil
    }
}
