// swift-tools-version:6.1
// libFuzzer targets for Feedforward's file readers and the CLI's argument parsing. Not part of the
// main package: they link only with `-sanitize=fuzzer`. Build and run them with ../scripts/fuzz.sh.
import PackageDescription

// The Feedforward checkout: the parent folder, or FEEDFORWARD_CHECKOUT when scripts/fuzz.sh builds a
// copy of this package from a folder of another name (a checkout folder named `fuzz` would otherwise
// have the same package identity as this one).
let checkout = Context.environment["FEEDFORWARD_CHECKOUT"] ?? ".."

/// A fuzz target: the libFuzzer driver and the Feedforward libraries it needs.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name, dependencies: ["CFuzzDriver"] + products.map { .product(name: $0, package: "Feedforward") },
        // gold hits an internal error on these sanitizer-instrumented objects; lld links them.
        linkerSettings: [.unsafeFlags(["-use-ld=lld"], .when(platforms: [.linux]))])
}

let package = Package(
    name: "FeedforwardFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Feedforward", path: checkout)],
    targets: [.target(name: "CFuzzDriver")]
        + ["FuzzIDX", "FuzzCSVReader", "FuzzCSV", "FuzzSafeTensors", "FuzzCheckpoint"].map { fuzzTarget($0, ["Feedforward"]) }
        + [fuzzTarget("FuzzArguments", ["Feedforward", "FeedforwardCommandLine"])]
)
