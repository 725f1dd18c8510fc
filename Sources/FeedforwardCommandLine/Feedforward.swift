import ArgumentParser
import Feedforward
import Foundation

/// The `feedforward` command: its subcommands `train`, `evaluate`, `predict`, `info` and `experiment`.
///
/// The `feedforward` executable runs ``main()``; tests and fuzz targets call the parsing of a
/// subcommand directly (for `train`: ``TrainingConfiguration/init(trainArguments:)``).
public struct FeedforwardCommand: ParsableCommand {
    /// The command's name, help text, version and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "feedforward",
        abstract: "Train and use deep feedforward networks (multilayer perceptrons).",
        discussion: """
            With no arguments, `feedforward train` trains a 784-256-256-10 ReLU network on Fashion-MNIST \
            (the installed dataset if present, else the bundled subset) and prints its test accuracy.
            """,
        version: FeedforwardLibrary.version,
        subcommands: [Train.self, Evaluate.self, Predict.self, Info.self, ExperimentCommand.self],
        defaultSubcommand: nil)

    /// Creates the command with no subcommand chosen (as the argument parser needs).
    public init() {}

    /// Runs the subcommand that the process's arguments name, after checking the environment:
    /// `FEEDFORWARD_THREADS`, when set and not empty, must be a thread count that `--threads` would
    /// accept (``ComputeEnvironment/requestedThreadCount(environmentValue:)``); anything else ends
    /// the process with a message and exit status 1 before any work starts.
    public static func main() {
        if let value = ProcessInfo.processInfo.environment["FEEDFORWARD_THREADS"], !value.isEmpty {
            do {
                _ = try ComputeEnvironment.requestedThreadCount(environmentValue: value)
            } catch {
                printError("error: \(error)")
                exit(withError: ExitCode.failure)
            }
        }
        main(nil)
    }
}

/// Prints `message` to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs `body`, turning library errors into a message and a non-zero exit status.
func reportingErrors<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}
