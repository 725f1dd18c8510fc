import Foundation
import Testing
@testable import Feedforward

/// Runs the built `feedforward` executable, which `swift build --build-tests` (and `swift test`)
/// place beside the test binary.
enum FeedforwardExecutable {
    static let url: URL? = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("feedforward")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }()

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    struct NotBuilt: Error, CustomStringConvertible {
        var description: String { "the feedforward executable was not built beside the tests" }
    }

    /// Runs the executable with `arguments`, in this process's environment with `environment` added.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        guard let url else { throw NotBuilt() }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData, as: UTF8.self))
    }
}

@Suite(.serialized) struct CommandLineTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("feedforward-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func helpListsEverySubcommandAndOption() throws {
        let top = try FeedforwardExecutable.run(["--help"])
        #expect(top.status == 0)
        for name in ["train", "evaluate", "predict", "info"] { #expect(top.output.contains(name)) }
        let train = try FeedforwardExecutable.run(["train", "--help"])
        for option in ["--dataset", "--label-column", "--hidden", "--activation", "--output", "--optimizer", "--learning-rate",
                       "--schedule", "--batch-size", "--drop-last", "--epochs", "--validation-fraction", "--early-stopping", "--weight-decay", "--seed", "--threads", "--save",
                       "--resume", "--plot", "--json"] {
            #expect(train.output.contains(option), "train --help lacks \(option)")
        }
    }

    /// `feedforward info` without a model describes the compute setup, the BLAS route's reason included.
    @Test func infoWithoutModelDescribesTheComputeSetup() throws {
        let info = try FeedforwardExecutable.run(["info"])
        #expect(info.status == 0)
        for item in ["CPU: ", "built-in kernel: ", "BLAS: ", "route: ", "threads: "] {
            #expect(info.output.contains(item), "info lacks '\(item)': \(info.output)")
        }
    }

    /// `FEEDFORWARD_THREADS` is held to the bounds of `--threads`: anything but a count in
    /// 1...4×processors is refused, with a message, before any command runs.
    @Test func threadsFromTheEnvironmentAreBounded() throws {
        let maximum = 4 * ProcessInfo.processInfo.activeProcessorCount
        for value in ["10000", String(maximum + 1), "0", "-2", "many"] {
            let info = try FeedforwardExecutable.run(["info"], environment: ["FEEDFORWARD_THREADS": value])
            #expect(info.status == 1, "FEEDFORWARD_THREADS=\(value): exit \(info.status); \(info.output)")
            #expect(info.error.contains("error: FEEDFORWARD_THREADS must be an integer in 1...\(maximum)") && info.error.contains("'\(value)'"),
                    "FEEDFORWARD_THREADS=\(value): \(info.error)")
        }
        let accepted = try FeedforwardExecutable.run(["info"], environment: ["FEEDFORWARD_THREADS": String(maximum)])
        #expect(accepted.status == 0 && accepted.output.contains("threads: \(maximum)"), "\(accepted.output)\(accepted.error)")
    }

    @Test(arguments: [
        (["train", "--batch-size", "0"], "batch-size"),
        (["train", "--hidden", "12,x"], "hidden"),
        (["train", "--activation", "nonsense"], "activation"),
        (["train", "--dataset", "imagenet"], "imagenet"),
        (["train", "--dataset", "csv:/nonexistent/file.csv"], "nonexistent"),
        (["train", "--schedule", "step:0:1", "--dataset", "xor", "--epochs", "1"], "schedule"),
        (["train", "--validation-fraction", "1.5"], "validation-fraction"),
        (["train", "--early-stopping", "2", "--validation-fraction", "0"], "early-stopping"),
        (["info", "/nonexistent/model.ckpt"], "nonexistent"),
        (["evaluate", "--model", "/nonexistent/model.ckpt"], "nonexistent"),
    ])
    func badArgumentsGiveAMessageAndFailure(arguments: [String], mention: String) throws {
        let result = try FeedforwardExecutable.run(arguments)
        #expect(result.status != 0)
        #expect(result.error.contains(mention), "stderr: \(result.error)")
        #expect(!result.error.contains("Fatal error") && !result.error.contains("Stack dump"))
    }

    @Test func trainSaveInfoEvaluatePredictOnXOR() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("xor.ckpt").path
        let train = try FeedforwardExecutable.run([
            "train", "--dataset", "xor", "--hidden", "8", "--activation", "tanh", "--batch-size", "4", "--epochs", "300",
            "--learning-rate", "0.1", "--save", model, "--plot", directory.appendingPathComponent("plots").path, "--json",
        ])
        #expect(train.status == 0, "\(train.error)")
        let last = try #require(train.output.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(object["test_accuracy"] as? Double == 1.0)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("plots/loss.svg").path))

        let info = try FeedforwardExecutable.run(["info", model])
        #expect(info.status == 0 && info.output.contains("0.weight") && info.output.contains("300 epochs"))

        let evaluate = try FeedforwardExecutable.run(["evaluate", "--model", model, "--dataset", "xor", "--json"])
        #expect(evaluate.status == 0 && evaluate.output.contains("accuracy 1.0000"))

        let csv = directory.appendingPathComponent("points.csv")
        try "a,b\n0,0\n0,1\n1,0\n1,1\n".write(to: csv, atomically: true, encoding: .utf8)
        let predict = try FeedforwardExecutable.run(["predict", "--model", model, "--input", csv.path])
        #expect(predict.status == 0)
        #expect(predict.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] } == ["0", "1", "1", "0"])

        // predict reads IDX images by the rule training uses: a signed-byte file is refused, not read unscaled.
        let signed = directory.appendingPathComponent("points.idx")
        try IDX.write(IDXArray(shape: [4, 2], values: .int8([0, 0, 0, 1, 1, 0, 1, 1])), to: signed)
        let refused = try FeedforwardExecutable.run(["predict", "--model", model, "--input", signed.path])
        #expect(refused.status != 0 && refused.error.contains("images must be unsigned bytes"), "\(refused.output)")

        // A model file that is cut short is reported, not crashed on.
        let data = try Data(contentsOf: URL(fileURLWithPath: model))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: model))
        let broken = try FeedforwardExecutable.run(["info", model])
        #expect(broken.status != 0 && broken.error.contains("error:"))
    }
}
