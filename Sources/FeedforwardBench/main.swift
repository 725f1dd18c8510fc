import Feedforward
import Foundation

// feedforward-bench: a small dispatcher over benchmark subcommands. To add one, write a function
// `([String]) -> Void` taking the arguments after the subcommand name, and add it to `subcommands`.

struct Subcommand {
    let summary: String
    let run: ([String]) -> Void
}

let subcommands: [String: Subcommand] = [
    "gemm": Subcommand(summary: "SGEMM GFLOP/s, run-time BLAS vs built-in kernel, 1 and 2 threads [--json | --serve | --variants]",
                       run: gemmBenchmark),
    "parallel": Subcommand(summary: "element-wise add/exp: 1 thread vs parallelChunks, to place its threshold [--json]",
                           run: parallelBenchmark),
    "train": Subcommand(summary: "Fashion-MNIST 784-256-256-10 MLP, torch_mlp.py protocol [--epochs N] [--optimizer sgd|adam] [--compact-data | --session] [--json]",
                        run: trainBenchmark),
    "xor": Subcommand(summary: "XOR 2-2-1 gradient steps per second (framework overhead) [--quick] [--json] [--profile-steps N [--captured]]",
                      run: xorBenchmark),
    "autodiff": Subcommand(summary: "MLP gradient vs Hessian-vector product vs GEMMs; per-op recording overhead [--json] [--profile-hvp N | --profile-gradient N]",
                           run: autodiffBenchmark),
    "csv": Subcommand(summary: "load a CSV file as `train --dataset csv:FILE` does: seconds and peak RSS [--regression]",
                      run: csvBenchmark),
    "all": Subcommand(summary: "train (3 epochs), xor and autodiff briefly, as one table [--json]",
                      run: allBenchmarks),
]

@MainActor func printUsage() {
    print("feedforward-bench \(FeedforwardLibrary.version)")
    print("usage: feedforward-bench <subcommand> [options]\n\nsubcommands:")
    for name in subcommands.keys.sorted() {
        print("  \(name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(subcommands[name]!.summary)")
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if let name = arguments.first, let command = subcommands[name] {
    let options = arguments.dropFirst()
    // Human-readable runs start with what they run on; JSON results carry it as fields.
    if !options.contains(where: { ["--json", "--serve"].contains($0) || $0.hasPrefix("--profile") }) {
        printBenchmarkHeader()
    }
    command.run(Array(options))
} else {
    printUsage()
    if let name = arguments.first, !["-h", "--help", "help"].contains(name) {
        print("\nunknown subcommand '\(name)'")
        exit(2)
    }
}
