// swift-tools-version:6.1
// libFuzzer targets for Feedforward's file readers. Not part of the main package: they link only
// with `-sanitize=fuzzer`. Build and run them with ../scripts/fuzz.sh.
import PackageDescription

let package = Package(
    name: "FeedforwardFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Feedforward", path: "..")],
    targets: [.target(name: "CFuzzDriver")] + ["FuzzIDX", "FuzzCSVReader", "FuzzCSV", "FuzzSafeTensors", "FuzzCheckpoint"].map {
        .executableTarget(
            name: $0, dependencies: ["CFuzzDriver", .product(name: "Feedforward", package: "Feedforward")],
            // gold hits an internal error on these sanitizer-instrumented objects; lld links them.
            linkerSettings: [.unsafeFlags(["-use-ld=lld"], .when(platforms: [.linux]))])
    }
)
