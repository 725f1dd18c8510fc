import Testing
@testable import Feedforward

/// A training step (valueWithGradient at the model, then Optimizer.update) must write the parameters
/// and the optimizer state in place: the same storage objects before and after every step.
@Suite struct InPlaceUpdateTests {
    static func problem() -> (Sequential<Float>, Tensor<Float>, [Int]) {
        var generator = SeededRandomNumberGenerator(seed: 5)
        let model = NetworkSpecification(inputSize: 6, hiddenSizes: [5, 4], activation: .relu, output: .softmax, targetSize: 3)
            .makeModel(generator: &generator)
        let x = Tensor<Float>(shape: [8, 6], scalars: (0..<48).map { Float(($0 * 7) % 11) / 11 - 0.4 })
        return (model, x, (0..<8).map { $0 % 3 })
    }

    static func storages(_ model: Sequential<Float>) -> [ObjectIdentifier] {
        model.parameters.map { ObjectIdentifier($0.value.storage) }
    }

    func check(_ optimizer: some Optimizer<Float>, bufferCount: Int) {
        var optimizer = optimizer
        var (model, x, labels) = Self.problem()
        let parameterStorage = Self.storages(model)
        let before = model.parameters.map(\.value.scalars)
        var stateStorage: [String: ObjectIdentifier] = [:]
        for step in 0..<4 {
            let (_, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: labels) }
            // The gradients own fresh buffers, distinct from the parameters.
            for (gradient, parameter) in zip(gradients.tensors, model.parameters) {
                #expect(!gradient.sharesStorage(with: parameter.value))
                #expect(!gradient.requiresGradient)
            }
            optimizer.update(&model, along: gradients)
            #expect(Self.storages(model) == parameterStorage, "step \(step): a parameter was reallocated")
            #expect(model.parameters.allSatisfy { !$0.value.requiresGradient })
            let state = optimizer.state
            #expect(state.count == model.parameters.count * bufferCount)
            if step == 0 {
                stateStorage = state.mapValues { ObjectIdentifier($0.storage) }
            } else {
                #expect(state.mapValues { ObjectIdentifier($0.storage) } == stateStorage, "step \(step): optimizer state was reallocated")
            }
        }
        // The steps did change the values.
        #expect(model.parameters.map(\.value.scalars) != before)
    }

    @Test func sgdWithMomentumUpdatesInPlace() {
        check(SGD<Float>(learningRate: 0.05, momentum: 0.9), bufferCount: 1)
    }

    @Test func plainSGDUpdatesInPlace() {
        check(SGD<Float>(learningRate: 0.05), bufferCount: 0)
    }

    @Test func adamUpdatesInPlace() {
        check(Adam<Float>(learningRate: 1e-3), bufferCount: 2)
    }

    /// A copy of the model taken before the step keeps the old values (copy-on-write), and only then
    /// does the step allocate: once, for the parameters the copy shares.
    @Test func aCopyOfTheModelKeepsItsValues() {
        var (model, x, labels) = Self.problem()
        var optimizer = SGD<Float>(learningRate: 0.1)
        let snapshot = model
        let (_, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: labels) }
        optimizer.update(&model, along: gradients)
        #expect(snapshot.parameters.map(\.value.scalars) != model.parameters.map(\.value.scalars))
        #expect(Self.storages(snapshot) != Self.storages(model))
    }

    /// After the first steps, a training step takes every buffer of its gradients and activations
    /// from the ``BufferPool``: it asks the system for no new memory. Unusual sizes keep tests that
    /// run at the same time from taking these buffers.
    @Test(.enabled(if: BufferPool.isEnabled)) func stepsAfterTheFirstAllocateNoNewMemory() {
        let capacity = BufferPool.capacityBytes
        BufferPool.capacityBytes = Int.max
        defer { BufferPool.capacityBytes = capacity }
        var generator = SeededRandomNumberGenerator(seed: 3)
        var model = NetworkSpecification(inputSize: 37, hiddenSizes: [53, 29], activation: .relu, output: .softmax, targetSize: 7)
            .makeModel(generator: &generator)
        let x = Tensor<Float>.randomNormal(shape: [19, 37], using: &generator)
        let labels = (0..<19).map { $0 % 7 }
        var optimizer = SGD<Float>(learningRate: 0.05, momentum: 0.9)
        func step() {
            let (_, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: labels) }
            optimizer.update(&model, along: gradients)
        }
        let float = MemoryLayout<Float>.stride
        let sizes = [53 * 37, 29 * 53, 19 * 53, 19 * 29].map { $0 * float }
        for _ in 0..<2 { step() }
        let before = sizes.map { BufferPool.systemAllocations(ofByteCount: $0) }
        #expect(before.allSatisfy { $0 > 0 })
        for _ in 0..<5 { step() }
        #expect(sizes.map { BufferPool.systemAllocations(ofByteCount: $0) } == before)
    }
}

/// A session trains through ``Trainer`` and hands it the model and optimizer by moving them: the
/// parameters and the optimizer's buffers keep their storage across epochs.
@Suite struct SessionInPlaceTests {
    @Test func aSessionsEpochsUpdateTheParametersInPlace() throws {
        let data = TrainingSessionTests.blobs(count: 64, seed: 3)
        var session = TrainingSessionTests.session(epochs: 3, optimizer: .adam)
        try session.trainEpoch(on: data)
        let parameters = InPlaceUpdateTests.storages(session.model)
        let state = session.optimizer.state.mapValues { ObjectIdentifier($0.storage) }
        let before = session.model.parameters.map(\.value.scalars)
        try session.trainEpoch(on: data)
        try session.trainEpoch(on: data)
        #expect(InPlaceUpdateTests.storages(session.model) == parameters)
        #expect(session.optimizer.state.mapValues { ObjectIdentifier($0.storage) } == state)
        #expect(session.model.parameters.map(\.value.scalars) != before)
    }
}
