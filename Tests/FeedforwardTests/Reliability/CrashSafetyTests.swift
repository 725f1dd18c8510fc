import Dispatch
import Foundation
import Testing
@testable import Feedforward

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A process killed with SIGKILL while saving a checkpoint leaves the previous checkpoint or the new
/// one, never a torn file. Each cycle runs an exit test: a child process (the test binary itself,
/// started by Swift Testing) saves two alternating sessions to the same path in a tight loop and is
/// killed after a random 1–100 ms; the parent then loads the file.
@Suite("Reliability: crash-safe checkpoints") struct CrashSafetyTests {
    /// Two sessions of a 64 → 128 → 128 → 10 network (26 000 parameters, about 105 kB on disk)
    /// that differ in every parameter.
    static func sessions() -> (TrainingSession, TrainingSession) {
        let specification = NetworkSpecification(inputSize: 64, hiddenSizes: [128, 128], activation: .relu, output: .softmax, targetSize: 10)
        var options = TrainingOptions()
        options.seed = 1
        let a = TrainingSession(specification: specification, options: options)
        options.seed = 2
        let b = TrainingSession(specification: specification, options: options)
        return (a, b)
    }

    static func bitPatterns(_ session: TrainingSession) -> [[UInt32]] {
        session.model.parameters.map { $0.value.scalars.map(\.bitPattern) }
    }

    @Test func sigkillWhileSavingLeavesTheOldOrTheNewCheckpoint() async throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("session.ckpt")
        let (a, b) = Self.sessions()
        let versions = [Self.bitPatterns(a), Self.bitPatterns(b)]
        let clock = ContinuousClock()
        let saveTime = try clock.measure { try a.save(to: url) }
        var seen = [0, 0]
        var leftovers = 0
        for _ in 0..<20 {
            let path = url.path
            let delay = Int.random(in: 1...100)
            await #expect(processExitsWith: .signal(SIGKILL)) { [path = path as String, delay = delay as Int] in
                let (a, b) = CrashSafetyTests.sessions()
                let url = URL(fileURLWithPath: path)
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) {
                    kill(getpid(), SIGKILL)
                }
                var i = 0
                while true {
                    try (i % 2 == 0 ? b : a).save(to: url)
                    i += 1
                }
            }
            // Whatever the moment of the kill, the file is one of the two versions, complete.
            let loaded = try TrainingSession.load(from: url)
            let patterns = Self.bitPatterns(loaded)
            let index = versions.firstIndex(of: patterns)
            #expect(index != nil, "the checkpoint after a kill is neither version")
            if let index { seen[index] += 1 }
            // A kill between creating the temporary file and renaming it leaves the temporary file;
            // it never shadows the checkpoint. Count and remove them.
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.url.path) where name != "session.ckpt" {
                #expect(name.hasPrefix(".session.ckpt.tmp-"), "unexpected file \(name)")
                leftovers += 1
                try FileManager.default.removeItem(at: directory.url.appendingPathComponent(name))
            }
        }
        print("crash safety: one save takes \(saveTime); 20 kills; loaded old/new version \(seen[0])/\(seen[1]) times; \(leftovers) kills landed inside a save (temporary file left)")
    }
}
