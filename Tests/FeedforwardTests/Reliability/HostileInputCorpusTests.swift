import Dispatch
import Foundation
import Testing
@testable import Feedforward

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the `feedforward` executable on hostile inputs (bad files, bad checkpoints, bad arguments,
/// bad paths) and checks that each run ends as a refusal should: exit status non-zero, by `exit`
/// and not by a signal, within a time limit, with a message on standard error that names the
/// problem, no raw Foundation error, and no NaN on standard output.
///
/// Set `FEEDFORWARD_CLI` to run the corpus against another build of the executable.
@Suite("Reliability: hostile CLI inputs", .serialized) struct HostileInputCorpusTests {
    struct Outcome {
        var status: Int32
        var signalled: Bool
        var timedOut: Bool
        var output: String
        var error: String
    }

    static let executable: URL? = ProcessInfo.processInfo.environment["FEEDFORWARD_CLI"].map { URL(fileURLWithPath: $0) }
        ?? FeedforwardExecutable.url

    /// Runs the executable in `directory`, killing it after `timeout` seconds.
    static func run(_ arguments: [String], in directory: URL, timeout: Double = 120) throws -> Outcome {
        guard let executable else { throw FeedforwardExecutable.NotBuilt() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes while the process runs, so that a chatty child never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outputData = Data()
        nonisolated(unsafe) var errorData = Data()
        DispatchQueue.global().async(group: group) { outputData = output.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errorData = error.fileHandleForReading.readDataToEndOfFile() }
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                process.terminate()
                Thread.sleep(forTimeInterval: 1)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.waitUntilExit()
        group.wait()
        return Outcome(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal, timedOut: timedOut,
            output: String(decoding: outputData, as: UTF8.self), error: String(decoding: errorData, as: UTF8.self))
    }

    /// The files the corpus refers to, made once: tables, a small XOR checkpoint and damaged copies of it.
    static let fixtures = Result { try makeFixtures() }

    struct FixtureFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func makeFixtures() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("feedforward-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("folder"), withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        }
        try write("header.csv", "a,b,c,label\n")
        try write("label-only.csv", "label\n1\n2\n3\n")
        try write("one-row.csv", "a,label\n1,0\n")
        try write("two-rows.csv", "a,y\n1,0.5\n2,0.25\n")
        try write("three-features.csv", "a,b,c,label\n0,0,1,0\n0,1,1,1\n1,0,0,1\n1,1,0,0\n1,1,1,0\n")
        try write("three-classes.csv", "a,b,label\n0,0,0\n0,1,1\n1,0,2\n1,1,0\n0.5,0.5,1\n")
        try write("points.csv", "a,b\n0,0\n0,1\n")
        try write("file.txt", "not a folder\n")
        try write("empty.ckpt", "")
        let checkpoint = directory.appendingPathComponent("xor.ckpt")
        let trained = try run(
            ["train", "--dataset", "xor", "--hidden", "4", "--epochs", "2", "--batch-size", "4", "--save", checkpoint.path],
            in: directory)
        guard trained.status == 0 else { throw FixtureFailure(description: "could not train the XOR fixture: \(trained.error)") }
        var file = try SafeTensors.decode(try FileIO.readAll(checkpoint))
        var nan = file
        var weights = nan.tensors["model.0.weight"]!
        weights = SafeTensorsEntry(shape: weights.shape, floats: [.nan] + [Float](repeating: 0.5, count: weights.shape.reduce(1, *) - 1))
        nan.tensors["model.0.weight"] = weights
        try Data(SafeTensors.encode(nan)).write(to: directory.appendingPathComponent("nan.ckpt"))
        // Finite weights of 1e30: on inputs of 1e30 the first layer's products overflow to infinity.
        var huge = file
        let first = huge.tensors["model.0.weight"]!
        huge.tensors["model.0.weight"] = SafeTensorsEntry(shape: first.shape, floats: [Float](repeating: 1e30, count: first.shape.reduce(1, *)))
        try Data(SafeTensors.encode(huge)).write(to: directory.appendingPathComponent("huge-weights.ckpt"))
        try write("huge-points.csv", "a,b\n1e30,1e30\n")
        file.tensors["optimizer.1.bias.first"] = nil
        try Data(SafeTensors.encode(file)).write(to: directory.appendingPathComponent("no-velocity.ckpt"))
        return directory
    }

    /// Arguments, and words standard error must contain.
    static let corpus: [([String], String)] = [
        // Data that cannot train.
        (["train", "--dataset", "csv:header.csv"], "no data rows"),
        (["train", "--dataset", "csv:label-only.csv"], "no feature columns"),
        (["train", "--dataset", "csv:one-row.csv"], "1 class"),
        (["train", "--dataset", "csv:one-row.csv", "--regression"], "at least 2"),
        (["train", "--dataset", "csv:two-rows.csv", "--regression", "--validation-fraction", "0.5"], "too few"),
        (["train", "--dataset", "xor", "--validation-fraction", "0.1"], "no validation split"),
        (["train", "--dataset", "csv:/nonexistent/data.csv"], "nonexistent"),
        (["train", "--dataset", "imagenet"], "imagenet"),
        (["train", "--dataset", "mnist"], "data-directory"),
        (["train", "--dataset", "csv:"], "dataset"),
        // Networks too large for memory, refused before allocating.
        (["train", "--hidden", "100000,100000"], "needs about"),
        (["train", "--dataset", "xor", "--hidden", "1048576,1048576"], "needs about"),
        (["train", "--dataset", "xor", "--output", "mdn:100000000"], "mdn"),
        (["train", "--dataset", "csv:two-rows.csv", "--regression", "--output", "mdn:65536", "--hidden", "1048576"], "needs about"),
        (["train", "--dataset", "xor", "--hidden", "1048577"], "--hidden"),
        // Arguments out of range or malformed.
        (["train", "--dataset", "xor", "--hidden", "4,,4"], "--hidden"),
        (["train", "--dataset", "xor", "--hidden", "-4"], "hidden"),
        (["train", "--dataset", "xor", "--label-column", "99"], "--label-column"),
        (["train", "--dataset", "xor", "--regression"], "--regression"),
        (["train", "--dataset", "xor", "--schedule", "cosine:inf"], "--schedule"),
        (["train", "--dataset", "xor", "--schedule", "step:1:nan"], "--schedule"),
        (["train", "--dataset", "xor", "--threads", "10000"], "--threads"),
        (["train", "--dataset", "xor", "--threads", "0"], "--threads"),
        (["train", "--dataset", "xor", "--learning-rate", "nan"], "--learning-rate"),
        (["train", "--dataset", "xor", "--learning-rate", "1e400"], "--learning-rate"),
        (["train", "--dataset", "xor", "--weight-decay", "inf"], "--weight-decay"),
        (["train", "--dataset", "xor", "--clip-norm", "-1"], "--clip-norm"),
        (["train", "--dataset", "xor", "--epochs", "-1"], "--epochs"),
        (["train", "--dataset", "xor", "--epochs", "9223372036854775807"], "--epochs"),
        (["train", "--dataset", "xor", "--batch-size", "-1"], "--batch-size"),
        (["train", "--dataset", "xor", "--early-stopping", "0"], "--early-stopping"),
        (["train", "--dataset", "xor", "--seed", "-1"], "seed"),
        (["train", "--dataset", "xor", "--activation", "maxout:0"], "activation"),
        // Output paths, checked before any data is read.
        (["train", "--dataset", "xor", "--save", "missing/model.ckpt"], "does not exist"),
        (["train", "--dataset", "xor", "--save", "folder"], "is a folder"),
        (["train", "--dataset", "xor", "--log", "folder"], "is a folder"),
        (["train", "--dataset", "xor", "--plot", "file.txt"], "is a file"),
        (["train", "--dataset", "xor", "--plot", "file.txt/plots"], "is a file"),
        (["train", "--dataset", "xor", "--tensorboard", "file.txt"], "is a file"),
        (["train", "--dataset", "xor", "--resume", "folder"], "is a folder"),
        // Damaged checkpoints and checkpoints that do not fit the data.
        (["train", "--dataset", "xor", "--resume", "nan.ckpt", "--epochs", "3"], "holds nan"),
        (["train", "--dataset", "xor", "--resume", "no-velocity.ckpt", "--epochs", "3"], "optimizer state '1.bias.first' is missing"),
        (["train", "--dataset", "csv:three-features.csv", "--resume", "xor.ckpt", "--epochs", "3"], "3 features"),
        (["train", "--dataset", "csv:three-classes.csv", "--resume", "xor.ckpt", "--epochs", "3"], "3 classes"),
        (["evaluate", "--model", "nan.ckpt", "--dataset", "xor"], "holds nan"),
        (["evaluate", "--model", "xor.ckpt", "--dataset", "csv:three-classes.csv"], "3 classes"),
        (["evaluate", "--model", "xor.ckpt", "--dataset", "csv:three-features.csv"], "3 features"),
        (["evaluate", "--model", "xor.ckpt", "--dataset", "xor", "--split", "everything"], "--split"),
        (["evaluate", "--model", "xor.ckpt", "--dataset", "xor", "--validation-fraction", "nan"], "--validation-fraction"),
        (["evaluate", "--model", "empty.ckpt", "--dataset", "xor"], "empty.ckpt"),
        (["predict", "--model", "nan.ckpt", "--input", "points.csv"], "holds nan"),
        (["predict", "--model", "xor.ckpt", "--input", "folder"], "is a folder"),
        (["predict", "--model", "xor.ckpt", "--input", "/nonexistent/points.csv"], "does not exist"),
        (["predict", "--model", "xor.ckpt", "--input", "three-features.csv"], "features"),
        (["predict", "--model", "xor.ckpt", "--input", "points.csv", "--output", "missing/out.csv"], "does not exist"),
        (["predict", "--model", "xor.ckpt", "--input", "points.csv", "--output", "folder"], "is a folder"),
        (["predict", "--model", "xor.ckpt", "--input", "images-idx3-ubyte", "--label-column", "0"], "--label-column"),
        (["predict", "--model", "huge-weights.ckpt", "--input", "huge-points.csv"], "overflow"),
        (["info", "nan.ckpt"], "holds nan"),
        (["info", "no-velocity.ckpt"], "is missing"),
        (["info", "empty.ckpt"], "empty.ckpt"),
        (["experiment", "no-such-experiment"], "no-such-experiment"),
        (["experiment", "xor", "--quick", "--output", "file.txt"], "is a file"),
    ]

    @Test(arguments: 0..<corpus.count)
    func refusesWithAMessageAndAnExitStatus(index: Int) throws {
        let (arguments, mention) = Self.corpus[index]
        let outcome = try Self.run(arguments, in: try Self.fixtures.get())
        let command = arguments.joined(separator: " ")
        #expect(!outcome.timedOut, "\(command): still running after the time limit")
        #expect(!outcome.signalled, "\(command): killed by signal \(outcome.status); stderr: \(outcome.error)")
        #expect(outcome.status != 0, "\(command): exit 0; stdout: \(outcome.output)")
        #expect(outcome.error.lowercased().contains("error"), "\(command): stderr: \(outcome.error)")
        #expect(outcome.error.contains(mention), "\(command): stderr lacks '\(mention)': \(outcome.error)")
        for raw in ["NSCocoaErrorDomain", "Fatal error", "Stack dump"] {
            #expect(!outcome.error.contains(raw), "\(command): stderr: \(outcome.error)")
        }
        #expect(!outcome.output.lowercased().contains("nan"), "\(command): stdout: \(outcome.output)")
    }
}
