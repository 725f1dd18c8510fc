// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Feedforward",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Feedforward", targets: ["Feedforward"]),
        // The `feedforward` command's definitions and argument parsing, for the fuzz package (fuzz/).
        .library(name: "FeedforwardCommandLine", targets: ["FeedforwardCommandLine"]),
        .executable(name: "feedforward", targets: ["FeedforwardCLI"]),
        .executable(name: "feedforward-bench", targets: ["FeedforwardBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        // TensorBoard event files (Sources/Feedforward/Logging, generated from Protos/).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // `swift package generate-documentation` for the DocC catalogue.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C kernels: the packed GEMM, the element-wise and optimizer kernels, their thread pool, and the
        // run-time loaders of BLAS, zlib and Open MPI.
        .target(
            name: "CFeedforwardKernels",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux])), .linkedLibrary("pthread", .when(platforms: [.linux]))]
        ),
        .target(
            name: "Feedforward",
            dependencies: [
                "CFeedforwardKernels",
                .product(name: "RealModule", package: "swift-numerics"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            resources: [.copy("Resources/FashionMNISTSubset")]
        ),
        // The chapter's experiments: one file each, run by `feedforward experiment NAME`.
        .target(
            name: "FeedforwardExperiments",
            dependencies: ["Feedforward"]
        ),
        // The `feedforward` command: its subcommands, options and their parsing (a library, so that
        // tests and the fuzz package can call the parsing); the executable only runs it.
        .target(
            name: "FeedforwardCommandLine",
            dependencies: [
                "Feedforward",
                "FeedforwardExperiments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "FeedforwardCLI",
            dependencies: ["FeedforwardCommandLine"]
        ),
        .executableTarget(
            name: "FeedforwardBench",
            dependencies: ["Feedforward"]
        ),
        .testTarget(
            name: "FeedforwardTests",
            // FeedforwardCommandLine: the tests call its argument parsing (Train.configuration(arguments:))
            // directly; FeedforwardCLI: the command-line tests run the `feedforward` executable.
            dependencies: [
                "Feedforward", "FeedforwardExperiments", "FeedforwardCommandLine", "FeedforwardCLI",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ]
)
