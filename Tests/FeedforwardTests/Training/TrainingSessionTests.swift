import Foundation
import Testing
@testable import Feedforward

@Suite struct TrainingSessionTests {
    /// Two Gaussian blobs per class in 4 dimensions, three classes.
    static func blobs(count: Int, seed: UInt64) -> SupervisedDataset {
        var generator = SeededRandomNumberGenerator(seed: seed)
        let noise = Tensor<Float>.randomNormal(shape: [count, 4], standardDeviation: 0.5, using: &generator)
        let labels = (0..<count).map { $0 % 3 }
        let centers: [[Float]] = [[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]]
        let features = Tensor(shape: [count, 4], scalars: labels.flatMap { centers[$0] }) + noise
        return SupervisedDataset(features: features, targets: .classes(labels, classCount: 3))
    }

    static func session(epochs: Int, optimizer: OptimizerChoice = .momentum) -> TrainingSession {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 16
        options.learningRate = 0.05
        options.optimizer = optimizer
        options.seed = 7
        let specification = NetworkSpecification(inputSize: 4, hiddenSizes: [8], activation: .relu, output: .softmax, targetSize: 3)
        return TrainingSession(specification: specification, options: options)
    }

    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("feedforward-\(UUID().uuidString)-\(name)")
    }

    @Test func learnsBlobs() throws {
        let data = Self.blobs(count: 150, seed: 1)
        var session = Self.session(epochs: 20)
        while !session.isFinished { try session.trainEpoch(on: data) }
        let result = session.evaluate(on: Self.blobs(count: 90, seed: 2))
        #expect(result.classification!.accuracy > 0.9)
        #expect(result.classification!.count == 90)
    }

    @Test(arguments: [OptimizerChoice.momentum, .rmsprop, .adam])
    func resumingGivesBitIdenticalModel(optimizer: OptimizerChoice) throws {
        let data = Self.blobs(count: 64, seed: 3)
        var straight = Self.session(epochs: 4, optimizer: optimizer)
        while !straight.isFinished { try straight.trainEpoch(on: data) }

        var first = Self.session(epochs: 2, optimizer: optimizer)
        while !first.isFinished { try first.trainEpoch(on: data) }
        let url = Self.temporaryFile("resume.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try first.save(to: url)
        var resumed = try TrainingSession.load(from: url)
        resumed.options.epochs = 4
        while !resumed.isFinished { try resumed.trainEpoch(on: data) }

        #expect(resumed.epoch == 4 && resumed.step == straight.step)
        for ((name, a), (_, b)) in zip(straight.model.parameters, resumed.model.parameters) {
            #expect(a.scalars == b.scalars, "parameter \(name) differs after resume")
        }
        #expect(resumed.generator == straight.generator)
    }

    @Test func rmsPropCheckpointWithTheOldUnusedBufferResumes() throws {
        let data = Self.blobs(count: 64, seed: 3)
        var straight = Self.session(epochs: 4, optimizer: .rmsprop)
        while !straight.isFinished { try straight.trainEpoch(on: data) }
        var first = Self.session(epochs: 2, optimizer: .rmsprop)
        while !first.isFinished { try first.trainEpoch(on: data) }
        let url = Self.temporaryFile("rmsprop-old.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try first.save(to: url)
        // Before RMSProp kept one buffer, checkpoints also held an all-zero `optimizer.NAME.first`.
        var file = try SafeTensors.read(contentsOf: url)
        for (name, entry) in file.tensors where name.hasPrefix("optimizer.") && name.hasSuffix(".second") {
            file.tensors[name.replacingOccurrences(of: ".second", with: ".first")] = Tensor<Float>.zeros(shape: entry.shape).safeTensorsEntry
        }
        try SafeTensors.write(file, to: url)
        var resumed = try TrainingSession.load(from: url)
        resumed.options.epochs = 4
        while !resumed.isFinished { try resumed.trainEpoch(on: data) }
        for ((name, a), (_, b)) in zip(straight.model.parameters, resumed.model.parameters) {
            #expect(a.scalars == b.scalars, "parameter \(name) differs after resume")
        }
    }

    @Test func dropLastSkipsThePartialBatch() throws {
        let data = Self.blobs(count: 70, seed: 4)
        var keeping = Self.session(epochs: 1)
        try keeping.trainEpoch(on: data)
        var dropping = Self.session(epochs: 1)
        dropping.options.dropsLastPartialBatch = true
        try dropping.trainEpoch(on: data)
        #expect(keeping.step == 5 && dropping.step == 4)

        var tooFew = Self.session(epochs: 1)
        tooFew.options.dropsLastPartialBatch = true
        #expect(throws: TrainingError.self) { try tooFew.trainEpoch(on: Self.blobs(count: 10, seed: 5)) }
    }

    @Test func checkpointKeepsTheSplitAndBatchingOptions() throws {
        var session = Self.session(epochs: 1)
        session.options.validationFraction = 0.25
        session.options.dropsLastPartialBatch = true
        let url = Self.temporaryFile("options.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try session.save(to: url)
        let loaded = try TrainingSession.load(from: url)
        #expect(loaded.options == session.options)
    }

    @Test func optionsWithoutNewerKeysDecodeWithDefaults() throws {
        let json = #"{"batchSize":16,"epochs":3,"learningRate":0.1,"optimizer":"adam","schedule":{"constant":{}},"seed":9,"weightDecay":0}"#
        let options = try JSONDecoder().decode(TrainingOptions.self, from: Data(json.utf8))
        #expect(options.epochs == 3 && options.optimizer == .adam && options.seed == 9)
        #expect(options.validationFraction == 0 && !options.dropsLastPartialBatch && options.earlyStoppingPatience == nil)
    }

    @Test func divergingLearningRateStopsWithClearError() throws {
        let data = Self.blobs(count: 64, seed: 4)
        var session = Self.session(epochs: 50)
        session.options.learningRate = 1e6
        session.optimizer.learningRate = 1e6
        #expect {
            while !session.isFinished { try session.trainEpoch(on: data) }
        } throws: { error in
            guard case TrainingError.nonFiniteLoss(_, let step, _) = error else { return false }
            return step >= 1 && "\(error)".contains("step \(step)")
        }
    }

    @Test func earlyStoppingEndsTraining() throws {
        let data = Self.blobs(count: 64, seed: 5)
        var session = Self.session(epochs: 200)
        session.options.earlyStoppingPatience = 2
        // A validation set of the wrong class proportions stops improving quickly.
        let validation = Self.blobs(count: 30, seed: 6)
        while !session.isFinished { try session.trainEpoch(on: data, validation: validation) }
        #expect(session.epoch < 200)
    }

    @Test func checkpointErrorsNameTheProblem() throws {
        let url = Self.temporaryFile("plain.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensors.write(SafeTensorsFile(tensors: ["x": SafeTensorsEntry(shape: [1], floats: [1])], metadata: nil), to: url)
        #expect(throws: CheckpointError.self) { try TrainingSession.load(from: url) }

        let session = Self.session(epochs: 1)
        try session.save(to: url)
        var file = try SafeTensors.read(contentsOf: url)
        file.tensors["model.0.weight"] = SafeTensorsEntry(shape: [2, 2], floats: [1, 2, 3, 4])
        try SafeTensors.write(file, to: url)
        #expect {
            try TrainingSession.load(from: url)
        } throws: { error in
            "\(error)".contains("0.weight")
        }
    }

    @Test func writesPlotsAndLog() throws {
        let data = Self.blobs(count: 48, seed: 8)
        var session = Self.session(epochs: 2)
        let directory = Self.temporaryFile("plots")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let log = try JSONLinesLog(url: directory.appendingPathComponent("log.jsonl"))
        while !session.isFinished {
            let record = try session.trainEpoch(on: data, validation: data, evaluateTraining: true)
            try log.append(record)
        }
        try session.writePlots(to: directory)
        let svg = try String(contentsOf: directory.appendingPathComponent("accuracy.svg"), encoding: .utf8)
        #expect(svg.contains("<svg") && svg.contains("validation") && svg.contains("epoch"))
        let lines = try String(contentsOf: directory.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let decoded = try JSONDecoder().decode(EpochRecord.self, from: Data(lines[1].utf8))
        #expect(decoded.epoch == 2)
    }

    @Test(arguments: ["prelu", "maxout:3", "elu:0.5", "leaky-relu:0.2"])
    func everyHiddenUnitTrainsAndRoundTrips(name: String) throws {
        let unit = try #require(HiddenUnit(name: name))
        #expect(unit.description == name || HiddenUnit(name: unit.description) == unit)
        var options = TrainingOptions()
        options.epochs = 8
        options.batchSize = 16
        options.seed = 3
        let specification = NetworkSpecification(inputSize: 4, hiddenSizes: [6, 6], hiddenUnit: unit, output: .softmax, targetSize: 3)
        var session = TrainingSession(specification: specification, options: options)
        let data = Self.blobs(count: 96, seed: 9)
        while !session.isFinished { try session.trainEpoch(on: data) }
        #expect(session.evaluate(on: data).classification!.accuracy > 0.8)
        let url = Self.temporaryFile("unit.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try session.save(to: url)
        let loaded = try TrainingSession.load(from: url)
        #expect(loaded.specification == specification)
        #expect(loaded.outputs(for: data.features).scalars == session.outputs(for: data.features).scalars)
    }
}
