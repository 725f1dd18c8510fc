// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Feedforward",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Feedforward", targets: ["Feedforward"]),
        .executable(name: "feedforward", targets: ["FeedforwardCLI"]),
        .executable(name: "feedforward-bench", targets: ["FeedforwardBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        // C kernels: the packed GEMM, the run-time BLAS loader and the run-time zlib loader.
        .target(
            name: "CFeedforwardKernels",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux])), .linkedLibrary("pthread", .when(platforms: [.linux]))]
        ),
        .target(
            name: "Feedforward",
            dependencies: [
                "CFeedforwardKernels",
                .product(name: "RealModule", package: "swift-numerics"),
            ],
            resources: [.copy("Resources/FashionMNISTSubset")]
        ),
        // The chapter's experiments: one file each, run by `feedforward experiment NAME`.
        .target(
            name: "FeedforwardExperiments",
            dependencies: ["Feedforward"]
        ),
        .executableTarget(
            name: "FeedforwardCLI",
            dependencies: [
                "Feedforward",
                "FeedforwardExperiments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "FeedforwardBench",
            dependencies: ["Feedforward"]
        ),
        .testTarget(
            name: "FeedforwardTests",
            // FeedforwardCLI: the tests call its argument parsing (Train.configuration(arguments:)) directly.
            dependencies: ["Feedforward", "FeedforwardExperiments", "FeedforwardCLI"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
