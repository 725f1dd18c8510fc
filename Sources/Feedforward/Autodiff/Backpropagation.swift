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
        // 1. Ancestors of the outputs, numbered in the order they are found; `order` lists the numbers
        // in topological order (iterative depth-first post-order). `inputIndices[inputStart[i]...]`
        // holds the numbers of node i's inputs (-1 for constants) and `slotStart[i]` its first gradient
        // slot, one per output. The run keeps its state in these local arrays, not in the nodes, since
        // a rule may back-propagate through part of the same graph (checkpointing).
        var nodes: [GraphNode<Scalar>] = []
        var number: [ObjectIdentifier: Int] = [:]
        number.reserveCapacity(64)
        var inputStart: [Int] = []
        var inputIndices: [Int] = []
        var slotStart: [Int] = []
        var slotCount = 0
        func discover(_ node: GraphNode<Scalar>) -> (number: Int, isNew: Bool) {
            if let known = number[ObjectIdentifier(node)] { return (known, false) }
            let id = nodes.count
            number[ObjectIdentifier(node)] = id
            nodes.append(node)
            inputStart.append(inputIndices.count)
            inputIndices.append(contentsOf: repeatElement(-1, count: node.inputs.count))
            slotStart.append(slotCount)
            slotCount += node.outputCount
            return (id, true)
        }
        var order: [Int] = []
        var stack: [(id: Int, next: Int)] = []
        for output in outputs {
            guard let edge = output.edge else { continue }
            let root = discover(edge.node)
            guard root.isNew else { continue }
            stack.append((root.number, 0))
            while let (id, next) = stack.popLast() {
                let node = nodes[id]
                if next < node.inputs.count {
                    stack.append((id, next + 1))
                    if let input = GraphNode<Scalar>.of(node.inputs[next]) {
                        let found = discover(input)
                        inputIndices[inputStart[id] + next] = found.number
                        if found.isNew { stack.append((found.number, 0)) }
                    }
                } else {
                    order.append(id)
                }
            }
        }
        inputStart.append(inputIndices.count)
        slotStart.append(slotCount)

        // 2. Prune to descendants of the targets.
        var needed = [Bool](repeating: false, count: nodes.count)
        for target in targets {
            if let id = number[ObjectIdentifier(target.node)] { needed[id] = true }
        }
        for id in order {
            if needed[id] || (accumulateIntoLeaves && nodes[id].isLeaf) {
                needed[id] = true
                continue
            }
            for j in inputStart[id]..<inputStart[id + 1] where inputIndices[j] >= 0 && needed[inputIndices[j]] {
                needed[id] = true
                break
            }
        }

        // 3 and 4 run inside the scope that sets recording; the gradient table is local to it, so
        // its accesses are checked statically.
        let recording = createGraph && GradientRecording.isEnabled
        let release = !retainGraph && !createGraph
        return GradientRecording.$isEnabled.withValue(recording) {
            [nodes, number, order, needed, inputStart, inputIndices, slotStart, slotCount] () -> [Tensor<Scalar>?] in
            // 3. Seed the gradient table: one slot per node output.
            var table = [Tensor<Scalar>?](repeating: nil, count: slotCount)
            func accumulate(_ gradient: Tensor<Scalar>, into slot: Int) {
                // Taken out of the table, the running sum is uniquely owned and can grow in place.
                guard var sum = table[slot].take() else {
                    table[slot] = gradient
                    return
                }
                if createGraph { sum = sum + gradient } else { sum.accumulate(gradient) }
                table[slot] = sum
            }
            for (output, seed) in zip(outputs, seeds) {
                guard let edge = output.edge, let id = number[ObjectIdentifier(edge.node)], needed[id] else { continue }
                precondition(seed.shape == output.shape, "backpropagation: seed shape \(seed.shape) differs from output shape \(output.shape)")
                accumulate(seed, into: slotStart[id] + edge.outputIndex)
            }
            // Slots read by a target keep their gradient; the others are released once used.
            let targetSlots = targets.map { target in number[ObjectIdentifier(target.node)].map { slotStart[$0] + target.outputIndex } }
            var isTargetSlot = [Bool](repeating: false, count: table.count)
            for case let slot? in targetSlots { isTargetSlot[slot] = true }

            // 4. Visit the needed nodes in reverse topological order.
            for id in order.reversed() where needed[id] {
                let node = nodes[id]
                statistics?.pointee.nodesOnPath += 1
                let slots = slotStart[id]..<slotStart[id + 1]
                if node.isLeaf {
                    if accumulateIntoLeaves, let gradient = table[slots.lowerBound] {
                        node.accumulatedGradient = node.accumulatedGradient.map { $0 + gradient } ?? gradient
                    }
                    continue
                }
                guard slots.contains(where: { table[$0] != nil }) else { continue }
                let inputs = inputStart[id]..<inputStart[id + 1]
                let needs = inputs.map { inputIndices[$0] >= 0 && needed[inputIndices[$0]] }
                guard needs.contains(true) else { continue }
                guard let derivative = node.derivative else {
                    preconditionFailure(
                        "backpropagation: the graph through '\(node.operation)' was already released; "
                            + "differentiate with retainingGraph: true to run back-propagation twice")
                }
                let inputGradients: [Tensor<Scalar>?]
                switch derivative {
                case .single(let rule, let saved):
                    let gradient = table[slots.lowerBound]!
                    if !isTargetSlot[slots.lowerBound] { table[slots.lowerBound] = nil }
                    let output = Tensor<Scalar>(
                        storage: saved ?? TensorStorage(uninitializedCount: 0), shape: saved == nil ? [0] : node.outputShape,
                        edge: GraphEdge(node: node, outputIndex: 0))
                    inputGradients = AnomalyDetection.inDerivative(of: node.operation) { rule(gradient, output, needs) }
                case .multiple(let rule, let shapes, let saved):
                    let gradients = slots.map { table[$0] }
                    for slot in slots where !isTargetSlot[slot] { table[slot] = nil }
                    let outputs = saved.indices.map { output in
                        Tensor<Scalar>(storage: saved[output], shape: shapes[output], edge: GraphEdge(node: node, outputIndex: output))
                    }
                    inputGradients = AnomalyDetection.inDerivative(of: node.operation) { rule(gradients, outputs, needs) }
                }
                statistics?.pointee.ruleEvaluations += 1
                precondition(inputGradients.count == node.inputs.count,
                    "backpropagation: the rule of '\(node.operation)' returned \(inputGradients.count) gradients for \(node.inputs.count) inputs")
                for (offset, input) in node.inputs.enumerated() {
                    guard needs[offset], var gradient = inputGradients[offset] else { continue }
                    if gradient.shape != input.shape {
                        let unreduced = gradient
                        gradient = AnomalyDetection.inDerivative(of: node.operation) { unreduced.summed(toShape: input.shape) }
                    }
                    AnomalyDetection.check(
                        node.operation, pass: .backward, result: gradient, inputShapes: node.inputs.map { $0.shape })
                    statistics?.pointee.edgesTraversed += 1
                    accumulate(gradient, into: slotStart[inputIndices[inputs.lowerBound + offset]] + input.outputIndex)
                }
                if release { node.derivative = nil }
            }
            return targetSlots.map { $0.flatMap { table[$0] } }
        }
    }
}

extension Tensor {
    /// Adds `other` into this tensor's storage when it is the only owner and the shapes match, else
    /// replaces this tensor by the sum. Used to accumulate gradients into one buffer (section 6.5.8).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func accumulate(_ other: Tensor) {
        guard other.shape == shape, edge == nil, isKnownUniquelyReferenced(&storage) else {
            self = self + other
            return
        }
        let count = scalarCount
        KernelTrace.active?.append(reading: storage, other.storage, writing: storage) { a, b, y in
            binaryRow(.add, a, 1, b, 1, y, count)
        }
        binaryRow(.add, storage.base, 1, other.storage.base, 1, storage.base, count)
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
