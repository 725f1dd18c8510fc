import Foundation
import Testing
@testable import Feedforward

/// ``NetworkSpecification/linearPath``: the output layer sees the inputs beside the last hidden layer.
@Suite struct LinearPathTests {
    static let specification = NetworkSpecification(
        inputSize: 3, hiddenSizes: [5, 4], activation: .relu, output: .linear, targetSize: 2, linearPath: true)

    @Test func theBuiltNetworkHasTheShapesACheckpointExpects() throws {
        var generator = SeededRandomNumberGenerator(seed: 1)
        let model = Self.specification.makeModel(generator: &generator)
        let built = model.parameters.map { "\($0.name) \($0.value.shape)" }
        let expected = try #require(TrainingSession.parameterShapes(of: Self.specification)).map { "\($0.name) \($0.shape)" }
        #expect(built == expected)
        #expect(built.last == "1.bias [2]" && built.contains("1.weight [2, 7]") && built.first == "0.body.0.weight [5, 3]")
    }

    /// With the hidden layer's weights and biases at zero, ReLU gives zeros and the network is the
    /// linear model `W[:, hidden...] · x + b` of the output layer's input columns.
    @Test func theOutputIsALinearModelOfTheInputsBesideTheHiddenLayer() throws {
        let specification = NetworkSpecification(
            inputSize: 3, hiddenSizes: [4], activation: .relu, output: .linear, targetSize: 1, linearPath: true)
        var generator = SeededRandomNumberGenerator(seed: 2)
        var model = specification.makeModel(generator: &generator)
        let weights: [Float] = [0.5, -1, 2, 3, 0.25, -0.5, 1.5]   // 4 hidden columns, then 3 input columns
        try model.loadParameters([
            "0.body.0.weight": Tensor.zeros(shape: [4, 3]), "0.body.0.bias": Tensor.zeros(shape: [4]),
            "1.weight": Tensor(shape: [1, 7], scalars: weights), "1.bias": Tensor([0.75]),
        ])
        let x = Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, -1, 0, 4])
        let expected: [Float] = [0.25 * 1 - 0.5 * 2 + 1.5 * 3 + 0.75, 0.25 * -1 + 1.5 * 4 + 0.75]
        #expect(withoutGradients { model(x) }.scalars == expected)
    }

    @Test func aSessionWithTheLinearPathSurvivesItsCheckpoint() throws {
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 8
        options.optimizer = .adam
        options.learningRate = 0.01
        var session = TrainingSession(specification: Self.specification, options: options)
        var generator = SeededRandomNumberGenerator(seed: 3)
        let x = Tensor<Float>.randomNormal(shape: [32, 3], using: &generator)
        let data = SupervisedDataset(features: x, targets: .values(Tensor(shape: [32, 2], scalars: x.scalars.prefix(64).map { $0 * 2 })))
        while !session.isFinished { try session.trainEpoch(on: data) }
        let url = TrainingSessionTests.temporaryFile("linear-path.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try session.save(to: url)
        let loaded = try TrainingSession.load(from: url)
        #expect(loaded.specification.linearPath)
        #expect(loaded.predictions(for: x).scalars == session.predictions(for: x).scalars)
    }

    @Test func aSpecificationWrittenBeforeTheLinearPathHasNone() throws {
        let json = #"{"activation":"relu","hiddenSizes":[4],"inputSize":3,"output":{"linear":{}},"targetSize":1}"#
        let decoded = try JSONDecoder().decode(NetworkSpecification.self, from: Data(json.utf8))
        #expect(!decoded.linearPath && decoded.hiddenSizes == [4])
    }

    /// Without hidden layers the network is linear already and is built as before.
    @Test func withoutHiddenLayersTheFlagChangesNothing() {
        let specification = NetworkSpecification(inputSize: 3, hiddenSizes: [], activation: .relu, output: .linear, targetSize: 1, linearPath: true)
        var generator = SeededRandomNumberGenerator(seed: 4)
        #expect(specification.makeModel(generator: &generator).parameters.map(\.value.shape) == [[1, 3], [1]])
    }
}

@Suite struct TabularDefaultsTests {
    /// The L2 penalty is added to the mean loss over the rows, so it falls as 1/rows: ten times the
    /// rows, a tenth of the penalty.
    @Test func thePenaltyFallsWithTheRowCount() {
        for regression in [false, true] {
            let small = TabularDefaults.weightDecay(trainingCount: 100, regression: regression)
            let large = TabularDefaults.weightDecay(trainingCount: 1000, regression: regression)
            #expect(small > 0 && abs(large * 10 - small) <= 1e-12 * small)
            #expect(TabularDefaults.options(trainingCount: 100, regression: regression).weightDecay == small)
        }
    }

    @Test func batchesAreCappedByTheRows() {
        #expect(TabularDefaults.options(trainingCount: 10, regression: true).batchSize == 10)
        #expect(TabularDefaults.options(trainingCount: 10_000, regression: false).batchSize == TabularDefaults.batchSize)
    }
}
