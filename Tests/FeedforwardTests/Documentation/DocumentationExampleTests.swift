import Foundation
import Testing
@testable import Feedforward

// The code of the DocC article "Layers and custom layers"
// (Sources/Feedforward/Documentation.docc/LayersAndCustomLayers.md), verbatim: the first test runs
// it, the second checks that every Swift block of the article appears here, so neither can change
// without the other.

struct ResidualBlock: Layer {
    var expand: Dense<Float>
    var project: Dense<Float>

    init(width: Int, hiddenWidth: Int, generator: inout SeededRandomNumberGenerator) {
        expand = Dense(inputSize: width, outputSize: hiddenWidth, activation: .relu, generator: &generator)
        project = Dense(inputSize: hiddenWidth, outputSize: width, generator: &generator)
    }

    func callAsFunction(_ input: Tensor<Float>) -> Tensor<Float> {
        input + project(expand(input))
    }

    mutating func visitParameters(prefix: String, _ body: (String, inout Tensor<Float>) throws -> Void) rethrows {
        try expand.visitParameters(prefix: parameterName(prefix, "expand"), body)
        try project.visitParameters(prefix: parameterName(prefix, "project"), body)
    }
}

@Suite("Documentation: the articles' code runs") struct DocumentationExampleTests {
    @Test func customLayerArticleTrainsSavesReloadsAndPredicts() throws {
        func makeModel(seed: UInt64) -> Sequential<Float> {
            var generator = SeededRandomNumberGenerator(seed: seed)
            return Sequential<Float> {
                Dense(inputSize: 2, outputSize: 16, activation: .tanh, generator: &generator)
                ResidualBlock(width: 16, hiddenWidth: 32, generator: &generator)
                Dense(inputSize: 16, outputSize: 3, generator: &generator)
            }
        }

        var dataGenerator = SeededRandomNumberGenerator(seed: 1)
        var points: [Float] = []
        var classes: [Int] = []
        for _ in 0..<600 {
            let x = dataGenerator.nextFloat() * 2 - 1
            let y = dataGenerator.nextFloat() * 2 - 1
            points += [x, y]
            classes.append(x * x + y * y < 0.4 ? 0 : (x < y ? 1 : 2))
        }
        let all = LabeledExamples(inputs: Tensor(shape: [600, 2], scalars: points), labels: classes)
        let first = all.batch(at: Array(0..<500))
        let rest = all.batch(at: Array(500..<600))
        let training = LabeledExamples(inputs: first.inputs, labels: first.labels)
        let validation = LabeledExamples(inputs: rest.inputs, labels: rest.labels)

        var configuration = TrainingLoopConfiguration()
        configuration.epochs = 60
        configuration.batchSize = 32
        configuration.earlyStoppingPatience = 10
        var trainer = Trainer(
            model: makeModel(seed: 7), optimizer: Adam<Float>(learningRate: 0.01),
            examples: LabeledExamples<Float>.self, configuration: configuration, seed: 7
        ) { model, batch in
            crossEntropy(logits: model(batch.inputs), labels: batch.labels)
        }
        let folder = FileManager.default.temporaryDirectory
        let checkpoint = folder.appendingPathComponent("residual-checkpoint.safetensors")
        try trainer.fit(on: training, validation: validation, checkpoint: checkpoint,
                        log: folder.appendingPathComponent("residual.jsonl")) { record in
            print("epoch \(record.epoch): train loss \(record.trainLoss), validation loss \(record.validationLoss ?? .nan)")
        }

        let modelFile = folder.appendingPathComponent("residual-model.safetensors")
        try trainer.model.saveParameters(to: modelFile)

        var reloaded = makeModel(seed: 0)
        try reloaded.loadParameters(from: modelFile)
        let logits = withoutGradients { reloaded(validation.inputs) }
        let probabilities = softmax(logits, alongAxis: 1)
        let predictedClasses = logits.argmax(alongAxis: 1)
        print("validation accuracy", accuracy(logits: logits, labels: validation.labels))

        // What the article claims: the model learned, and the reloaded one predicts the same numbers.
        #expect(accuracy(logits: logits, labels: validation.labels) > 0.9)
        #expect(logits == trainer.model(validation.inputs))
        #expect(probabilities.shape == [100, 3] && predictedClasses.count == 100)
        #expect(trainer.model.parameters.map(\.name).contains("1.expand.weight"))

        var resumed = Trainer(
            model: makeModel(seed: 0), optimizer: Adam<Float>(learningRate: 0.01),
            examples: LabeledExamples<Float>.self
        ) { model, batch in
            crossEntropy(logits: model(batch.inputs), labels: batch.labels)
        }
        try resumed.restore(from: checkpoint)
        resumed.configuration.epochs = resumed.epoch + 5
        resumed.configuration.earlyStoppingPatience = nil
        try resumed.fit(on: training, validation: validation)

        #expect(resumed.history.count == trainer.history.count + 5)
        for url in [checkpoint, modelFile, folder.appendingPathComponent("residual.jsonl")] {
            try? FileManager.default.removeItem(at: url)
        }
    }

    /// The lines of `text` without leading and trailing spaces, blank lines left out.
    static func normalizedLines(_ text: some StringProtocol) -> [String] {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    @Test func customLayerArticleCodeIsTheTestedCode() throws {
        let testFile = URL(fileURLWithPath: #filePath)
        let root = testFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let article = try String(
            contentsOf: root.appendingPathComponent("Sources/Feedforward/Documentation.docc/LayersAndCustomLayers.md"), encoding: .utf8)
        let tested = Self.normalizedLines(try String(contentsOf: testFile, encoding: .utf8)).joined(separator: "\n")
        let blocks = article.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(blocks.count == 6)
        for block in blocks {
            let lines = Self.normalizedLines(block).joined(separator: "\n")
            #expect(tested.contains(lines), "this block of the article is not the tested code:\n\(block)")
        }
    }

    @Test func gettingStartedExampleLearnsXOR() {
        let inputs = Tensor<Float>(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
        let labels = [0, 1, 1, 0]

        var generator = SeededRandomNumberGenerator(seed: 1)
        var model = Sequential<Float> {
            Dense(inputSize: 2, outputSize: 8, activation: .tanh, generator: &generator)
            Dense(inputSize: 8, outputSize: 2, generator: &generator)
        }
        var optimizer = Adam<Float>(learningRate: 0.05)
        for _ in 0..<300 {
            let gradients = gradient(at: model) { model in
                crossEntropy(logits: model(inputs), labels: labels)
            }
            optimizer.update(&model, along: gradients)
        }
        #expect(model(inputs).argmax(alongAxis: 1) == [0, 1, 1, 0])
    }
}
