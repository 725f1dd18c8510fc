import Foundation
import Testing
@testable import Feedforward

/// What a checkpoint file holds depends on the session's state only, and saving cleans up after
/// saves that were interrupted.
@Suite("Reliability: checkpoint bytes") struct CheckpointBytesTests {
    static func trainedCheckpoint(in directory: TemporaryDirectory, name: String) throws -> [UInt8] {
        var session = TrainingSessionTests.session(epochs: 3)
        let data = TrainingSessionTests.blobs(count: 48, seed: 5)
        let validation = TrainingSessionTests.blobs(count: 12, seed: 6)
        while !session.isFinished { try session.trainEpoch(on: data, validation: validation) }
        let url = directory.url.appendingPathComponent(name)
        try session.save(to: url)
        return try FileIO.readAll(url)
    }

    /// Two runs give the same weights but different timings; their checkpoint files are identical.
    @Test func twoIdenticalRunsWriteIdenticalFiles() throws {
        let directory = try TemporaryDirectory()
        let first = try Self.trainedCheckpoint(in: directory, name: "first.ckpt")
        let second = try Self.trainedCheckpoint(in: directory, name: "second.ckpt")
        #expect(first == second, "the checkpoints of two identical runs differ")
        let loaded = try TrainingSession.decode(first)
        #expect(loaded.history.count == 3 && loaded.history.allSatisfy { $0.seconds == 0 && $0.samplesPerSecond == 0 })
    }

    /// The same through the executable: two `train --save` runs with one seed give the same file.
    @Test func twoIdenticalCommandLineRunsWriteIdenticalFiles() throws {
        let directory = try TemporaryDirectory()
        var files: [[UInt8]] = []
        for name in ["a.ckpt", "b.ckpt"] {
            let path = directory.url.appendingPathComponent(name).path
            let run = try FeedforwardExecutable.run([
                "train", "--dataset", "xor", "--hidden", "4", "--epochs", "20", "--batch-size", "2", "--seed", "5", "--save", path,
            ])
            #expect(run.status == 0, "\(run.error)")
            files.append(try FileIO.readAll(URL(fileURLWithPath: path)))
        }
        #expect(files[0] == files[1], "two identical runs wrote different checkpoints")
    }

    /// strace, where it is installed and allowed to trace (some containers forbid ptrace).
    static let strace: String? = {
        guard let path = ["/usr/bin/strace", "/bin/strace"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return nil
        }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: path)
        probe.arguments = ["-qq", "-o", "/dev/null", "/bin/true"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return nil }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? path : nil
    }()

    /// `train --epochs 2 --save` renames a checkpoint into place twice, once per epoch: the final
    /// checkpoint is not written a second time after the loop. Counted with strace (installed by CI).
    @Test(.enabled(if: strace != nil, "needs a working strace to count the renames"))
    func trainWritesTheFinalCheckpointOnce() throws {
        let directory = try TemporaryDirectory()
        let checkpoint = directory.url.appendingPathComponent("model.ckpt").path
        let trace = directory.url.appendingPathComponent("trace.txt").path
        let executable = try #require(FeedforwardExecutable.url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.strace))
        process.arguments = [
            "-f", "-qq", "-e", "trace=rename,renameat,renameat2", "-o", trace, executable.path,
            "train", "--dataset", "xor", "--hidden", "4", "--epochs", "2", "--batch-size", "4", "--save", checkpoint,
        ]
        // LeakSanitizer cannot run under ptrace and fails the traced process (scripts/sanitizers.sh
        // turns it on): leak checks stay with the rest of the suite, the renames are what is counted here.
        var environment = ProcessInfo.processInfo.environment
        environment["ASAN_OPTIONS"] = [environment["ASAN_OPTIONS"], "detect_leaks=0"].compactMap { $0 }.joined(separator: ":")
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let renames = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("rename") && $0.contains("\"\(checkpoint)\"") }
        #expect(renames.count == 2, "\(renames)")
    }

    /// A kill inside a save leaves `.NAME.tmp-XXXXXX`; the next save to NAME removes exactly those.
    @Test func savingRemovesStaleTemporariesOfTheSameTargetOnly() throws {
        let directory = try TemporaryDirectory()
        let stale = [".model.ckpt.tmp-a1B2c3", ".model.ckpt.tmp-ZZZZZZ"]
        let kept = [".model.ckpt.tmp-abc", ".model.ckpt.tmp-abcdefg", ".other.ckpt.tmp-a1B2c3", "model.ckpt.tmp-a1B2c3", ".model.ckpt.tmp-a1B2c!"]
        for name in stale + kept { _ = try directory.file(name, [1, 2, 3]) }
        // A folder with the pattern's name is not ours to remove.
        try FileManager.default.createDirectory(at: directory.url.appendingPathComponent(".model.ckpt.tmp-DIR123"), withIntermediateDirectories: false)
        try TrainingSessionTests.session(epochs: 1).save(to: directory.url.appendingPathComponent("model.ckpt"))
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory.url.path))
        #expect(left == Set(kept + ["model.ckpt", ".model.ckpt.tmp-DIR123"]), "\(left.sorted())")
    }
}
