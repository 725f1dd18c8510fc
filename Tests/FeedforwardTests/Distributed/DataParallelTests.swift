import Foundation
import Testing
@testable import Feedforward

/// A rank of a simulated job: its allreduce records what the rank sends, and returns the sum it is
/// given (the sum over all simulated ranks, computed by the test between two passes).
final class SimulatedRank: Communicator, @unchecked Sendable {
    let rank: Int
    let size: Int
    var sent: [Float] = []
    var sum: [Float]?

    init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        sent = Array(buffer)
        if let sum { _ = buffer.update(fromContentsOf: sum) }
    }
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) { Issue.record("unexpected Double allreduce") }
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) {}
    func barrier() {}
    func abort(code: Int32) -> Never { fatalError("abort \(code)") }
    var allreduceSeconds: Double { 0 }
}

@Suite struct DataParallelTests {
    @Test func sharesSplitEveryBatchIntoConsecutiveNearlyEqualParts() {
        for size in 1...5 {
            for count in 0...23 {
                let shares = (0..<size).map { TrainingSession.share(ofBatchOf: count, rank: $0, size: size) }
                #expect(shares.first?.lowerBound == 0 && shares.last?.upperBound == count)
                #expect(zip(shares, shares.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                let sizes = shares.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1, "batch \(count) on \(size) ranks: \(sizes)")
            }
        }
    }

    /// One step's loss and gradients on each simulated rank, summed over the ranks as an allreduce
    /// would, against the whole batch in one process: equal to rounding, including batches in which
    /// some ranks have no example.
    @Test(arguments: [(2, 17), (3, 17), (3, 1), (2, 1), (4, 3)])
    func ranksTogetherComputeTheWholeBatchsMeanGradient(ranks: Int, batchCount: Int) throws {
        let data = TrainingSessionTests.blobs(count: 40, seed: 5)
        var base = TrainingSessionTests.session(epochs: 1)
        base.options.weightDecay = 0.01
        let batch = Array((0..<batchCount).map { ($0 * 7) % data.count })
        var single = base
        let (expectedLoss, expected) = single.batchLossAndGradients(batch, of: data)

        let communicators = (0..<ranks).map { SimulatedRank(rank: $0, size: ranks) }
        func step(_ communicator: SimulatedRank) -> (Double, ParameterGradients<Float>) {
            var session = base
            session.communicator = communicator
            return session.batchLossAndGradients(batch, of: data)
        }
        for communicator in communicators { _ = step(communicator) }
        let sum = communicators.map(\.sent).reduce(into: [Float](repeating: 0, count: communicators[0].sent.count)) { total, sent in
            for index in total.indices { total[index] += sent[index] }
        }
        for communicator in communicators {
            communicator.sum = sum
            let (loss, gradients) = step(communicator)
            #expect(abs(loss - expectedLoss) <= 1e-6 * abs(expectedLoss))
            #expect(gradients.names == expected.names)
            for (name, (actual, wanted)) in zip(expected.names, zip(gradients.tensors, expected.tensors)) {
                let worst = zip(actual.scalars, wanted.scalars).map { abs($0 - $1) }.max() ?? 0
                let scale = wanted.scalars.map(abs).max() ?? 0
                #expect(worst <= 1e-5 * max(scale, 1e-3), "rank \(communicator.rank) of \(ranks), \(name): off by \(worst)")
            }
        }
    }

    @Test func allreduceMeanWeightsEachRanksGradientsByItsShare() {
        let communicator = SimulatedRank(rank: 1, size: 3)
        var gradients = ParameterGradients<Float>(names: ["w", "b"], tensors: [Tensor(shape: [2], scalars: [3, -6]), Tensor([12])])
        communicator.allreduceMean(&gradients, localCount: 2, globalCount: 6)
        #expect(communicator.sent == [1, -2, 4])
    }

    @Test func aWorldOfOneProcessLeavesDataAsItIs() {
        let communicator = SingleProcessCommunicator()
        var values: [Double] = [1, 2.5]
        communicator.allreduceSum(&values)
        var bytes: [UInt8] = [7, 8]
        communicator.broadcastBytes(&bytes)
        #expect(values == [1, 2.5] && bytes == [7, 8] && communicator.isRoot && communicator.size == 1)
    }

    /// With the MPI library hidden (FEEDFORWARD_MPI names the only library tried), `feedforward train`
    /// trains as before and `--distributed` fails with a message that says what is missing. Run as a
    /// child process: the variable is read once per process, and this one must not load MPI.
    @Test func withMPIHiddenTrainingWorksAndDistributedFailsClearly() throws {
        guard let executable = FeedforwardExecutable.url else { throw FeedforwardExecutable.NotBuilt() }
        func run(_ extra: [String]) throws -> (status: Int32, error: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["FEEDFORWARD_MPI=/nonexistent/libmpi.so.40", executable.path,
                                 "train", "--dataset", "xor", "--hidden", "2", "--epochs", "1", "--batch-size", "4"] + extra
            let error = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = error
            try process.run()
            let data = error.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let plain = try run([])
        #expect(plain.status == 0, "stderr: \(plain.error)")
        let distributed = try run(["--distributed"])
        #expect(distributed.status != 0)
        #expect(distributed.error.contains(
            "distributed training needs Open MPI: no Open MPI library found (tried /nonexistent/libmpi.so.40)"),
            "stderr: \(distributed.error)")
    }
}
