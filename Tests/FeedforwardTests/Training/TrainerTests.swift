import Foundation
import Testing
@testable import Feedforward

/// A model the library does not build: two dense layers with a learned linear skip connection,
/// `y = W₂ relu(W₁ x + b₁) + b₂ + S x`.
struct SkipConnectionModel: Layer {
    var hidden: Dense<Float>
    var output: Dense<Float>
    var skip: Dense<Float>

    init(inputSize: Int, hiddenSize: Int, outputSize: Int, seed: UInt64) {
        var generator = SeededRandomNumberGenerator(seed: seed)
        hidden = Dense(inputSize: inputSize, outputSize: hiddenSize, activation: .relu, generator: &generator)
        output = Dense(inputSize: hiddenSize, outputSize: outputSize, generator: &generator)
        skip = Dense(inputSize: inputSize, outputSize: outputSize, generator: &generator)
    }

    func callAsFunction(_ input: Tensor<Float>) -> Tensor<Float> {
        output(hidden(input)) + skip(input)
    }

    mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Float>) throws -> Void) rethrows {
        try hidden.visitParameters(prefix: parameterName(prefix, "hidden"), body)
        try output.visitParameters(prefix: parameterName(prefix, "output"), body)
        try skip.visitParameters(prefix: parameterName(prefix, "skip"), body)
    }
}

@Suite("Training: the generic Trainer loop") struct TrainerTests {
    /// Three classes of points in the plane by angle, with two noise features.
    static func spiralExamples(count: Int, seed: UInt64) -> LabeledExamples<Float> {
        var generator = SeededRandomNumberGenerator(seed: seed)
        var inputs: [Float] = []
        var labels: [Int] = []
        for _ in 0..<count {
            let x = generator.nextFloat() * 2 - 1, y = generator.nextFloat() * 2 - 1
            inputs += [x, y, generator.nextFloat(), generator.nextFloat()]
            let angle = atan2(Double(y), Double(x)) + .pi
            labels.append(min(2, Int(angle / (2 * .pi / 3))))
        }
        return LabeledExamples(inputs: Tensor(shape: [count, 4], scalars: inputs), labels: labels)
    }

    static func makeTrainer(seed: UInt64, configuration: TrainingLoopConfiguration = TrainingLoopConfiguration())
        -> Trainer<SkipConnectionModel, LabeledExamples<Float>>
    {
        Trainer(
            model: SkipConnectionModel(inputSize: 4, hiddenSize: 16, outputSize: 3, seed: seed),
            optimizer: Adam<Float>(learningRate: 0.02), configuration: configuration, seed: 7
        ) { model, batch in
            crossEntropy(logits: model(batch.inputs), labels: batch.labels)
        }
    }

    static func bits(_ model: some Layer<Float>) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.value.scalars.map(\.bitPattern)) })
    }

    @Test func customLayerModelTrainsSavesReloadsAndPredictsTheSameNumbers() throws {
        let training = Self.spiralExamples(count: 300, seed: 1)
        let test = Self.spiralExamples(count: 200, seed: 2)
        var configuration = TrainingLoopConfiguration()
        configuration.epochs = 40
        var trainer = Self.makeTrainer(seed: 3, configuration: configuration)
        let before = trainer.meanLoss(on: test)
        try trainer.fit(on: training)
        #expect(trainer.epoch == 40 && trainer.step == 40 * 10)
        let after = trainer.meanLoss(on: test)
        #expect(after < before * 0.5, "test loss \(before) → \(after)")
        #expect(accuracy(logits: trainer.model(test.inputs), labels: test.labels) > 0.85)

        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("skip.safetensors")
        try trainer.save(to: url)
        var reloaded = Self.makeTrainer(seed: 99)
        #expect(Self.bits(reloaded.model) != Self.bits(trainer.model))
        try reloaded.restore(from: url)
        #expect(Self.bits(reloaded.model) == Self.bits(trainer.model))
        #expect(reloaded.model(test.inputs) == trainer.model(test.inputs))
        #expect(reloaded.history == trainer.history && reloaded.epoch == 40)

        // The model's parameters in the checkpoint are plain safetensors tensors named model.<name>.
        let file = try SafeTensors.read(contentsOf: url)
        #expect(Set(file.tensors.keys.filter { $0.hasPrefix("model.") })
                == ["model.hidden.weight", "model.hidden.bias", "model.output.weight", "model.output.bias",
                    "model.skip.weight", "model.skip.bias"])
    }

    @Test func resumingFromACheckpointContinuesBitForBit() throws {
        let training = Self.spiralExamples(count: 100, seed: 4)
        let validation = Self.spiralExamples(count: 50, seed: 5)
        var configuration = TrainingLoopConfiguration()
        configuration.epochs = 6
        configuration.batchSize = 16
        configuration.schedule = .cosine(totalSteps: 30, minimum: 0.001)
        var straight = Self.makeTrainer(seed: 3, configuration: configuration)
        try straight.fit(on: training, validation: validation)

        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("half.safetensors")
        var first = Self.makeTrainer(seed: 3, configuration: configuration)
        first.configuration.epochs = 3
        try first.fit(on: training, validation: validation, checkpoint: url)
        var resumed = Self.makeTrainer(seed: 42)
        try resumed.restore(from: url)
        #expect(resumed.epoch == 3 && resumed.optimizer.stepCount == first.optimizer.stepCount)
        resumed.configuration.epochs = 6
        try resumed.fit(on: training, validation: validation)
        #expect(Self.bits(resumed.model) == Self.bits(straight.model))
        #expect(resumed.history.map(\.trainLoss) == straight.history.map(\.trainLoss))
        #expect(resumed.history.map(\.validationLoss) == straight.history.map(\.validationLoss))

        // Control: the same resume with a fresh optimizer (Adam's moments lost) does not match, so the
        // comparison above can fail.
        var withoutOptimizerState = Self.makeTrainer(seed: 42)
        try withoutOptimizerState.restore(from: url)
        withoutOptimizerState.optimizer = Adam<Float>(learningRate: 0.02)
        withoutOptimizerState.configuration.epochs = 6
        try withoutOptimizerState.fit(on: training, validation: validation)
        #expect(Self.bits(withoutOptimizerState.model) != Self.bits(straight.model))
    }

    @Test func earlyStoppingRestoresTheBestWeights() throws {
        // Validation labels are the training labels shifted by one class, so fitting the training
        // data makes the validation loss rise after a while.
        let training = Self.spiralExamples(count: 200, seed: 6)
        let shifted = LabeledExamples(inputs: training.inputs, labels: training.labels.map { ($0 + 1) % 3 })
        var configuration = TrainingLoopConfiguration()
        configuration.epochs = 50
        configuration.earlyStoppingPatience = 3
        var trainer = Self.makeTrainer(seed: 3, configuration: configuration)
        try trainer.fit(on: training, validation: shifted)
        let validationLosses = trainer.history.compactMap(\.validationLoss)
        #expect(trainer.epoch < 50)
        #expect(trainer.epochsWithoutImprovement == 3)
        let best = try #require(validationLosses.min())
        #expect(trainer.bestValidationLoss == best)
        #expect(trainer.meanLoss(on: shifted) == best)

        var keepsLast = Self.makeTrainer(seed: 3, configuration: configuration)
        keepsLast.configuration.restoresBestWeights = false
        try keepsLast.fit(on: training, validation: shifted)
        #expect(keepsLast.meanLoss(on: shifted) == validationLosses.last)
        #expect(keepsLast.meanLoss(on: shifted) > best)
        #expect(Self.bits(keepsLast.model) != Self.bits(trainer.model))
    }

    @Test func progressAndJSONLinesLog() throws {
        let training = Self.spiralExamples(count: 64, seed: 8)
        var configuration = TrainingLoopConfiguration()
        configuration.epochs = 2
        configuration.batchSize = 16
        var trainer = Self.makeTrainer(seed: 3, configuration: configuration)
        let directory = try TemporaryDirectory()
        let log = directory.url.appendingPathComponent("log.jsonl")
        var reports: [BatchProgress] = []
        try trainer.fit(on: training, log: log, progress: { reports.append($0) })
        #expect(reports.map(\.batch) == [1, 2, 3, 4, 1, 2, 3, 4])
        #expect(reports.map(\.epoch) == [1, 1, 1, 1, 2, 2, 2, 2])
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONDecoder().decode(TrainingLoopRecord.self, from: Data($0.utf8)) }
        #expect(records == trainer.history)
    }

    @Test func optimizerStateSavedFromACustomLoopResumesExactly() throws {
        let examples = Self.spiralExamples(count: 32, seed: 9)
        func step(_ model: inout SkipConnectionModel, _ optimizer: inout Adam<Float>) {
            let gradients = gradient(at: model) { crossEntropy(logits: $0(examples.inputs), labels: examples.labels) }
            optimizer.update(&model, along: gradients)
        }
        var model = SkipConnectionModel(inputSize: 4, hiddenSize: 8, outputSize: 3, seed: 1)
        var optimizer = Adam<Float>(learningRate: 0.01)
        for _ in 0..<3 { step(&model, &optimizer) }
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("adam.safetensors")
        try optimizer.saveState(to: url)
        var restored = Adam<Float>(learningRate: 0.01)
        try restored.loadState(from: url, for: model)
        #expect(restored.stepCount == 3)
        var copy = model
        for _ in 0..<3 {
            step(&model, &optimizer)
            step(&copy, &restored)
        }
        #expect(Self.bits(copy) == Self.bits(model))

        // State for another model is refused with the buffer's name, and nothing changes.
        let other = SkipConnectionModel(inputSize: 5, hiddenSize: 8, outputSize: 3, seed: 1)
        var fresh = Adam<Float>(learningRate: 0.01)
        #expect(throws: CheckpointError.self) { try fresh.loadState(from: url, for: other) }
        do {
            try fresh.loadState(from: url, for: other)
        } catch let error as CheckpointError {
            #expect(error.message.contains("hidden.weight") && error.message.contains("[8, 5]"))
        }
        #expect(fresh.stepCount == 0 && fresh.state.isEmpty)
    }

    @Test func restoringIntoAnotherModelIsRefusedAndChangesNothing() throws {
        var trainer = Self.makeTrainer(seed: 3)
        trainer.configuration.epochs = 1
        try trainer.fit(on: Self.spiralExamples(count: 40, seed: 10))
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("skip.safetensors")
        try trainer.save(to: url)
        var other = Trainer(
            model: SkipConnectionModel(inputSize: 4, hiddenSize: 10, outputSize: 3, seed: 1),
            optimizer: Adam<Float>(learningRate: 0.1), examples: LabeledExamples<Float>.self
        ) { model, batch in crossEntropy(logits: model(batch.inputs), labels: batch.labels) }
        let before = Self.bits(other.model)
        do {
            try other.restore(from: url)
            Issue.record("a checkpoint of another architecture was accepted")
        } catch let error as CheckpointError {
            #expect(error.path == url.path)
            #expect(error.message.contains("hidden.weight"), "\(error)")
        }
        #expect(Self.bits(other.model) == before && other.epoch == 0)

        // The state of another kind of optimizer is refused too.
        var otherOptimizer = Self.makeTrainer(seed: 3)
        otherOptimizer.optimizer = RMSProp<Float>()
        do {
            try otherOptimizer.restore(from: url)
            Issue.record("Adam state was restored into an RMSProp optimizer")
        } catch let error as CheckpointError {
            #expect(error.message.contains("Adam<Float>") && error.message.contains("RMSProp<Float>"), "\(error)")
        }
        #expect(otherOptimizer.epoch == 0)

        // A training session checkpoint reader names what the file is instead.
        #expect(throws: CheckpointError.self) { try TrainingSession.load(from: url) }
    }

    @Test func modelFilesOfEveryKindAreRecognised() throws {
        var trainer = Self.makeTrainer(seed: 3)
        trainer.configuration.epochs = 1
        try trainer.fit(on: Self.spiralExamples(count: 40, seed: 10))
        let directory = try TemporaryDirectory()
        let checkpoint = directory.url.appendingPathComponent("trainer.safetensors")
        let parameters = directory.url.appendingPathComponent("parameters.safetensors")
        try trainer.save(to: checkpoint)
        try trainer.model.saveParameters(to: parameters, metadata: ["note": "skip"])
        guard case .trainerCheckpoint(let header, let stored, let optimizerTensors) = try ModelFileContents.read(from: checkpoint) else {
            Issue.record("a trainer checkpoint was not recognised")
            return
        }
        #expect(header.modelType == "SkipConnectionModel" && header.optimizerType == "Adam<Float>" && header.epoch == 1)
        #expect(stored.map(\.name) == ["hidden.bias", "hidden.weight", "output.bias", "output.weight", "skip.bias", "skip.weight"])
        #expect(optimizerTensors == 12)
        guard case .parameters(let tensors, let metadata) = try ModelFileContents.read(from: parameters) else {
            Issue.record("a parameter file was not recognised")
            return
        }
        #expect(tensors.count == 6 && metadata == ["note": "skip"])
    }
}
