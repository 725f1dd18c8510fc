import Feedforward

/// What every benchmark result is measured on: the CPU, the built-in kernel's variant and vector width,
/// the BLAS library and its core, the route's decision and the default thread count.
func benchmarkEnvironment() -> [String: Any] {
    let configuration = ComputeEnvironment.configuration
    return [
        "cpu": configuration.cpuModel, "kernel_variant": configuration.kernelVariant.rawValue,
        "vector_bits": configuration.kernelVariant.vectorBits ?? 0, "blas": configuration.blasSummary,
        "blas_core": configuration.blas?.core ?? "", "blas_route": configuration.routeSummary,
        "uses_blas": configuration.route.usesBLAS, "default_threads": configuration.threadCount,
    ]
}

/// The benchmark header: the configuration, one `#` line per item.
func printBenchmarkHeader() {
    for line in ComputeEnvironment.configuration.description.split(separator: "\n") { print("# \(line)") }
}
