import Foundation
import Testing
@testable import Feedforward

/// Preprocessing fitted on training data travels with the session and is applied on every path.
@Suite struct PreprocessingTests {
    /// Three classes of blobs with features far from unit scale (x·100 + 1000 per column).
    static func unscaledBlobs(count: Int, seed: UInt64) -> SupervisedDataset {
        let blobs = TrainingSessionTests.blobs(count: count, seed: seed)
        let scale = Tensor<Float>(shape: [1, 4], scalars: [100, 50, 200, 10])
        let offset = Tensor<Float>(shape: [1, 4], scalars: [1000, -500, 300, 2000])
        return SupervisedDataset(features: blobs.features * scale + offset, targets: blobs.targets)
    }

    static func labels(_ data: SupervisedDataset) -> [Int] {
        if case .classes(let labels, _) = data.targets { return labels }
        return []
    }

    static func standardizedSession(for training: SupervisedDataset, epochs: Int) -> TrainingSession {
        var session = TrainingSessionTests.session(epochs: epochs)
        session.standardizer = Standardizer(fitting: training.features.scalars, featureCount: training.featureCount)
        return session
    }

    @Test func predictionsAndOutputsStandardizeRawFeatures() throws {
        let training = Self.unscaledBlobs(count: 150, seed: 1)
        var session = Self.standardizedSession(for: training, epochs: 15)
        while !session.isFinished { try session.trainEpoch(on: training) }
        let test = Self.unscaledBlobs(count: 90, seed: 2)
        let byHand = Tensor(shape: test.features.shape, scalars: session.standardizer!.transform(test.features.scalars))
        let expected = withoutGradients { session.model(byHand) }
        #expect(session.outputs(for: test.features).scalars == expected.scalars)
        #expect(session.predictions(for: test.features).scalars == expected.scalars)
        let accuracy = zip(session.predictions(for: test.features).argmax(alongAxis: 1), Self.labels(test))
            .filter { $0 == $1 }.count
        #expect(Double(accuracy) / 90 > 0.9)
        #expect(session.evaluate(on: test).classification!.accuracy == Double(accuracy) / 90)
    }

    @Test func shiftedFeaturesChangeTheEvaluation() throws {
        let training = Self.unscaledBlobs(count: 150, seed: 1)
        var session = Self.standardizedSession(for: training, epochs: 10)
        while !session.isFinished { try session.trainEpoch(on: training) }
        let test = Self.unscaledBlobs(count: 90, seed: 2)
        let shifted = SupervisedDataset(features: test.features * 10 + 100, targets: test.targets)
        #expect(session.evaluate(on: test).loss != session.evaluate(on: shifted).loss)
    }

    /// Targets in the hundreds (as UCI diabetes): y = 150 + 80·(x₀ - x₁) + noise.
    static func regression(count: Int, seed: UInt64) -> SupervisedDataset {
        var generator = SeededRandomNumberGenerator(seed: seed)
        let features = Tensor<Float>.randomNormal(shape: [count, 3], using: &generator)
        let noise = Tensor<Float>.randomNormal(shape: [count, 1], standardDeviation: 5, using: &generator)
        let x = features.scalars
        let targets: [Float] = (0..<count).map { row -> Float in
            let difference: Float = x[row * 3] - x[row * 3 + 1]
            return 150 + 80 * difference
        }
        return SupervisedDataset(features: features, targets: .values(Tensor(shape: [count, 1], scalars: targets) + noise))
    }

    @Test func regressionTargetsAreStandardizedAndRestored() throws {
        let training = Self.regression(count: 400, seed: 3)
        let test = Self.regression(count: 200, seed: 4)
        guard case .values(let values) = training.targets else { Issue.record("not values"); return }
        var options = TrainingOptions()
        options.epochs = 40
        options.batchSize = 32
        options.optimizer = .momentum
        options.learningRate = 0.01
        let specification = NetworkSpecification(inputSize: 3, hiddenSizes: [16], activation: .relu, output: .linear, targetSize: 1)
        let targetStandardizer = Standardizer(fitting: values.scalars, featureCount: 1)
        var session = TrainingSession(specification: specification, options: options, targetStandardizer: targetStandardizer)
        while !session.isFinished { try session.trainEpoch(on: training) }
        let result = session.evaluate(on: test)
        #expect(result.regression!.rSquared > 0.95)
        // Predictions come back in the targets' units: their mean is near 150, not near 0.
        let predictions = session.predictions(for: test.features).scalars
        let mean: Float = predictions.reduce(0, +) / Float(predictions.count)
        #expect(abs(mean - 150) < 15)
        #expect(result.regression!.rootMeanSquaredError < 25)

        let url = TrainingSessionTests.temporaryFile("target.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try session.save(to: url)
        let loaded = try TrainingSession.load(from: url)
        #expect(loaded.targetStandardizer == targetStandardizer)
        #expect(loaded.predictions(for: test.features).scalars == predictions)
    }

    @Test func earlyStoppingRestoresTheBestParameters() throws {
        let training = TrainingSessionTests.blobs(count: 64, seed: 5)
        // A small, noisy validation set whose loss rises again as training overfits.
        let validation = TrainingSessionTests.blobs(count: 30, seed: 6)
        var session = TrainingSessionTests.session(epochs: 300)
        session.options.learningRate = 0.2
        session.options.earlyStoppingPatience = 3
        while !session.isFinished { try session.trainEpoch(on: training, validation: validation) }
        let losses = session.history.compactMap { $0.validation?.loss }
        let best = try #require(losses.min())
        #expect(losses.last! > best, "the test needs a run whose last epoch is not its best")
        #expect(abs(session.evaluate(on: validation).loss - best) < 1e-9)
    }

    @Test func bestParametersSurviveACheckpoint() throws {
        let training = TrainingSessionTests.blobs(count: 64, seed: 5)
        let validation = TrainingSessionTests.blobs(count: 30, seed: 6)
        var straight = TrainingSessionTests.session(epochs: 300)
        straight.options.learningRate = 0.2
        straight.options.earlyStoppingPatience = 3
        var resumed = straight
        while !straight.isFinished { try straight.trainEpoch(on: training, validation: validation) }
        try resumed.trainEpoch(on: training, validation: validation)
        try resumed.trainEpoch(on: training, validation: validation)
        let url = TrainingSessionTests.temporaryFile("best.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try resumed.save(to: url)
        resumed = try TrainingSession.load(from: url)
        while !resumed.isFinished { try resumed.trainEpoch(on: training, validation: validation) }
        for ((name, a), (_, b)) in zip(straight.model.parameters, resumed.model.parameters) {
            #expect(a.scalars == b.scalars, "parameter \(name) differs")
        }
    }

    @Test func sgdWithMomentumIsTheMomentumOptimizer() throws {
        let data = TrainingSessionTests.blobs(count: 64, seed: 3)
        var momentum = TrainingSessionTests.session(epochs: 3, optimizer: .momentum)
        var sgd = TrainingSessionTests.session(epochs: 3, optimizer: .sgd)
        sgd.options.momentum = 0.9
        sgd.optimizer = sgd.options.optimizer.makeOptimizer(learningRate: sgd.options.learningRate, momentum: 0.9)
        var plain = TrainingSessionTests.session(epochs: 3, optimizer: .sgd)
        for _ in 0..<3 {
            try momentum.trainEpoch(on: data)
            try sgd.trainEpoch(on: data)
            try plain.trainEpoch(on: data)
        }
        #expect(momentum.model.parameters.map(\.value.scalars) == sgd.model.parameters.map(\.value.scalars))
        #expect(momentum.model.parameters.map(\.value.scalars) != plain.model.parameters.map(\.value.scalars))
    }

    @Test func aModelFedTheWrongWidthNamesTheLayer() throws {
        let session = TrainingSessionTests.session(epochs: 1)
        #expect(session.model.inputWidth == 4)
        #expect(throws: InputWidthError(layer: "layer 0 (Dense<Float>)", expectedWidth: 4, shape: [2, 5])) {
            try session.model.checkInput(shape: [2, 5])
        }
        try session.model.checkInput(shape: [7, 4])
    }

    @Test func aModelFedTheWrongWidthStopsBeforeAnyKernelRuns() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let session = TrainingSessionTests.session(epochs: 1)
            _ = session.model(Tensor<Float>.zeros(shape: [2, 5]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("layer 0 (Dense<Float>) takes inputs of width 4"), "\(message)")
    }
}
