import CFeedforwardKernels

/// What the compute kernels run on and how matrix products are routed: the CPU, the built-in kernel's
/// variant, the BLAS library and its core, the route's decision and its reason, and the thread count.
/// `feedforward info` prints it, and every benchmark puts it in its header.
public struct ComputeConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The CPU's model name.
    public var cpuModel: String
    /// The built-in kernel's variant in use.
    public var kernelVariant: KernelVariant
    /// The BLAS library loaded at run time, or `nil`.
    public var blas: BLASLibrary?
    /// Whether the automatic backend uses that library, and why.
    public var route: BLASRoute
    /// Threads for matrix products and large element-wise loops (``ComputeEnvironment/threadCount``).
    public var threadCount: Int

    /// The configuration of this process now (decides the BLAS route if it is not yet decided).
    public static var current: ComputeConfiguration {
        _ = ComputeEnvironment.setUp
        return ComputeConfiguration(
            cpuModel: String(cString: ff_cpu_model_name()), kernelVariant: ComputeEnvironment.kernelVariant,
            blas: BLASLibrary.loaded, route: BLASRoute.current, threadCount: ComputeEnvironment.threadCount)
    }

    /// The built-in kernel, for example `avx512 (512-bit vectors)`.
    public var kernelSummary: String {
        if let bits = kernelVariant.vectorBits { return "\(kernelVariant.rawValue) (\(bits)-bit vectors)" }
        return "\(kernelVariant.rawValue) (baseline vectors)"
    }

    /// The BLAS library, for example `OpenBLAS 0.3.21, core Haswell (libopenblas.so.0)`, or `none`.
    public var blasSummary: String {
        guard let blas else { return "none" }
        var text = blas.vendor
        if let version = blas.version { text += " \(version)" }
        if let core = blas.core { text += ", core \(core)" }
        return text + " (\(blas.path))"
    }

    /// The route's decision in words, with its reason.
    public var routeSummary: String {
        let core = blas?.core.map { "core \($0)" } ?? "the library"
        let rates = route.calibration.map {
            String(format: "%.1f vs %.1f GFLOP/s on one thread", $0.blasRate, $0.builtinRate)
        } ?? ""
        switch route.reason {
        case .noneLoaded: return "built-in kernel only (no BLAS library found)"
        case .disabledByEnvironment: return "built-in kernel only (FEEDFORWARD_BLAS=none)"
        case .chosenByEnvironment: return "BLAS where the shape suits it (chosen by FEEDFORWARD_BLAS)"
        case .genericCore:
            return "built-in kernel only (\(core) is a generic fallback on a CPU with "
                + "\(KernelVariant.widestSupported.rawValue))"
        case .calibratedFaster: return "BLAS where the shape suits it (calibrated faster: \(rates))"
        case .calibratedSlower: return "built-in kernel only (calibrated: BLAS \(rates), under the "
            + String(format: "%.2fx", BLASRoute.calibrationMargin) + " margin)"
        }
    }

    /// One line per item: CPU, kernel, BLAS, route, threads.
    public var description: String {
        """
        CPU: \(cpuModel)
        built-in kernel: \(kernelSummary)
        BLAS: \(blasSummary)
        route: \(routeSummary)
        threads: \(threadCount)
        """
    }

    /// The same on one line, for benchmark headers.
    public var summary: String {
        "CPU \(cpuModel); kernel \(kernelSummary); BLAS \(blasSummary); route: \(routeSummary); threads \(threadCount)"
    }
}
