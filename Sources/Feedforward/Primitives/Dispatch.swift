// The one dispatch path (JAX's `bind`): every primitive runs through `Primitive.bind`, and every
// kernel that touches tensor storage runs through `Kernel.launch`, which is also where an active
// `KernelTrace` sees it. A primitive cannot run its kernel without being recorded, and a kernel
// cannot run without being traced.

extension Primitive {
    /// Applies the primitive to one input (see ``bind(_:)``).
    @inline(__always)
    func bind(_ input: Tensor<Scalar>) -> Tensor<Scalar> { bind([input]) }

    /// Applies the primitive: runs its kernel (appending it to an active kernel trace), checks the
    /// result when anomaly detection is on, records a graph node when an input takes part in
    /// differentiation and recording is on, and computes the output's tangents at the forward-mode
    /// levels that reach it.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func bind(_ inputs: [Tensor<Scalar>]) -> Tensor<Scalar> {
        var output = evaluate(inputs)
        AnomalyDetection.checkForward(name, output: output, inputs: inputs)
        guard let derivative, GradientRecording.isEnabled else { return output }
        var anyEdge = false
        for input in inputs where input.edge != nil {
            anyEdge = true
            break
        }
        guard anyEdge else { return output }
        let node = GraphNode<Scalar>(
            operation: name, inputs: inputs.graphInputs(), outputShape: output.shape, outputCount: 1,
            derivative: .primitive(
                derivative, savedInputs: saving.contains(.inputs) ? inputs : [],
                savedOutput: saving.contains(.output) ? output.storage : nil),
            isLeaf: false)
        output.edge = GraphEdge(node: node, outputIndex: 0)
        if ForwardMode.runningCount.load(ordering: .relaxed) > 0 {
            let values = PrimitiveValues(inputs: inputs, output: output)
            let rule: PrimitiveRule<Scalar>
            switch tangent {
            case .sameAsDerivative: rule = derivative
            case .rule(let own): rule = own
            }
            let shape = output.shape
            ForwardMode.propagate(to: node, inputs: inputs) { tangents in
                var total: Tensor<Scalar>?
                for index in tangents.indices {
                    guard let tangent = tangents[index] else { continue }
                    let part = rule(tangent, values, index)
                    total = total.map { $0 + part } ?? part
                }
                return [total?.broadcastedTangent(to: shape)]
            }
        }
        return output
    }

    /// The output, computed by the primitive's kernel (nothing is recorded).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func evaluate(_ inputs: [Tensor<Scalar>]) -> Tensor<Scalar> {
        switch computation {
        case .unary(let operation, let parameter):
            let result = Tensor<Scalar>(uninitializedShape: inputs[0].shape)
            Kernel<Scalar>.unary(operation, parameter, count: result.scalarCount).launch(reading: inputs, writing: result.storage)
            return result
        case .binary(let operation):
            let (lhs, rhs) = (inputs[0], inputs[1])
            let shape = lhs.shape == rhs.shape ? lhs.shape : Shape.broadcast(lhs.shape, rhs.shape, operation: name)
            let result = Tensor<Scalar>(uninitializedShape: shape)
            let layout = BinaryLayout(lhs: lhs, rhs: rhs, outputShape: shape, count: result.scalarCount)
            Kernel<Scalar>.binary(operation, layout).launch(reading: inputs, writing: result.storage)
            return result
        case .kernel(let shape, let body):
            let result = Tensor<Scalar>(uninitializedShape: shape)
            Kernel<Scalar>.custom(body).launch(reading: inputs, writing: result.storage)
            return result
        case .view(let shape):
            return Tensor(storage: inputs[0].storage, shape: shape)
        }
    }
}

/// A kernel ready to run on buffers.
enum Kernel<Scalar: TensorScalar> {
    /// A unary element-wise kernel over `count` elements.
    case unary(UnaryOperation, Scalar, count: Int)
    /// A binary element-wise kernel, walking its operands as `layout` says.
    case binary(BinaryOperation, BinaryLayout<Scalar>)
    /// Any other kernel.
    case custom((KernelArguments<Scalar>) -> Void)

    @inline(__always)
    func run(_ arguments: KernelArguments<Scalar>) {
        switch self {
        case .unary(let operation, let parameter, let count):
            runUnary(operation, parameter, arguments[0], arguments.output, count: count)
        case .binary(let operation, let layout):
            layout.run(operation, arguments[0], arguments[1], arguments.output)
        case .custom(let body):
            body(arguments)
        }
    }

    /// Runs the kernel on the buffers of `operands`, writing into `output` (which may be one of
    /// them), after appending it to the active ``KernelTrace`` if there is one. The only place a
    /// kernel runs on tensor storage.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func launch(reading operands: [Tensor<Scalar>], writing output: TensorStorage<Scalar>) {
        if let trace = KernelTrace.active { trace.append(reading: operands, writing: output, self) }
        withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Scalar>.self, capacity: operands.count) { buffers in
            for index in 0..<operands.count { buffers[index] = operands[index].storage.base }
            run(KernelArguments(operands: UnsafeBufferPointer(buffers), output: output.base))
        }
    }
}
