import Foundation
import Testing
@testable import Feedforward

/// A ``Trainer`` checkpoint whose ``Trainer/network`` describes the model is read by
/// ``TrainingSession/loadForInference(from:)``, as `feedforward evaluate` and `predict` read it.
@Suite struct NetworkDescriptionTests {
    static let specification = NetworkSpecification(inputSize: 4, hiddenSizes: [8], activation: .relu, output: .softmax, targetSize: 3)

    static func trainer(epochs: Int, patience: Int? = nil) -> Trainer<Sequential<Float>, SupervisedDataset> {
        var generator = SeededRandomNumberGenerator(seed: 1)
        var configuration = TrainingLoopConfiguration()
        configuration.epochs = epochs
        configuration.batchSize = 16
        configuration.earlyStoppingPatience = patience
        let specification = Self.specification
        return Trainer(
            model: specification.makeModel(generator: &generator), optimizer: Adam<Float>(learningRate: 0.05),
            examples: SupervisedDataset.self, configuration: configuration, seed: 2
        ) { model, batch in specification.output.loss(outputs: model(batch.features), targets: batch.targets) }
    }

    @Test func aDescribedTrainerCheckpointIsReadForPredictingButNotForResuming() throws {
        let training = TrainingSessionTests.blobs(count: 96, seed: 1)
        let test = TrainingSessionTests.blobs(count: 30, seed: 2)
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("trainer.ckpt")
        var trainer = Self.trainer(epochs: 3)
        trainer.network = NetworkDescription(specification: Self.specification)
        try trainer.fit(on: training, checkpoint: url)
        let session = try TrainingSession.loadForInference(from: url)
        #expect(session.specification == Self.specification && session.epoch == 3)
        #expect(session.predictions(for: test.features).scalars == withoutGradients { trainer.model(test.features) }.scalars)
        let error = try #require(throws: CheckpointError.self) { try TrainingSession.load(from: url) }
        #expect(error.message.contains("evaluate` and `predict` run its network"))
        // Restoring keeps the description.
        var restored = Self.trainer(epochs: 3)
        try restored.restore(from: url)
        #expect(restored.network == trainer.network)
    }

    @Test func aFinishedFitIsReadWithTheWeightsItEndedWith() throws {
        let training = TrainingSessionTests.blobs(count: 96, seed: 3)
        let validation = TrainingSessionTests.blobs(count: 30, seed: 4)
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("best.ckpt")
        var trainer = Self.trainer(epochs: 40, patience: 2)
        trainer.optimizer.learningRate = 0.5
        trainer.baseLearningRate = 0.5
        trainer.network = NetworkDescription(specification: Self.specification)
        try trainer.fit(on: training, validation: validation, checkpoint: url)
        let last = try #require(trainer.history.last?.validationLoss)
        #expect(last > trainer.bestValidationLoss!, "the test needs a run whose last epoch is not its best")
        let session = try TrainingSession.loadForInference(from: url)
        #expect(session.model.parameters.map(\.value.scalars) == trainer.model.parameters.map(\.value.scalars))
    }

    @Test func aDescriptionOfAnotherNetworkIsRefusedWhenSaving() throws {
        let directory = try TemporaryDirectory()
        var trainer = Self.trainer(epochs: 1)
        trainer.network = NetworkDescription(specification: NetworkSpecification(
            inputSize: 4, hiddenSizes: [9], activation: .relu, output: .softmax, targetSize: 3))
        let error = try #require(throws: CheckpointError.self) { try trainer.save(to: directory.url.appendingPathComponent("x.ckpt")) }
        #expect(error.message.contains("'0.weight' of shape [9, 4]"), "\(error.message)")
    }

    @Test func anUndescribedTrainerCheckpointSaysWhatItIs() throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("plain.ckpt")
        try Self.trainer(epochs: 1).save(to: url)
        let error = try #require(throws: CheckpointError.self) { try TrainingSession.loadForInference(from: url) }
        #expect(error.message.contains("whose model is Swift code"))
    }

    /// `feedforward predict` and `info` on a described Trainer checkpoint.
    @Test func theCommandLineRunsADescribedTrainerCheckpoint() throws {
        let training = TrainingSessionTests.blobs(count: 60, seed: 5)
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("trainer.ckpt")
        var trainer = Self.trainer(epochs: 2)
        trainer.network = NetworkDescription(specification: Self.specification)
        try trainer.fit(on: training, checkpoint: url)
        let features = training.features.scalars
        let csv = "a,b,c,d\n" + (0..<5).map { row in (0..<4).map { "\(features[row * 4 + $0])" }.joined(separator: ",") }.joined(separator: "\n") + "\n"
        let input = directory.url.appendingPathComponent("rows.csv")
        try csv.write(to: input, atomically: true, encoding: .utf8)
        let predicted = try FeedforwardExecutable.run(["predict", "--model", url.path, "--input", input.path])
        #expect(predicted.status == 0, "\(predicted.error)")
        let expected = withoutGradients { trainer.model(training.features(at: Array(0..<5))) }.argmax(alongAxis: 1)
        let classes = predicted.output.split(separator: "\n").dropFirst().map { Int($0.split(separator: ",")[0]) }
        #expect(classes == expected.map { Optional($0) }, "\(predicted.output)")
        let info = try FeedforwardExecutable.run(["info", url.path])
        #expect(info.output.contains("network described: 4-8-3 relu network"), "\(info.output)")
    }
}
