import Testing
@testable import Feedforward

// Captured gradients against the eager `valueWithGradient(at:of:)`: every comparison is bit for bit.

/// An MLP with several hidden units and a residual block: input 3, output 2.
private func captureModel<S: TensorScalar>(seed: UInt64) -> Sequential<S> {
    var generator = SeededRandomNumberGenerator(seed: seed)
    return Sequential<S> {
        Dense<S>(inputSize: 3, outputSize: 5, activation: .relu, generator: &generator)
        Dense<S>(inputSize: 5, outputSize: 5, activation: .tanh, generator: &generator)
        Residual(Dense<S>(inputSize: 5, outputSize: 5, activation: .sigmoid, generator: &generator))
        Dense<S>(inputSize: 5, outputSize: 4, activation: .softplus, generator: &generator)
        Dense<S>(inputSize: 4, outputSize: 4, activation: .leakyReLU(slope: 0.1), generator: &generator)
        Dense<S>(inputSize: 4, outputSize: 4, activation: .gelu, generator: &generator)
        Dense<S>(inputSize: 4, outputSize: 2, generator: &generator)
    }
}

private func normal<S: TensorScalar>(_ shape: [Int], seed: UInt64) -> Tensor<S> {
    var generator = SeededRandomNumberGenerator(seed: seed)
    return .randomNormal(shape: shape, using: &generator)
}

/// Binary labels (0 or 1) of `shape`.
private func bits<S: TensorScalar>(_ shape: [Int], seed: UInt64) -> Tensor<S> {
    var generator = SeededRandomNumberGenerator(seed: seed)
    return Tensor(shape: shape, (0..<shape.reduce(1, *)).map { _ in S(Int.random(in: 0...1, using: &generator)) })
}

private typealias Loss<S: TensorScalar> = (Sequential<S>, [Tensor<S>]) -> Tensor<S>

/// The losses checked, each of the model and `[inputs, targets]` (targets of shape `[batch, 2]`).
private func captureLosses<S: TensorScalar>(_: S.Type) -> [(name: String, loss: Loss<S>)] {
    [
        ("meanSquaredError", { model, data in meanSquaredError(predictions: model(data[0]), targets: data[1]) }),
        ("binaryCrossEntropy", { model, data in binaryCrossEntropy(logits: model(data[0]), labels: data[1]) }),
        ("crossEntropy(probabilities:)", { model, data in
            crossEntropy(logits: model(data[0]), probabilities: softmax(data[1], alongAxis: 1))
        }),
    ]
}

private func expectBitwiseEqual<S>(
    _ replayed: (value: Tensor<S>, gradients: ParameterGradients<S>),
    _ eager: (value: Tensor<S>, gradients: ParameterGradients<S>),
    _ context: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(replayed.value.isBitwiseEqual(to: eager.value), "\(context): value", sourceLocation: sourceLocation)
    #expect(replayed.gradients.names == eager.gradients.names, "\(context): names", sourceLocation: sourceLocation)
    for (name, (a, b)) in zip(eager.gradients.names, zip(replayed.gradients.tensors, eager.gradients.tensors)) {
        #expect(a.isBitwiseEqual(to: b), "\(context): gradient of \(name)", sourceLocation: sourceLocation)
    }
}

private func checkReplayMatchesEager<S: TensorScalar>(_: S.Type) throws {
    let model: Sequential<S> = captureModel(seed: 7)
    let x: Tensor<S> = normal([6, 3], seed: 1)
    let targets: Tensor<S> = bits([6, 2], seed: 2)
    for (name, loss) in captureLosses(S.self) {
        let captured = CapturedGradient(of: loss)
        let eager = valueWithGradient(at: model) { loss($0, [x, targets]) }
        // The first call captures, the second replays.
        expectBitwiseEqual(try captured(at: model, inputs: [x, targets]), eager, "\(name), capturing call")
        expectBitwiseEqual(try captured(at: model, inputs: [x, targets]), eager, "\(name), replay")
        #expect(captured.capturedShapeCount == 1)
        #expect(eager.gradients.tensors.allSatisfy { $0.scalars.contains { $0 != 0 } }, "\(name): every gradient is used")
    }
    // Integer labels are a constant the function captures.
    let labels = [0, 1, 1, 0, 1, 0]
    let captured = CapturedGradient<Sequential<S>> { model, data in crossEntropy(logits: model(data[0]), labels: labels) }
    let eager = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: labels) }
    expectBitwiseEqual(try captured(at: model, inputs: [x]), eager, "crossEntropy(labels:), capturing call")
    expectBitwiseEqual(try captured(at: model, inputs: [x]), eager, "crossEntropy(labels:), replay")
}

@Test func replayMatchesEagerInFloat() throws { try checkReplayMatchesEager(Float.self) }
@Test func replayMatchesEagerInDouble() throws { try checkReplayMatchesEager(Double.self) }

/// Trains `steps` steps eagerly and by replay with the same optimizer; returns both models.
private func trainBothWays<S: TensorScalar, O: Optimizer>(
    _ optimizer: O, steps: Int, _: S.Type
) throws -> (eager: Sequential<S>, captured: Sequential<S>, losses: [(S, S)]) where O.Scalar == S {
    let loss = captureLosses(S.self)[1].loss
    let x: Tensor<S> = normal([6, 3], seed: 3)
    let targets: Tensor<S> = bits([6, 2], seed: 4)
    var eagerModel: Sequential<S> = captureModel(seed: 11)
    var eagerOptimizer = optimizer
    var capturedModel = eagerModel
    var capturedOptimizer = optimizer
    let captured = CapturedGradient(of: loss)
    var losses: [(S, S)] = []
    for _ in 0..<steps {
        let (eagerLoss, eagerGradients) = valueWithGradient(at: eagerModel) { loss($0, [x, targets]) }
        eagerOptimizer.update(&eagerModel, along: eagerGradients)
        let (capturedLoss, capturedGradients) = try captured(at: capturedModel, inputs: [x, targets])
        capturedOptimizer.update(&capturedModel, along: capturedGradients)
        losses.append((eagerLoss.scalar, capturedLoss.scalar))
    }
    return (eagerModel, capturedModel, losses)
}

private func expectSameModels<S>(_ a: Sequential<S>, _ b: Sequential<S>, sourceLocation: SourceLocation = #_sourceLocation) {
    for ((name, p), (_, q)) in zip(a.parameters, b.parameters) {
        #expect(p.isBitwiseEqual(to: q), "parameter \(name)", sourceLocation: sourceLocation)
    }
}

@Test func trainingWithMomentumMatchesEagerLoop() throws {
    let run = try trainBothWays(SGD<Float>(learningRate: 0.1, momentum: 0.9), steps: 8, Float.self)
    expectSameModels(run.eager, run.captured)
    #expect(run.losses.allSatisfy { $0.0 == $0.1 }, "\(run.losses)")
    #expect(run.losses.last!.0 < run.losses.first!.0, "the loss falls: \(run.losses)")
}

@Test func trainingWithAdamMatchesEagerLoop() throws {
    let run = try trainBothWays(Adam<Double>(learningRate: 0.01), steps: 8, Double.self)
    expectSameModels(run.eager, run.captured)
    #expect(run.losses.allSatisfy { $0.0 == $0.1 }, "\(run.losses)")
    #expect(run.losses.last!.0 < run.losses.first!.0, "the loss falls: \(run.losses)")
}

@Test func newDataEachCallGivesTheEagerResultForIt() throws {
    let model: Sequential<Float> = captureModel(seed: 5)
    let loss = captureLosses(Float.self)[0].loss
    let captured = CapturedGradient(of: loss)
    var previous: Float?
    for step in 0..<4 {
        let x: Tensor<Float> = normal([6, 3], seed: 100 + UInt64(step))
        let targets: Tensor<Float> = normal([6, 2], seed: 200 + UInt64(step))
        let replayed = try captured(at: model, inputs: [x, targets])
        expectBitwiseEqual(replayed, valueWithGradient(at: model) { loss($0, [x, targets]) }, "step \(step)")
        #expect(replayed.value.scalar != previous, "the data changed the loss")
        previous = replayed.value.scalar
    }
}

@Test func keptResultsDoNotChangeOnTheNextCall() throws {
    var model: Sequential<Float> = captureModel(seed: 9)
    let loss = captureLosses(Float.self)[0].loss
    let x: Tensor<Float> = normal([6, 3], seed: 1)
    let targets: Tensor<Float> = normal([6, 2], seed: 2)
    let captured = CapturedGradient(of: loss)
    let first = try captured(at: model, inputs: [x, targets])
    let firstValue = first.value.scalars
    let firstGradients = first.gradients.tensors.map(\.scalars)
    var optimizer = SGD<Float>(learningRate: 0.5)
    optimizer.update(&model, along: first.gradients)
    let second = try captured(at: model, inputs: [x, targets])
    #expect(second.value.scalars != firstValue, "the second call computes something else")
    #expect(first.value.scalars == firstValue)
    #expect(first.gradients.tensors.map(\.scalars) == firstGradients)
    #expect(!second.value.sharesStorage(with: first.value))
    // Once the caller lets go of them, the buffers are used again.
    let secondValue = second.value.scalars
    let third = try captured(at: model, inputs: [x, targets])
    #expect(second.value.scalars == secondValue)
    #expect(third.value.scalars == secondValue, "the same arguments give the same value")
}

@Test func newShapesAreCapturedOnceEach() throws {
    let model: Sequential<Double> = captureModel(seed: 13)
    let loss = captureLosses(Double.self)[2].loss
    let captured = CapturedGradient(of: loss)
    for (batch, expectedCount) in [(6, 1), (2, 2), (6, 2), (2, 2), (1, 3)] {
        let x: Tensor<Double> = normal([batch, 3], seed: UInt64(batch))
        let targets: Tensor<Double> = normal([batch, 2], seed: UInt64(batch) + 50)
        expectBitwiseEqual(
            try captured(at: model, inputs: [x, targets]), valueWithGradient(at: model) { loss($0, [x, targets]) },
            "batch \(batch)")
        #expect(captured.capturedShapeCount == expectedCount, "after batch \(batch)")
    }
    // A model with other parameter shapes is captured too.
    var generator = SeededRandomNumberGenerator(seed: 1)
    let other = Sequential<Double> { Dense<Double>(inputSize: 3, outputSize: 2, generator: &generator) }
    let x: Tensor<Double> = normal([6, 3], seed: 6)
    let targets: Tensor<Double> = normal([6, 2], seed: 56)
    expectBitwiseEqual(
        try captured(at: other, inputs: [x, targets]), valueWithGradient(at: other) { loss($0, [x, targets]) }, "other model")
    #expect(captured.capturedShapeCount == 4)
}

@Test func aValueReadOnTheHostIsRejected() throws {
    let model: Sequential<Float> = captureModel(seed: 3)
    let x: Tensor<Float> = normal([6, 3], seed: 1)
    let targets: Tensor<Float> = normal([6, 2], seed: 2)
    // The scale is read from the loss on the host: capture would freeze it.
    let captured = CapturedGradient<Sequential<Float>> { model, data in
        let loss = meanSquaredError(predictions: model(data[0]), targets: data[1])
        return loss * Tensor(loss.scalar)
    }
    #expect(throws: CaptureError.replayMismatch(output: "value")) { try captured(at: model, inputs: [x, targets]) }
}

@Test func aBranchOnAValueIsRejected() throws {
    let model: Sequential<Double> = captureModel(seed: 3)
    let x = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let targets: Tensor<Double> = normal([2, 2], seed: 2)
    // Both branches give the same loss at the capture's arguments, so only the check with other
    // values can tell them apart.
    let captured = CapturedGradient<Sequential<Double>> { model, data in
        let error = meanSquaredError(predictions: model(data[0]), targets: data[1])
        return data[0].scalars[0] == 1 ? error : error * data[0].sum() / 21
    }
    #expect(throws: CaptureError.replayMismatch(output: "value")) { try captured(at: model, inputs: [x, targets]) }
    #expect(captured.capturedShapeCount == 0)
}

@Test func aReturnedInputIsRejected() throws {
    var generator = SeededRandomNumberGenerator(seed: 1)
    let model = Sequential<Float> { Dense<Float>(inputSize: 1, outputSize: 1, generator: &generator) }
    let captured = CapturedGradient<Sequential<Float>> { model, data in data[0] + model(data[0]).sum() * 0 }
    let one = Tensor<Float>(shape: [1, 1], scalars: [1])
    // The value is a new tensor here, so this one is accepted; returning the input itself is not.
    _ = try captured(at: model, inputs: [one])
    let identity = CapturedGradient<Sequential<Float>> { _, data in data[0] }
    #expect(throws: CaptureError.outputIsArgument(output: "value")) { try identity(at: model, inputs: [Tensor<Float>([2])]) }
}

@Test func aMeanOverNoAxesLeavesItsInputAlone() throws {
    // A mean over no axes divides nothing: it must not write into the input's storage (which the
    // capture would reject as a write into an argument).
    var generator = SeededRandomNumberGenerator(seed: 2)
    let model = Sequential<Float> { Dense<Float>(inputSize: 2, outputSize: 1, generator: &generator) }
    let captured = CapturedGradient<Sequential<Float>> { model, data in model(data[0].mean(alongAxes: [])).sum() }
    let x = Tensor<Float>(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
    let (value, _) = try captured(at: model, inputs: [x])
    #expect(value.scalar == withoutGradients { model(x).sum() }.scalar)
}

@Test func xorNetworkCaptures() throws {
    let x = Tensor<Float>(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
    let y = Tensor<Float>(shape: [4, 1], scalars: [0, 1, 1, 0])
    var generator = SeededRandomNumberGenerator(seed: 1)
    func uniform(_ shape: [Int]) -> Tensor<Float> {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &generator) })
    }
    let model = Sequential<Float>([
        Dense(weight: uniform([2, 2]), bias: Tensor<Float>([0.1, 0.1]), activation: .relu),
        Dense(weight: uniform([1, 2]), bias: Tensor<Float>([0]), activation: .identity),
    ])
    let captured = CapturedGradient<Sequential<Float>> { model, data in
        meanSquaredError(predictions: model(data[0]), targets: data[1])
    }
    expectBitwiseEqual(
        try captured(at: model, inputs: [x, y]),
        valueWithGradient(at: model) { meanSquaredError(predictions: $0(x), targets: y) }, "xor")
}

@Test func dropoutInTrainingIsRejected() throws {
    var generator = SeededRandomNumberGenerator(seed: 2)
    let model = Sequential<Float> {
        Dense<Float>(inputSize: 3, outputSize: 8, activation: .relu, generator: &generator)
        Dropout<Float>(probability: 0.5)
        Dense<Float>(inputSize: 8, outputSize: 2, generator: &generator)
    }
    let x: Tensor<Float> = normal([6, 3], seed: 1)
    let targets: Tensor<Float> = normal([6, 2], seed: 2)
    let captured = CapturedGradient(of: captureLosses(Float.self)[0].loss)
    var masks = SeededRandomNumberGenerator(seed: 3)
    #expect(throws: CaptureError.self) {
        try LearningPhase.training(using: &masks) { try captured(at: model, inputs: [x, targets]) }
    }
    // Outside training, dropout is the identity and the capture succeeds.
    expectBitwiseEqual(
        try captured(at: model, inputs: [x, targets]),
        valueWithGradient(at: model) { meanSquaredError(predictions: $0(x), targets: targets) }, "inference mode")
}

@Test func recomputedLayersReplayToo() throws {
    // A checkpointed block runs its forward pass again during back-propagation; the trace records both.
    var generator = SeededRandomNumberGenerator(seed: 4)
    let model = Sequential<Double> {
        Checkpointed(Dense<Double>(inputSize: 3, outputSize: 4, activation: .tanh, generator: &generator))
        Dense<Double>(inputSize: 4, outputSize: 2, generator: &generator)
    }
    let loss = captureLosses(Double.self)[0].loss
    let captured = CapturedGradient(of: loss)
    for seed in [UInt64(1), 2] {
        let x: Tensor<Double> = normal([5, 3], seed: seed)
        let targets: Tensor<Double> = normal([5, 2], seed: seed + 10)
        expectBitwiseEqual(
            try captured(at: model, inputs: [x, targets]), valueWithGradient(at: model) { loss($0, [x, targets]) },
            "seed \(seed)")
    }
}
