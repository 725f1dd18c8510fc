import Testing
@testable import Feedforward

@Suite("Layers: parameters, initialisers, dropout") struct LayerStructureTests {
    func makeNetwork(seed: UInt64 = 1) -> Sequential<Double> {
        var generator = SeededRandomNumberGenerator(seed: seed)
        return Sequential<Double> {
            Dense<Double>(inputSize: 4, outputSize: 6, activation: .relu, generator: &generator)
            Residual(Sequential<Double> {
                Dense<Double>(inputSize: 6, outputSize: 6, activation: .tanh, generator: &generator)
                Dropout<Double>(probability: 0.5)
                PReLU<Double>(featureCount: 6)
            })
            LowRankDense<Double>(inputSize: 6, outputSize: 5, rank: 2, generator: &generator)
            Maxout<Double>(inputSize: 5, outputSize: 3, pieces: 2, generator: &generator)
            RadialBasis<Double>(inputSize: 3, unitCount: 2, generator: &generator)
            Dense<Double>(inputSize: 2, outputSize: 1, usesBias: false, generator: &generator)
        }
    }

    @Test func parameterNamesFollowTheStructure() {
        let model = makeNetwork()
        #expect(model.parameters.map(\.name) == [
            "0.weight", "0.bias",
            "1.body.0.weight", "1.body.0.bias", "1.body.2.slope",
            "2.down", "2.up", "2.bias",
            "3.weight", "3.bias",
            "4.centers", "4.logPrecision",
            "5.weight",
        ])
        #expect(model.parameters.map(\.value.shape) == [
            [6, 4], [6], [6, 6], [6], [6], [2, 6], [5, 2], [5], [6, 5], [6], [2, 3], [2], [1, 2],
        ])
        let expectedCount = 24 + 6 + 36 + 6 + 6 + 12 + 10 + 5 + 30 + 6 + 6 + 2 + 2
        #expect(model.parameterCount == expectedCount)
        var prefixed: [String] = []
        var copy = model
        copy.visitParameters(prefix: "encoder") { name, _ in prefixed.append(name) }
        #expect(prefixed.first == "encoder.0.weight" && prefixed.last == "encoder.5.weight")
        #expect(Dropout<Double>(probability: 0.1).parameterCount == 0)
        #expect(ActivationLayer<Double>(.relu).parameters.isEmpty)
    }

    @Test func visitingParametersCanAssignThem() {
        var model = makeNetwork()
        model.visitParameters { _, p in p = Tensor(repeating: 0.5, shape: p.shape) }
        #expect(model.parameters.allSatisfy { $0.value.scalars.allSatisfy { $0 == 0.5 } })
    }

    @Test func loadingADictionaryValidatesNamesAndShapes() throws {
        let source = makeNetwork(seed: 1)
        var target = makeNetwork(seed: 2)
        var values = Dictionary(uniqueKeysWithValues: source.parameters.map { ($0.name, $0.value) })
        try target.loadParameters(values)
        #expect(target.parameters.map(\.value) == source.parameters.map(\.value))

        var other = makeNetwork(seed: 3)
        let before = other.parameters.map(\.value)
        values["2.up"] = nil
        #expect(throws: ParameterLoadingError.missing(name: "2.up")) { try other.loadParameters(values) }
        values["2.up"] = .zeros(shape: [2, 5])
        #expect(throws: ParameterLoadingError.shapeMismatch(name: "2.up", expected: [5, 2], actual: [2, 5])) {
            try other.loadParameters(values)
        }
        #expect(other.parameters.map(\.value) == before, "a failed load leaves the model unchanged")
        #expect(ParameterLoadingError.missing(name: "2.up").description == "parameter '2.up' is missing")
    }

    // MARK: Initialisers

    func standardDeviation(_ values: [Double]) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
    }

    @Test func glorotAndHeHaveTheirBoundsAndSpread() {
        var generator = SeededRandomNumberGenerator(seed: 7)
        let (fanIn, fanOut) = (300, 200)
        func sample(_ initializer: Initializer) -> [Double] {
            let t: Tensor<Double> = initializer.makeTensor(shape: [fanOut, fanIn], fanIn: fanIn, fanOut: fanOut, generator: &generator)
            #expect(t.shape == [fanOut, fanIn])
            return t.scalars
        }
        let glorotLimit = (6.0 / Double(fanIn + fanOut)).squareRoot()
        let glorotUniform = sample(.glorotUniform)
        #expect(glorotUniform.allSatisfy { Swift.abs($0) <= glorotLimit })
        #expect(glorotUniform.max()! > 0.99 * glorotLimit && glorotUniform.min()! < -0.99 * glorotLimit)
        #expect(Swift.abs(standardDeviation(glorotUniform) / (glorotLimit / 3.0.squareRoot()) - 1) < 0.03)

        let heLimit = (6.0 / Double(fanIn)).squareRoot()
        let heUniform = sample(.heUniform)
        #expect(heUniform.allSatisfy { Swift.abs($0) <= heLimit })
        #expect(Swift.abs(standardDeviation(heUniform) / (heLimit / 3.0.squareRoot()) - 1) < 0.03)

        let glorotNormal = sample(.glorotNormal)
        #expect(Swift.abs(standardDeviation(glorotNormal) / (2.0 / Double(fanIn + fanOut)).squareRoot() - 1) < 0.03)
        let glorotNormalMean = glorotNormal.reduce(0, +) / Double(glorotNormal.count)
        let glorotNormalDeviation = (2.0 / Double(fanIn + fanOut)).squareRoot()
        // The mean of 60000 draws deviates by about σ/245; allow five times that.
        #expect(Swift.abs(glorotNormalMean) < 5 * glorotNormalDeviation / 245)
        let heNormal = sample(.heNormal)
        #expect(Swift.abs(standardDeviation(heNormal) / (2.0 / Double(fanIn)).squareRoot() - 1) < 0.03)
        let small = sample(.normal(standardDeviation: 0.01))
        #expect(Swift.abs(standardDeviation(small) / 0.01 - 1) < 0.03)
        #expect(sample(.constant(0.25)).allSatisfy { $0 == 0.25 })
        #expect(sample(.zeros).allSatisfy { $0 == 0 })
    }

    @Test func initialisationIsReproducibleFromTheSeed() {
        #expect(makeNetwork(seed: 9).parameters.map(\.value) == makeNetwork(seed: 9).parameters.map(\.value))
        #expect(makeNetwork(seed: 9).parameters.map(\.value) != makeNetwork(seed: 10).parameters.map(\.value))
        var a = SeededRandomNumberGenerator(seed: 3)
        var b = SeededRandomNumberGenerator(seed: 3)
        let first = Dense<Float>(inputSize: 5, outputSize: 4, generator: &a)
        let second = Dense<Float>(inputSize: 5, outputSize: 4, generator: &b)
        #expect(first.weight == second.weight && a == b)
        // Consecutive layers from one generator differ.
        let third = Dense<Float>(inputSize: 5, outputSize: 4, generator: &a)
        #expect(third.weight != first.weight)
    }

    @Test func defaultInitialisationDependsOnTheUnit() {
        var generator = SeededRandomNumberGenerator(seed: 4)
        let relu = Dense<Double>(inputSize: 50, outputSize: 40, activation: .relu, generator: &generator)
        #expect(relu.bias?.scalars.allSatisfy { $0 == 0.1 } == true)
        #expect(relu.weight.scalars.allSatisfy { Swift.abs($0) <= (6.0 / 50).squareRoot() })
        #expect(relu.weight.scalars.contains { Swift.abs($0) > (6.0 / 90).squareRoot() }, "He, wider than Glorot")
        let tanh = Dense<Double>(inputSize: 50, outputSize: 40, activation: .tanh, generator: &generator)
        #expect(tanh.bias?.scalars.allSatisfy { $0 == 0 } == true)
        #expect(tanh.weight.scalars.allSatisfy { Swift.abs($0) <= (6.0 / 90).squareRoot() })
        let leaky = Dense<Double>(inputSize: 50, outputSize: 40, activation: .leakyReLU(slope: 0.01), generator: &generator)
        #expect(leaky.bias?.scalars.allSatisfy { $0 == 0.1 } == true)
        #expect(leaky.weight.scalars.contains { Swift.abs($0) > (6.0 / 90).squareRoot() }, "He for every rectifier")
        let noBias = Dense<Double>(inputSize: 3, outputSize: 2, usesBias: false, generator: &generator)
        #expect(noBias.bias == nil && noBias.parameterCount == 6)
        let custom = Dense<Double>(inputSize: 3, outputSize: 2, activation: .relu, weightInitializer: .constant(2),
                                   biasInitializer: .constant(-1), generator: &generator)
        #expect(custom.weight.scalars == Array(repeating: 2, count: 6) && custom.bias?.scalars == [-1, -1])
    }

    // MARK: Dropout

    @Test func dropoutIsTheIdentityInInference() {
        let dropout = Dropout<Double>(probability: 0.5)
        let x = randomTensor([10, 10], seed: 1)
        #expect(!LearningPhase.isTraining)
        #expect(dropout(x) == x)
        #expect(dropout(x).sharesStorage(with: x))
        var generator = SeededRandomNumberGenerator(seed: 2)
        let zero = LearningPhase.training(using: &generator) { Dropout<Double>(probability: 0)(x) }
        #expect(zero == x)
    }

    @Test func dropoutInTrainingZeroesAboutPAndScalesTheRest() {
        let p = 0.3
        let dropout = Dropout<Double>(probability: p)
        let x = Tensor<Double>(shape: [100, 100], (0..<10_000).map { 1 + Double($0 % 7) })
        var generator = SeededRandomNumberGenerator(seed: 11)
        let start = generator
        let y = LearningPhase.training(using: &generator) {
            #expect(LearningPhase.isTraining)
            return dropout(x)
        }
        #expect(!LearningPhase.isTraining)
        #expect(generator != start, "the generator advances past the mask")
        let zeros = y.scalars.filter { $0 == 0 }.count
        // Binomial(10000, 0.3): standard deviation ≈ 46, so ±250 is over five deviations.
        #expect(Swift.abs(zeros - 3000) < 250, "\(zeros) zeros")
        for (a, b) in zip(x.scalars, y.scalars) where b != 0 {
            #expect(Swift.abs(b - a / (1 - p)) < 1e-12)
        }
        // The mean is preserved in expectation.
        #expect(Swift.abs(y.mean().scalar / x.mean().scalar - 1) < 0.05)

        // Deterministic given the generator: the same seed gives the same mask, the advanced
        // generator another one.
        var again = SeededRandomNumberGenerator(seed: 11)
        let repeated = LearningPhase.training(using: &again) { dropout(x) }
        #expect(repeated == y && again == generator)
        let next = LearningPhase.training(using: &generator) { dropout(x) }
        #expect(next != y)
    }

    @Test func dropoutGradientIsTheScaledMask() {
        let p = 0.5
        let x = randomTensor([4, 5], seed: 3)
        var generator = SeededRandomNumberGenerator(seed: 4)
        let (y, g) = LearningPhase.training(using: &generator) {
            valueWithGradient(at: x) { Dropout<Double>(probability: p)($0).sum() }
        }
        var replay = SeededRandomNumberGenerator(seed: 4)
        let mask = LearningPhase.training(using: &replay) { Dropout<Double>(probability: p)(Tensor(repeating: 1, shape: [4, 5])) }
        #expect(g == mask)
        #expect(Swift.abs(y.scalar - (x * mask).sum().scalar) < 1e-12)
        #expect(Set(mask.scalars).isSubset(of: [0, 2]))
    }
}
