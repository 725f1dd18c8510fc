import Foundation
import Testing
@testable import Feedforward

/// The same seed gives bit-identical weights: across runs, across a save and resume, and (to
/// rounding) across thread counts. See docs/determinism.md.
@Suite("Reliability: determinism", .serialized) struct DeterminismTests {
    static func bits(_ session: TrainingSession) -> [[UInt32]] {
        session.model.parameters.map { $0.value.scalars.map(\.bitPattern) }
    }

    /// 256 examples of 64 features; a 64 → 256 → 10 network, batches of 128: matrix products large
    /// enough for the built-in kernel to split them across threads.
    static let data: SupervisedDataset = {
        var generator = SeededRandomNumberGenerator(seed: 21)
        let features = Tensor<Float>.randomNormal(shape: [256, 64], standardDeviation: 1, using: &generator)
        let labels = (0..<256).map { ($0 * 7) % 10 }
        return SupervisedDataset(features: features, targets: .classes(labels, classCount: 10))
    }()

    static func train(epochs: Int, optimizer: OptimizerChoice = .adam) throws -> TrainingSession {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 128
        options.optimizer = optimizer
        options.learningRate = 0.01
        options.seed = 99
        options.gradientClipNorm = 5
        let specification = NetworkSpecification(inputSize: 64, hiddenSizes: [256], activation: .relu, output: .softmax, targetSize: 10)
        var session = TrainingSession(specification: specification, options: options)
        while !session.isFinished { try session.trainEpoch(on: data) }
        return session
    }

    @Test func twoFreshTrainingsAreBitIdentical() throws {
        let first = try Self.train(epochs: 3)
        let second = try Self.train(epochs: 3)
        let identical = Self.bits(first) == Self.bits(second)
        #expect(identical, "two trainings with the same seed differ")
        #expect(first.generator == second.generator)
        #expect(first.history.map(\.trainLoss) == second.history.map(\.trainLoss))
    }

    @Test func resumeFromEachEpochIsBitIdentical() throws {
        let straight = try Self.train(epochs: 3)
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("resume.ckpt")
        var session = try Self.train(epochs: 1)
        // Save and reload after every epoch, as a run interrupted each epoch would.
        while session.epoch < 3 {
            try session.save(to: url)
            session = try TrainingSession.load(from: url)
            session.options.epochs = 3
            try session.trainEpoch(on: Self.data)
        }
        let identical = Self.bits(session) == Self.bits(straight)
        #expect(identical, "resuming from checkpoints changed the weights")
        #expect(session.generator == straight.generator && session.step == straight.step)
    }

    /// Trains with 1 and with 4 threads and compares. Runs in a child process: the thread count is
    /// process-wide, and changing it while other tests run would change their results (BLAS
    /// libraries round differently with different thread counts).
    @Test func threadCountsAgreeToRounding() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            ComputeEnvironment.threadCount = 1
            let one = try DeterminismTests.train(epochs: 2)
            ComputeEnvironment.threadCount = 4
            let four = try DeterminismTests.train(epochs: 2)
            var largest: Float = 0
            for ((_, a), (_, b)) in zip(one.model.parameters, four.model.parameters) {
                for (x, y) in zip(a.scalars, b.scalars) { largest = max(largest, abs(x - y) / max(1, abs(x))) }
            }
            let identical = DeterminismTests.bits(one) == DeterminismTests.bits(four)
            print("1 vs 4 threads (BLAS: \(ComputeEnvironment.blasLibrary ?? "none")): bit-identical \(identical), largest relative difference \(largest)")
            exit(largest <= 1e-5 ? 0 : 1)
        }
        if let result { print("determinism: " + String(decoding: result.standardOutputContent, as: UTF8.self)) }
    }
}
