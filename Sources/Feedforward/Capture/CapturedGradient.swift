import Foundation

/// Why a ``CapturedGradient`` cannot compute a value and gradients by replay.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Replaying the captured kernels did not reproduce, bit for bit, what the function computes:
    /// it depends on something capture froze (a value read on the host, control flow on tensor values,
    /// randomness, a conversion the trace does not see). `output` names the first differing result,
    /// `"value"` or `"gradient of 'NAME'"`.
    case replayMismatch(output: String)
    /// The function writes in place into a parameter or an input.
    case writesIntoArgument
    /// The value or a gradient is a parameter or an input itself, which replay cannot return as a
    /// result of its own.
    case outputIsArgument(output: String)

    public var description: String {
        switch self {
        case .replayMismatch(let output):
            return "the captured computation's \(output) differs from the function's own result on other values: "
                + "the function depends on values read on the host, on randomness, or on an operation replay cannot see"
        case .writesIntoArgument:
            return "the function writes in place into a parameter or an input"
        case .outputIsArgument(let output):
            return "the function's \(output) is a parameter or an input itself"
        }
    }
}

/// The value of a loss and its gradient with respect to every parameter of a model, computed by
/// replaying kernels recorded once: a training step's gradient as a static computation (as
/// `jax.jit` of `jax.value_and_grad`, or a CUDA graph).
///
/// The first call with given shapes runs `loss` once through ``valueWithGradient(at:of:)-(Model,_)`` while
/// recording every kernel it dispatches (the forward pass and back-propagation), then checks the
/// record: replayed on perturbed parameters and inputs, it must give bit for bit what the function
/// gives on them, or the call throws ``CaptureError/replayMismatch(output:)``. Later calls replay the
/// record on the current parameters and inputs: no graph, no per-operation allocation, the same bits
/// as ``valueWithGradient(at:of:)-(Model,_)``.
///
/// What the record sees, as with `jax.jit`: the model's parameters and the `inputs` tensors are
/// arguments, read afresh at each call. Everything else the function uses is a constant frozen at
/// capture: a tensor or Swift array it captures (labels, masks), randomness (dropout in training
/// mode), values computed on the host from tensors (through `scalars`, `withUnsafeBufferPointer` or
/// a conversion to another element type; the record holds only the library's own kernels), and
/// Swift control flow that depends on values (a branch on `x.scalar`). The check finds such a
/// dependence when the perturbed values change a result; a branch taken the same way for both sets
/// of values goes unnoticed and stays frozen. A new combination of parameter and input shapes (a
/// last, smaller batch) is captured once more and kept; ``capturedShapeCount`` counts them.
///
/// The optimizer's update stays outside, so schedules and step counts work as usual, and the model
/// can be updated in place between calls. Results have value semantics: a result kept from one call
/// is not changed by the next. They are constants for differentiation (nothing is recorded), and
/// anomaly detection does not check replayed kernels. A capture costs two eager evaluations (the
/// recorded one and the perturbed one of the check) and three replays.
///
/// ```swift
/// let step = CapturedGradient<Sequential<Float>> { model, inputs in
///     meanSquaredError(predictions: model(inputs[0]), targets: inputs[1])
/// }
/// for _ in 0..<1000 {
///     let (loss, gradients) = try step(at: model, inputs: [x, y])
///     optimizer.update(&model, along: gradients)
/// }
/// ```
public final class CapturedGradient<Model: Layer> {
    /// The element type of the model's parameters.
    public typealias Scalar = Model.Scalar

    private let loss: (Model, [Tensor<Scalar>]) -> Tensor<Scalar>
    private var steps: [[[Int]]: CapturedStep<Model>] = [:]
    private var lastStep: CapturedStep<Model>?

    /// Prepares to capture `loss` of a model and a list of input tensors; nothing runs until the
    /// first call.
    public init(of loss: @escaping (_ model: Model, _ inputs: [Tensor<Scalar>]) -> Tensor<Scalar>) {
        self.loss = loss
    }

    /// How many combinations of parameter and input shapes have been captured.
    public var capturedShapeCount: Int { steps.count }

    /// The value of the loss at `model` and `inputs`, and its gradient with respect to every
    /// parameter of `model` (the same bits as ``valueWithGradient(at:of:)-(Model,_)``).
    ///
    /// Throws a ``CaptureError`` when the function cannot be replayed (on the call that captures it).
    public func callAsFunction(
        at model: Model, inputs: [Tensor<Scalar>] = []
    ) throws(CaptureError) -> (value: Tensor<Scalar>, gradients: ParameterGradients<Scalar>) {
        if let lastStep, let result = lastStep.replay(at: model, inputs: inputs) { return result }
        var shapes = model.parameters.map(\.value.shape)
        shapes.append([-1])  // separates parameter shapes from input shapes
        shapes += inputs.map(\.shape)
        let step: CapturedStep<Model>
        if let cached = steps[shapes] {
            step = cached
        } else {
            step = try CapturedStep.capture(loss, at: model, inputs: inputs)
            steps[shapes] = step
        }
        lastStep = step
        guard let result = step.replay(at: model, inputs: inputs) else {
            preconditionFailure("CapturedGradient: a captured step does not accept the arguments it was captured for")
        }
        return result
    }
}

/// One captured computation of the value and gradients, for fixed parameter and input shapes: the
/// replay program and where the arguments go in its table.
final class CapturedStep<Model: Layer> {
    typealias Scalar = Model.Scalar

    private let program: ReplayProgram<Scalar>
    private let parameterSlots: [Int]
    private let parameterShapes: [[Int]]
    private let inputSlots: [Int]
    private let inputShapes: [[Int]]

    private init(
        program: ReplayProgram<Scalar>, parameterSlots: [Int], parameterShapes: [[Int]], inputSlots: [Int],
        inputShapes: [[Int]]
    ) {
        self.program = program
        self.parameterSlots = parameterSlots
        self.parameterShapes = parameterShapes
        self.inputSlots = inputSlots
        self.inputShapes = inputShapes
    }

    /// Runs the recorded kernels on the parameters of `model` and on `inputs`, or returns nil when
    /// their count or shapes differ from the capture.
    func replay(
        at model: Model, inputs: [Tensor<Scalar>]
    ) -> (value: Tensor<Scalar>, gradients: ParameterGradients<Scalar>)? {
        // The table holds bare pointers: the arguments must live until the kernels have run.
        withExtendedLifetime((model, inputs)) {
            bind(model: model, inputs: inputs) ? program.run() : nil
        }
    }

    /// Writes the buffers of `model`'s parameters and of `inputs` into the table; false, with the
    /// table unusable until the next successful bind, when their count or shapes differ from the capture.
    private func bind(model: Model, inputs: [Tensor<Scalar>]) -> Bool {
        // Index loops: this code is generic over the model, and a generic `enumerated()` iterates slowly.
        guard inputs.count == inputSlots.count else { return false }
        for index in 0..<inputs.count where inputs[index].shape != inputShapes[index] { return false }
        let table = program.table
        var visited = model
        var index = 0
        var matches = true
        visited.visitParameters { _, parameter in
            guard matches, index < parameterSlots.count, parameter.shape == parameterShapes[index] else {
                matches = false
                return
            }
            table[parameterSlots[index]] = UnsafeMutableRawPointer(parameter.storage.base)
            index += 1
        }
        guard matches, index == parameterSlots.count else { return false }
        for index in 0..<inputs.count {
            table[inputSlots[index]] = UnsafeMutableRawPointer(inputs[index].storage.base)
        }
        return true
    }

    /// Records `loss` at `model` and `inputs`, then checks the record against the function.
    static func capture(
        _ loss: (Model, [Tensor<Scalar>]) -> Tensor<Scalar>, at model: Model, inputs: [Tensor<Scalar>]
    ) throws(CaptureError) -> CapturedStep {
        let trace = KernelTrace()
        // Each argument gets a slot of its own: a buffer passed twice is copied for the capture.
        var seen = Set<ObjectIdentifier>()
        func distinct(_ tensor: Tensor<Scalar>) -> Tensor<Scalar> {
            let unseen = seen.insert(ObjectIdentifier(tensor.storage)).inserted
            return unseen ? tensor.detached() : Tensor(storage: tensor.storage.copyUntraced(), shape: tensor.shape)
        }
        var traced = model
        var names: [String] = []
        var parameterSlots: [Int] = []
        var parameterShapes: [[Int]] = []
        traced.visitParameters { name, parameter in
            parameter = distinct(parameter)
            names.append(name)
            parameterShapes.append(parameter.shape)
            parameterSlots.append(trace.bind(parameter.storage))
        }
        let tracedInputs = inputs.map(distinct)
        let inputSlots = tracedInputs.map { trace.bind($0.storage) }

        var recorded: (value: Tensor<Scalar>, gradients: ParameterGradients<Scalar>)? = trace.recording {
            valueWithGradient(at: traced) { loss($0, tracedInputs) }
        }
        if trace.wroteIntoBoundSlot { throw .writesIntoArgument }

        let results = [recorded!.value] + recorded!.gradients.tensors
        let labels = ["value"] + names.map { "gradient of '\($0)'" }
        var outputs: [ReplayProgram<Scalar>.Output] = []
        var ownedOutputs: [TensorStorage<Scalar>] = []
        var ownedOutputSlots: [Int] = []
        for (index, tensor) in results.enumerated() {
            guard let slot = trace.existingSlot(of: tensor.storage) else {
                outputs.append(.constant(tensor.storage))
                continue
            }
            switch trace.kinds[slot] {
            case .bound:
                throw .outputIsArgument(output: labels[index])
            case .constant:
                outputs.append(.constant(tensor.storage))
            case .owned:
                if let buffer = ownedOutputSlots.firstIndex(of: slot) {
                    outputs.append(.owned(buffer))
                } else {
                    outputs.append(.owned(ownedOutputs.count))
                    ownedOutputs.append(tensor.storage)
                    ownedOutputSlots.append(slot)
                    trace.releaseStorage(ofSlot: slot)
                }
            }
        }
        let program = ReplayProgram(
            trace: trace, names: names, outputs: outputs, outputShapes: results.map(\.shape), ownedOutputs: ownedOutputs,
            ownedOutputSlots: ownedOutputSlots)
        let step = CapturedStep(
            program: program, parameterSlots: parameterSlots, parameterShapes: parameterShapes, inputSlots: inputSlots,
            inputShapes: tracedInputs.map(\.shape))

        // The check: the record replayed at the capture's own arguments, then at perturbed ones, must
        // give the function's results bit for bit.
        let expected = recorded!
        recorded = nil
        try step.verify(step.replay(at: traced, inputs: tracedInputs)!, against: expected, labels: labels)
        var perturbedModel = model
        perturbedModel.visitParameters { _, parameter in parameter = perturbed(parameter) }
        let perturbedInputs = inputs.map(perturbed)
        let perturbedExpected = valueWithGradient(at: perturbedModel) { loss($0, perturbedInputs) }
        try step.verify(step.replay(at: perturbedModel, inputs: perturbedInputs)!, against: perturbedExpected, labels: labels)
        return step
    }

    private func verify(
        _ replayed: (value: Tensor<Scalar>, gradients: ParameterGradients<Scalar>),
        against expected: (value: Tensor<Scalar>, gradients: ParameterGradients<Scalar>), labels: [String]
    ) throws(CaptureError) {
        let pairs = [(replayed.value, expected.value)] + zip(replayed.gradients.tensors, expected.gradients.tensors).map { ($0, $1) }
        for (index, (a, b)) in pairs.enumerated() where !a.isBitwiseEqual(to: b) {
            throw .replayMismatch(output: labels[index])
        }
    }
}

/// Other values for the check of a capture: `0.75 x + 0.125`, computed outside any trace.
private func perturbed<S>(_ tensor: Tensor<S>) -> Tensor<S> {
    (tensor.detached() * 0.75 + 0.125).detached()
}

extension Tensor {
    /// Whether both tensors have the same shape and the same bits in every element.
    func isBitwiseEqual(to other: Tensor) -> Bool {
        shape == other.shape && memcmp(storage.base, other.storage.base, scalarCount * MemoryLayout<Scalar>.stride) == 0
    }
}
