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
    /// For values the L2 penalty falls as 1/rows (ten times the rows, a tenth of the penalty); classes
    /// keep 0.01.
    @Test func thePenaltyForValuesFallsWithTheRowCount() {
        let small = TabularDefaults.weightDecay(trainingCount: 100, regression: true)
        let large = TabularDefaults.weightDecay(trainingCount: 1000, regression: true)
        #expect(small > 0 && abs(large * 10 - small) <= 1e-12 * small)
        #expect(TabularDefaults.options(trainingCount: 100, regression: true).weightDecay == small)
        #expect(TabularDefaults.options(trainingCount: 100, regression: false).weightDecay == 0.01)
        #expect(TabularDefaults.options(trainingCount: 5000, regression: false).weightDecay == 0.01)
    }

    @Test func batchesAreCappedByTheRows() {
        #expect(TabularDefaults.options(trainingCount: 10, regression: true).batchSize == 10)
        #expect(TabularDefaults.options(trainingCount: 10_000, regression: false).batchSize == TabularDefaults.batchSize)
    }
}

/// ``TrainingSession/startLinearPathAtLeastSquares(on:)``: training starts at linear regression.
@Suite struct LeastSquaresStartTests {
    /// Targets that are an exact linear function of unscaled, correlated features.
    static func linearTable(count: Int) -> (SupervisedDataset, Standardizer, Standardizer) {
        var generator = SeededRandomNumberGenerator(seed: 9)
        let base = Tensor<Float>.randomNormal(shape: [count, 3], using: &generator).scalars
        var features: [Float] = [], targets: [Float] = []
        for row in 0..<count {
            let (a, b, c) = (base[row * 3], base[row * 3 + 1], base[row * 3 + 2])
            let x = [a * 10 + 5, a + 0.3 * b, c * 100 - 20]     // the first two columns correlated
            features += x
            targets += [3 * x[0] - 40 * x[1] + 0.05 * x[2] + 7, -x[0] + 2]
        }
        let data = SupervisedDataset(
            features: Tensor(shape: [count, 3], scalars: features), targets: .values(Tensor(shape: [count, 2], scalars: targets)))
        return (data, Standardizer(fitting: features, featureCount: 3), Standardizer(fitting: targets, featureCount: 2))
    }

    static func session(output: OutputUnit = .linear, linearPath: Bool = true) -> TrainingSession {
        let (_, standardizer, targetStandardizer) = linearTable(count: 200)
        var options = TrainingOptions()
        options.weightDecay = 0
        return TrainingSession(
            specification: NetworkSpecification(
                inputSize: 3, hiddenSizes: [6], activation: .relu, output: output, targetSize: 2, linearPath: linearPath),
            options: options, standardizer: standardizer, targetStandardizer: targetStandardizer)
    }

    @Test func anUntrainedNetworkPredictsTheLeastSquaresFit() throws {
        let (data, _, _) = Self.linearTable(count: 200)
        var session = Self.session()
        let before = session.evaluate(on: data).regression!.rSquared
        let started = session.startLinearPathAtLeastSquares(on: data)
        #expect(started)
        let after = session.evaluate(on: data).regression!
        #expect(before < 0.9 && after.rSquared > 0.999_99, "R² \(before) → \(after.rSquared)")
        // The hidden units start switched off: their output weights are zero.
        let weight = try #require(session.model.parameters.first { $0.name == "1.weight" }).value
        #expect(weight.shape == [2, 9] && (0..<2).allSatisfy { row in (0..<6).allSatisfy { weight.scalars[row * 9 + $0] == 0 } })
    }

    @Test func theL2PenaltyShrinksTheFitAsTrainingWould() throws {
        let (data, _, _) = Self.linearTable(count: 200)
        var plain = Self.session(), penalised = Self.session()
        penalised.options.weightDecay = 0.5
        plain.startLinearPathAtLeastSquares(on: data)
        penalised.startLinearPathAtLeastSquares(on: data)
        func norm(_ session: TrainingSession) -> Float { l2Penalty(session.model.layers[1] as! Dense<Float>, strength: 1).scalar }
        #expect(norm(penalised) < norm(plain))
        #expect(penalised.evaluate(on: data).regression!.rSquared < plain.evaluate(on: data).regression!.rSquared)
    }

    @Test func networksItDoesNotFitAreLeftAsTheyAre() {
        let (data, _, _) = Self.linearTable(count: 50)
        var withoutPath = Self.session(linearPath: false)
        var absolute = Self.session(output: .linearAbsolute)
        let before = absolute.model.parameters.map(\.value.scalars)
        let started = (withoutPath.startLinearPathAtLeastSquares(on: data), absolute.startLinearPathAtLeastSquares(on: data))
        #expect(!started.0 && !started.1)
        #expect(absolute.model.parameters.map(\.value.scalars) == before)
    }

    @Test func choleskySolvesASmallSystem() throws {
        // [[4, 2], [2, 3]] x = [[2, 1], [1, 2]] (two right-hand sides, row-major b).
        let x = try #require(TrainingSession.choleskySolve([4, 2, 2, 3], [2, 1, 1, 2], size: 2, columns: 2))
        let expected: [Double] = [0.5, -0.125, 0, 0.75]
        #expect(zip(x, expected).allSatisfy { abs($0 - $1) < 1e-12 }, "\(x)")
        #expect(TrainingSession.choleskySolve([1, 2, 2, 1], [1, 1], size: 2, columns: 1) == nil)
    }
}
