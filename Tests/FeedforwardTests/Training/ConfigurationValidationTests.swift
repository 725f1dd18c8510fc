import Foundation
import Testing
@testable import Feedforward

/// Networks and data that cannot train are refused with a typed error before anything is allocated.
@Suite struct ConfigurationValidationTests {
    static func specification(inputSize: Int = 4, hidden: [Int] = [8], output: OutputUnit = .softmax, targetSize: Int = 3) -> NetworkSpecification {
        NetworkSpecification(inputSize: inputSize, hiddenSizes: hidden, activation: .relu, output: output, targetSize: targetSize)
    }

    /// The description of the `TrainingError` `body` throws, nil when it throws none.
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as TrainingError {
            return error.description
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func zeroClassesAndZeroFeaturesAreRefused() {
        let noClasses = Self.message { try Self.specification(targetSize: 0).validate() }
        #expect(noClasses?.contains("no classes") == true, "\(noClasses ?? "accepted")")
        let noFeatures = Self.message { try Self.specification(inputSize: 0).validate() }
        #expect(noFeatures?.contains("no feature columns") == true, "\(noFeatures ?? "accepted")")
        let oneClass = Self.message { try Self.specification(targetSize: 1).validate() }
        #expect(oneClass?.contains("at least 2 classes") == true, "\(oneClass ?? "accepted")")
        #expect(Self.message { try Self.specification().validate() } == nil)
    }

    /// By hand: 4·8 + 8 + 8·3 + 3 = 67 parameters; momentum keeps 1 buffer, so 3 values of 4 bytes
    /// each = 804 bytes; activations per example 4 + 8 + 3 = 15 units, max(4·16, 2·1000) · 15 · 4 bytes.
    @Test func memoryEstimateCountsParametersStateAndActivations() throws {
        let estimate = try #require(MemoryEstimate(specification: Self.specification(), optimizer: .momentum, batchSize: 16))
        #expect(estimate.parameterCount == 67)
        #expect(estimate.parameterBytes == 67 * 3 * 4)
        #expect(estimate.activationBytes == 2000 * 15 * 4)
        let adam = try #require(MemoryEstimate(specification: Self.specification(), optimizer: .adam, batchSize: 16))
        #expect(adam.parameterBytes == 67 * 4 * 4)
    }

    /// The per-optimizer buffer count the estimate and the checkpoint check use is what the
    /// optimizers really keep after a step.
    @Test(arguments: OptimizerChoice.allCases)
    func stateBufferCountMatchesTheOptimizer(choice: OptimizerChoice) throws {
        var session = TrainingSessionTests.session(epochs: 1, optimizer: choice)
        try session.trainEpoch(on: TrainingSessionTests.blobs(count: 16, seed: 3))
        #expect(session.optimizer.state.count == session.model.parameters.count * choice.stateBuffersPerParameter())
    }

    @Test func aNetworkLargerThanMemoryIsRefusedWithBothFigures() {
        let huge = Self.specification(inputSize: 784, hidden: [100_000, 100_000], targetSize: 10)
        let limit = SystemMemory(bytes: 1 << 30, source: "test budget")
        var options = TrainingOptions()
        options.optimizer = .momentum
        do {
            _ = try TrainingSession(validating: huge, options: options, memory: limit)
            Issue.record("a 10^10-parameter network was built")
        } catch {
            guard case .insufficientMemory(let required, let available) = error else { Issue.record("\(error)"); return }
            #expect(required?.parameterCount == 784 * 100_000 + 100_000 + 100_000 * 100_000 + 100_000 + 100_000 * 10 + 10)
            #expect(available == limit)
            #expect(error.description.contains("GiB") && error.description.contains("test budget"), "\(error)")
        }
    }

    @Test func sizesWhoseArithmeticOverflowsAreRefused() {
        let overflowing = Self.specification(inputSize: 1 << 24, hidden: [1 << 20, 1 << 20, 1 << 20], targetSize: 10)
        #expect(MemoryEstimate(specification: overflowing, optimizer: .adam, batchSize: Int.max) == nil)
        #expect(MemoryEstimate(specification: Self.specification(hidden: [Int.max / 2, 4]), optimizer: .sgd, batchSize: 1) == nil)
        var options = TrainingOptions()
        options.batchSize = Int.max
        let message = Self.message {
            try TrainingSession.checkMemory(for: overflowing, options: options, memory: SystemMemory(bytes: Int.max, source: "test"))
        }
        #expect(message?.contains("64-bit") == true, "\(message ?? "accepted")")
    }

    @Test func controlGroupLimitFilesOfTheProcessAndItsAncestors() {
        #expect(SystemMemory.limitFiles(membership: "0::/user.slice/session-1.scope\n") == [
            "/sys/fs/cgroup/user.slice/session-1.scope/memory.max", "/sys/fs/cgroup/user.slice/memory.max",
            "/sys/fs/cgroup/memory.max",
        ])
        #expect(SystemMemory.limitFiles(membership: "5:devices:/\n4:memory:/jobs/42\n0::/\n") == [
            "/sys/fs/cgroup/memory/jobs/42/memory.limit_in_bytes", "/sys/fs/cgroup/memory/jobs/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max",
        ])
    }

    @Test func theMachineReportsItsMemory() throws {
        let memory = try #require(SystemMemory.current)
        #expect(memory.bytes > 1 << 26)
    }

    @Test func nonFiniteOptionsAreRefused() {
        var options = TrainingOptions()
        options.schedule = .cosine(totalSteps: 10, minimum: .infinity)
        #expect(Self.message { try options.validate() } != nil)
        options = TrainingOptions()
        options.weightDecay = .nan
        #expect(Self.message { try options.validate() } != nil)
        #expect(Self.message { try TrainingOptions().validate() } == nil)
    }

    @Test func dataOfAnotherClassOrFeatureCountIsRefusedWithBothFigures() {
        let session = TrainingSessionTests.session(epochs: 1)   // 4 features, 3 classes
        let twoClasses = SupervisedDataset(features: .zeros(shape: [2, 4]), targets: .classes([0, 1], classCount: 2))
        let message = Self.message { try session.validate(twoClasses) }
        #expect(message?.contains("2 classes") == true && message?.contains("predicts 3") == true, "\(message ?? "accepted")")
        let fiveFeatures = SupervisedDataset(features: .zeros(shape: [2, 5]), targets: .classes([0, 1], classCount: 3))
        let features = Self.message { try session.validate(fiveFeatures) }
        #expect(features?.contains("5 features") == true && features?.contains("takes 4") == true, "\(features ?? "accepted")")
    }

    /// Tables that cannot train: each is refused by `DataSplits.load` with the file's name.
    @Test(arguments: [
        ("header only", "a,b,c,label\n", "no data rows"),
        ("label column only", "label\n1\n2\n", "no feature columns"),
        ("one row", "a,label\n1,0\n", "1 class"),
        ("one row, two columns of values", "a,b\n1,0\n", "1 class"),
        ("one class", "a,label\n1,0\n2,0\n3,0\n", "1 class"),
    ])
    func unusableTablesAreRefused(name: String, text: String, mention: String) throws {
        let directory = try TemporaryDirectory()
        let url = try directory.file("table.csv", Array(text.utf8))
        do {
            let splits = try DataSplits.load(.csv(path: url.path, labelColumn: nil, regression: false), validationFraction: 0, seed: 0)
            Issue.record("\(name): loaded \(splits.training.count) training rows")
        } catch let error as TrainingError {
            #expect(error.description.contains(mention) && error.description.contains(url.path), "\(name): \(error)")
        }
    }

    @Test func aOneRowRegressionTableIsRefusedAndTwoRowsNeverShareTrainAndTest() throws {
        let directory = try TemporaryDirectory()
        let one = try directory.file("one.csv", Array("a,y\n1,0.5\n".utf8))
        #expect(throws: TrainingError.self) {
            try DataSplits.load(.csv(path: one.path, labelColumn: nil, regression: true), validationFraction: 0, seed: 0)
        }
        let two = try directory.file("two.csv", Array("a,y\n1,0.5\n2,0.7\n".utf8))
        let splits = try DataSplits.load(.csv(path: two.path, labelColumn: nil, regression: true), validationFraction: 0, seed: 0)
        #expect(splits.training.count == 1 && splits.test.count == 1)
        #expect(splits.training.features.scalars != splits.test.features.scalars)
        #expect(throws: TrainingError.self) {
            try DataSplits.load(.csv(path: two.path, labelColumn: nil, regression: true), validationFraction: 0.5, seed: 0)
        }
    }
}
