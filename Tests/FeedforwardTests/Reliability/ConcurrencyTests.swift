import Foundation
import Testing
@testable import Feedforward

func requireSendable<T: Sendable>(_: T.Type) {}

@Suite("Reliability: concurrent inference") struct ConcurrencyTests {
    @Test func tensorsAndModelsAreSendable() {
        // Compile-time checks: these lines build only if the types are Sendable.
        requireSendable(Tensor<Float>.self)
        requireSendable(Tensor<Double>.self)
        requireSendable(Dense<Float>.self)
        requireSendable(Sequential<Float>.self)
        requireSendable(TrainingSession.self)
        requireSendable(NetworkSpecification.self)
    }

    /// 16 tasks run the same model on the same input at once: every output is bit-identical to a
    /// serial run. The 128 x 64 x 256 product is large enough for the built-in kernel's thread pool
    /// (and BLAS's), so concurrent callers also contend for it. Runs in a child process, where no
    /// other test changes the process-wide thread count in the middle (which would change BLAS rounding).
    @Test func sixteenTasksGetIdenticalOutputs() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            let mismatches = await ConcurrencyTests.concurrentInferenceMismatches()
            print("\(mismatches) of 16 tasks got outputs different from the serial run")
            exit(mismatches == 0 ? 0 : 1)
        }
        if let result { print("concurrency: " + String(decoding: result.standardOutputContent, as: UTF8.self)) }
    }

    static func concurrentInferenceMismatches() async -> Int {
        var generator = SeededRandomNumberGenerator(seed: 5)
        let specification = NetworkSpecification(inputSize: 64, hiddenSizes: [256, 128], activation: .tanh, output: .softmax, targetSize: 10)
        let model = specification.makeModel(generator: &generator)
        let input = Tensor<Float>.randomNormal(shape: [128, 64], standardDeviation: 1, using: &generator)
        let expected = withoutGradients { model(input) }.scalars.map(\.bitPattern)
        let session = TrainingSession(specification: specification, options: TrainingOptions())
        let expectedPredictions = session.predictions(for: input).scalars.map(\.bitPattern)

        return await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var same = true
                    for _ in 0..<5 { same = same && withoutGradients { model(input) }.scalars.map(\.bitPattern) == expected }
                    // Also through the recording path (gradients on), which must not share state between tasks.
                    same = same && model(input).scalars.map(\.bitPattern) == expected
                    return same && session.predictions(for: input).scalars.map(\.bitPattern) == expectedPredictions
                }
            }
            var mismatches = 0
            for await same in group where !same { mismatches += 1 }
            return mismatches
        }
    }

    /// Tasks training their own copies of one model concurrently do not disturb each other or the
    /// original (copy-on-write parameters).
    @Test func concurrentTrainingOfCopiesIsIsolated() async throws {
        let base = TrainingSessionTests.session(epochs: 2)
        let data = TrainingSessionTests.blobs(count: 64, seed: 12)
        let before = base.model.parameters.map { $0.value.scalars }
        var serial = base
        while !serial.isFinished { try serial.trainEpoch(on: data) }
        let expected = serial.model.parameters.map { $0.value.scalars.map(\.bitPattern) }
        let results = try await withThrowingTaskGroup(of: [[UInt32]].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var copy = base
                    while !copy.isFinished { try copy.trainEpoch(on: data) }
                    return copy.model.parameters.map { $0.value.scalars.map(\.bitPattern) }
                }
            }
            var all: [[[UInt32]]] = []
            for try await result in group { all.append(result) }
            return all
        }
        let identical = results.filter { $0 == expected }.count
        #expect(identical == 8, "\(8 - identical) of 8 concurrent trainings differ from the serial one")
        let unchanged = base.model.parameters.map { $0.value.scalars } == before
        #expect(unchanged, "training copies changed the original model")
    }
}
