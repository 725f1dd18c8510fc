import Foundation
import Testing
@testable import Feedforward

/// `FEEDFORWARD_THREADS` and `ComputeEnvironment.threadCount` are bounded like `--threads`: at most
/// four threads per processor (issue 16: 10 000 threads made an epoch 35 times slower).
@Suite struct ThreadCountTests {
    let maximum = 4 * ProcessInfo.processInfo.activeProcessorCount

    @Test func theEnvironmentValueMustBeACountInRange() throws {
        #expect(ComputeEnvironment.maximumThreadCount == maximum)
        #expect(try ComputeEnvironment.requestedThreadCount(environmentValue: "1") == 1)
        #expect(try ComputeEnvironment.requestedThreadCount(environmentValue: " 2 ") == 2)
        #expect(try ComputeEnvironment.requestedThreadCount(environmentValue: String(maximum)) == maximum)
        for value in ["0", "-3", "10000", String(maximum + 1), "99999999999999999999", "abc", "2.5", "1e3", "", " "] {
            #expect(throws: ThreadCountError(value: value), "'\(value)'") {
                try ComputeEnvironment.requestedThreadCount(environmentValue: value)
            }
        }
        let message = ThreadCountError(value: "10000").description
        #expect(message.contains("FEEDFORWARD_THREADS") && message.contains("1...\(maximum)") && message.contains("'10000'"), "\(message)")
    }

    /// The library clamps what the command refuses: an integer into 1...maximum, anything else ignored.
    @Test func theLibraryClampsTheEnvironmentValue() {
        let processors = ProcessInfo.processInfo.activeProcessorCount
        #expect(ComputeEnvironment.initialThreadCount(environmentValue: nil) == processors)
        #expect(ComputeEnvironment.initialThreadCount(environmentValue: "abc") == processors)
        #expect(ComputeEnvironment.initialThreadCount(environmentValue: "1") == 1)
        #expect(ComputeEnvironment.initialThreadCount(environmentValue: "10000") == maximum)
        #expect(ComputeEnvironment.initialThreadCount(environmentValue: "0") == 1)
        #expect(ComputeEnvironment.initialThreadCount(environmentValue: "-5") == 1)
    }

    /// In a child process (the thread count is process-wide): a `FEEDFORWARD_THREADS` of 10 000 starts
    /// the kernels on the maximum, and setting the count clamps it into 1...maximum.
    @Test func theCountIsClampedAtStartAndWhenSet() async {
        await #expect(processExitsWith: .success) {
            setenv("FEEDFORWARD_THREADS", "10000", 1)
            let limit = 4 * ProcessInfo.processInfo.activeProcessorCount
            let initial = ComputeEnvironment.threadCount
            ComputeEnvironment.threadCount = 1_000_000
            let high = ComputeEnvironment.threadCount
            ComputeEnvironment.threadCount = 0
            let low = ComputeEnvironment.threadCount
            print("initial \(initial), high \(high), low \(low), limit \(limit)")
            exit(initial == limit && high == limit && low == 1 ? 0 : 1)
        }
    }
}
