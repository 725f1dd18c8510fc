import Foundation
import Testing
@testable import Feedforward

@Suite("Reliability: numerical failure") struct NumericalFailureTests {
    @Test func anomalyModeNamesTheForwardOperation() {
        let x: Tensor<Float> = [1, -1, 4]
        #expect {
            try AnomalyDetection.run { _ = sqrt(exp(x) * 0 + log(x)) }
        } throws: { error in
            guard let anomaly = error as? NumericalAnomaly else { return false }
            return anomaly.operation == "log" && anomaly.pass == .forward && anomaly.nanCount == 1
                && "\(anomaly)".contains("'log'")
        }
    }

    @Test func anomalyModeNamesTheBackwardOperation() {
        // sqrt is finite at 0, its derivative 1/(2√x) is not.
        let x: Tensor<Double> = [0, 1]
        #expect {
            try AnomalyDetection.run { _ = valueWithGradient(at: x) { sqrt($0).sum() } }
        } throws: { error in
            guard let anomaly = error as? NumericalAnomaly else { return false }
            return anomaly.pass == .backward && anomaly.infinityCount >= 1 && anomaly.operation.contains("sqrt")
        }
    }

    @Test func divergingTrainingUnderAnomalyModeNamesTheOperation() {
        let data = TrainingSessionTests.blobs(count: 64, seed: 4)
        var session = TrainingSessionTests.session(epochs: 50)
        session.options.learningRate = 1e6
        session.optimizer.learningRate = 1e6
        #expect {
            try AnomalyDetection.run {
                while !session.isFinished { try session.trainEpoch(on: data) }
            }
        } throws: { error in
            guard let anomaly = error as? NumericalAnomaly else { return false }
            return !anomaly.operation.isEmpty && "\(anomaly)".contains("'\(anomaly.operation)'")
        }
    }

    @Test func anomalyModeDoesNotMaskOtherErrors() {
        struct Unrelated: Error {}
        #expect(throws: Unrelated.self) { try AnomalyDetection.run { throw Unrelated() } }
    }
}

@Suite("Reliability: memory") struct SoakTests {
    /// Resident memory in kilobytes, from /proc/self/status (VmRSS: the current, not the peak, size).
    static func residentKilobytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        }
        return nil
    }

    /// Trains a small network for 30 epochs in a fresh process (so other tests' allocations do not
    /// count) and checks that resident memory after epoch 30 is within 10 MB of that after epoch 2:
    /// no graph, gradient or buffer outlives its step.
    @Test func residentMemoryStopsGrowingAfterTheFirstEpochs() async throws {
        #if os(Linux)
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            var generator = SeededRandomNumberGenerator(seed: 3)
            let features = Tensor<Float>.randomNormal(shape: [512, 16], standardDeviation: 1, using: &generator)
            let labels = (0..<512).map { $0 % 4 }
            let data = SupervisedDataset(features: features, targets: .classes(labels, classCount: 4))
            var options = TrainingOptions()
            options.epochs = 30
            options.batchSize = 32
            options.optimizer = .adam
            options.learningRate = 0.001
            let specification = NetworkSpecification(inputSize: 16, hiddenSizes: [64, 64], activation: .relu, output: .softmax, targetSize: 4)
            var session = TrainingSession(specification: specification, options: options)
            var samples: [Int] = []
            while !session.isFinished {
                try session.trainEpoch(on: data, validation: data)
                if session.epoch == 2 || session.epoch == 30 { samples.append(SoakTests.residentKilobytes() ?? 0) }
            }
            let growth = samples[1] - samples[0]
            // AddressSanitizer keeps freed memory in quarantine and ThreadSanitizer keeps shadow
            // state, so resident memory grows there by design: the bound applies to normal builds.
            let sanitized = [String](["__asan_init", "__tsan_init"]).contains { dlsym(UnsafeMutableRawPointer(bitPattern: 0), $0) != nil }
            print("VmRSS after epoch 2: \(samples[0]) kB, after epoch 30: \(samples[1]) kB, growth \(growth) kB\(sanitized ? " (sanitizer build: not checked)" : "")")
            exit(growth < 10_000 || sanitized ? 0 : 1)
        }
        if let result { print("soak: " + String(decoding: result.standardOutputContent, as: UTF8.self)) }
        #endif
    }
}
