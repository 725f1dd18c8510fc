/// Counts from one run of back-propagation, to verify its cost.
public struct BackpropagationStatistics: Sendable, Equatable {
    /// Nodes whose derivative rule ran.
    public var ruleEvaluations = 0
    /// Input gradients produced by those rules and accumulated (the edges of the pruned graph).
    public var edgesTraversed = 0
    /// Nodes on the path from the output back to the targets (after pruning).
    public var nodesOnPath = 0
}

/// General back-propagation (algorithms 6.5 and 6.6 of *Deep Learning*), in three steps:
///
/// 1. **Discover** the ancestors of the outputs and order them topologically (``ReachableGraph``).
/// 2. **Prune** them to the nodes on a path from a target to an output.
/// 3. **Propagate**: visit those nodes once each in reverse topological order; the contributions of
///    all a node's consumers are summed into one gradient buffer before its rule runs (a gradient
///    table filled by dynamic programming; cost proportional to the number of edges).
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
        let graph = ReachableGraph(from: outputs)
        let needed = graph.onPaths(from: targets, includingLeaves: accumulateIntoLeaves)
        // The derivative rules run with recording on only when the derivative is to be differentiated.
        let recording = createGraph && GradientRecording.isEnabled
        return GradientRecording.$isEnabled.withValue(recording) {
            propagate(
                through: graph, visiting: needed, outputs: outputs, seeds: seeds, targets: targets, createGraph: createGraph,
                release: !retainGraph && !createGraph, accumulateIntoLeaves: accumulateIntoLeaves, statistics: statistics)
        }
    }

    /// Step 3: fills the gradient table from the seeds, running the rule of each node in `needed` in
    /// reverse topological order, and returns the targets' gradients.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private static func propagate<Scalar>(
        through graph: ReachableGraph<Scalar>, visiting needed: [Bool], outputs: [Tensor<Scalar>], seeds: [Tensor<Scalar>],
        targets: [GraphEdge<Scalar>], createGraph: Bool, release: Bool, accumulateIntoLeaves: Bool,
        statistics: UnsafeMutablePointer<BackpropagationStatistics>?
    ) -> [Tensor<Scalar>?] {
        // One slot per node output. The run keeps its state here, not in the nodes, since a rule may
        // back-propagate through part of the same graph (checkpointing).
        var table = [Tensor<Scalar>?](repeating: nil, count: graph.slotCount)
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
            guard let edge = output.edge, let id = graph.number(of: edge.node), needed[id] else { continue }
            precondition(seed.shape == output.shape, "backpropagation: seed shape \(seed.shape) differs from output shape \(output.shape)")
            accumulate(seed, into: graph.slots(of: id).lowerBound + edge.outputIndex)
        }
        // Slots read by a target keep their gradient; the others are released once used.
        let targetSlots = targets.map { target in graph.number(of: target.node).map { graph.slots(of: $0).lowerBound + target.outputIndex } }
        var isTargetSlot = [Bool](repeating: false, count: table.count)
        for case let slot? in targetSlots { isTargetSlot[slot] = true }

        for id in graph.order.reversed() where needed[id] {
            let node = graph.nodes[id]
            statistics?.pointee.nodesOnPath += 1
            let slots = graph.slots(of: id)
            if node.isLeaf {
                if accumulateIntoLeaves, let gradient = table[slots.lowerBound] {
                    node.accumulatedGradient = node.accumulatedGradient.map { $0 + gradient } ?? gradient
                }
                continue
            }
            guard slots.contains(where: { table[$0] != nil }) else { continue }
            let inputs = graph.inputs(of: id)
            let needs = inputs.map { graph.inputNumbers[$0] >= 0 && needed[graph.inputNumbers[$0]] }
            guard needs.contains(true) else { continue }
            let inputGradients = inputGradients(of: node, taking: slots, from: &table, keeping: isTargetSlot, needs: needs)
            statistics?.pointee.ruleEvaluations += 1
            for (offset, input) in node.inputs.enumerated() {
                guard needs[offset], var gradient = inputGradients[offset] else { continue }
                // A broadcast operand's gradient is summed back to its shape here, for every rule.
                if gradient.shape != input.shape {
                    let unreduced = gradient
                    gradient = AnomalyDetection.inDerivative(of: node.operation) { unreduced.summed(toShape: input.shape) }
                }
                AnomalyDetection.check(
                    node.operation, pass: .backward, result: gradient, inputShapes: node.inputs.map { $0.shape })
                statistics?.pointee.edgesTraversed += 1
                accumulate(gradient, into: graph.slots(of: graph.inputNumbers[inputs.lowerBound + offset]).lowerBound + input.outputIndex)
            }
            if release { node.derivative = nil }
        }
        return targetSlots.map { $0.flatMap { table[$0] } }
    }

    /// The gradients of a node's inputs (nil where not needed or zero), by the node's rule, from its
    /// outputs' gradients in `slots` of `table` (nil where zero), which are released unless kept.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private static func inputGradients<Scalar>(
        of node: GraphNode<Scalar>, taking slots: Range<Int>, from table: inout [Tensor<Scalar>?], keeping isTargetSlot: [Bool],
        needs: [Bool]
    ) -> [Tensor<Scalar>?] {
        guard let derivative = node.derivative else {
            preconditionFailure(
                "backpropagation: the graph through '\(node.operation)' was already released; "
                    + "differentiate with retainingGraph: true to run back-propagation twice")
        }
        let gradients: [Tensor<Scalar>?]
        switch derivative {
        case .primitive(let rule, let savedInputs, let savedOutput):
            let output = Tensor<Scalar>(
                storage: savedOutput ?? TensorStorage(uninitializedCount: 0),
                shape: savedOutput == nil ? [0] : node.outputShape, edge: GraphEdge(node: node, outputIndex: 0))
            let values = PrimitiveValues(inputs: savedInputs, output: output)
            let gradient = table[slots.lowerBound]!
            if !isTargetSlot[slots.lowerBound] { table[slots.lowerBound] = nil }
            gradients = AnomalyDetection.inDerivative(of: node.operation) {
                needs.indices.map { needs[$0] ? rule(gradient, values, $0) : nil }
            }
        case .custom(let rule, let shapes, let saved):
            let outputGradients = slots.map { table[$0] }
            for slot in slots where !isTargetSlot[slot] { table[slot] = nil }
            let outputs = saved.indices.map { output in
                Tensor<Scalar>(storage: saved[output], shape: shapes[output], edge: GraphEdge(node: node, outputIndex: output))
            }
            gradients = AnomalyDetection.inDerivative(of: node.operation) { rule(outputGradients, outputs, needs) }
        }
        precondition(gradients.count == node.inputs.count,
            "backpropagation: the rule of '\(node.operation)' returned \(gradients.count) gradients for \(node.inputs.count) inputs")
        return gradients
    }
}

/// Step 1 of back-propagation: the ancestors of some outputs in the computational graph, numbered in
/// the order they are found, with a topological order (an iterative depth-first post-order).
struct ReachableGraph<Scalar: TensorScalar> {
    private(set) var nodes: [GraphNode<Scalar>] = []
    private var numbers: [ObjectIdentifier: Int] = [:]
    /// `inputNumbers[inputs(of: i)]` are the numbers of node i's inputs (-1 for constants).
    private(set) var inputNumbers: [Int] = []
    private var inputStart: [Int] = []
    private var slotStart: [Int] = []
    /// The node numbers in topological order: every node after its inputs.
    private(set) var order: [Int] = []
    /// The number of gradient slots: one per output of each node.
    private(set) var slotCount = 0

    /// Discovers the ancestors of `outputs`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    init(from outputs: [Tensor<Scalar>]) {
        numbers.reserveCapacity(64)
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
                        inputNumbers[inputStart[id] + next] = found.number
                        if found.isNew { stack.append((found.number, 0)) }
                    }
                } else {
                    order.append(id)
                }
            }
        }
        inputStart.append(inputNumbers.count)
        slotStart.append(slotCount)
    }

    /// The number of `node`, giving it one (with no inputs known yet) if it is new.
    private mutating func discover(_ node: GraphNode<Scalar>) -> (number: Int, isNew: Bool) {
        if let known = numbers[ObjectIdentifier(node)] { return (known, false) }
        let id = nodes.count
        numbers[ObjectIdentifier(node)] = id
        nodes.append(node)
        inputStart.append(inputNumbers.count)
        inputNumbers.append(contentsOf: repeatElement(-1, count: node.inputs.count))
        slotStart.append(slotCount)
        slotCount += node.outputCount
        return (id, true)
    }

    /// The number of `node`, if it is an ancestor of the outputs.
    func number(of node: GraphNode<Scalar>) -> Int? { numbers[ObjectIdentifier(node)] }

    /// Where the numbers of node `id`'s inputs are in ``inputNumbers``.
    func inputs(of id: Int) -> Range<Int> { inputStart[id]..<inputStart[id + 1] }

    /// The gradient slots of node `id`'s outputs.
    func slots(of id: Int) -> Range<Int> { slotStart[id]..<slotStart[id + 1] }

    /// Step 2 of back-propagation: whether each node lies on a path from a target to an output (it
    /// is a target or depends on one), or, with `includingLeaves`, is a leaf or depends on one.
    func onPaths(from targets: [GraphEdge<Scalar>], includingLeaves: Bool) -> [Bool] {
        var needed = [Bool](repeating: false, count: nodes.count)
        for target in targets {
            if let id = number(of: target.node) { needed[id] = true }
        }
        for id in order {
            if needed[id] || (includingLeaves && nodes[id].isLeaf) {
                needed[id] = true
                continue
            }
            for j in inputs(of: id) where inputNumbers[j] >= 0 && needed[inputNumbers[j]] {
                needed[id] = true
                break
            }
        }
        return needed
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
        let layout = BinaryLayout(lhs: self, rhs: other, outputShape: shape, count: scalarCount)
        Kernel<Scalar>.binary(.add, layout).launch(reading: [self, other], writing: storage)
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
