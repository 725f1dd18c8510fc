import CFeedforwardKernels
import Foundation

/// Which implementation runs a matrix product.
public enum MatrixMultiplyBackend: Sendable, Hashable, CaseIterable {
    /// The run-time BLAS where it is the faster choice for the shape, else the built-in kernel.
    case automatic
    /// The BLAS library loaded at run time (falls back to the built-in kernel when none is loaded).
    case blas
    /// Feedforward's own packed, cache-blocked kernel (AVX2+FMA where the CPU has it).
    case builtin

    @usableFromInline var cValue: ff_gemm_backend {
        switch self {
        case .automatic: return FF_GEMM_AUTO
        case .blas: return FF_GEMM_BLAS
        case .builtin: return FF_GEMM_BUILTIN
        }
    }
}

/// Process-wide settings of the compute kernels: the BLAS library in use and the thread count.
///
/// BLAS is loaded with `dlopen` on first use. Set the environment variable `FEEDFORWARD_BLAS` to a
/// library path to choose one, or to `none`, `off` or `0` to run everything on the built-in kernel.
public enum ComputeEnvironment {
    /// One-time setup: loads BLAS and applies the default thread count: `FEEDFORWARD_THREADS` when it
    /// holds a positive integer, else the active processor count.
    @usableFromInline static let setUp: Void = {
        _ = ff_blas_load()
        let requested = ProcessInfo.processInfo.environment["FEEDFORWARD_THREADS"].flatMap { Int($0) }
        let threads = max(1, requested.flatMap { $0 > 0 ? $0 : nil } ?? ProcessInfo.processInfo.activeProcessorCount)
        ff_builtin_set_threads(Int32(clamping: threads))
        _ = ff_blas_set_threads(Int32(clamping: threads))
    }()

    /// The name or path of the BLAS library loaded at run time, or `nil` when none is in use.
    public static var blasLibrary: String? {
        _ = setUp
        guard let name = ff_blas_name() else { return nil }
        return String(cString: name)
    }

    /// Threads used by matrix products (both the BLAS library and the built-in kernel) and by large
    /// element-wise loops. Defaults to `FEEDFORWARD_THREADS` if set, else the number of active
    /// processors; values below 1 mean 1. Setting it is process-wide (OpenBLAS's count is global).
    public static var threadCount: Int {
        get {
            _ = setUp
            return Int(ff_builtin_threads())
        }
        set {
            _ = setUp
            let threads = Int32(clamping: max(1, newValue))
            ff_builtin_set_threads(threads)
            _ = ff_blas_set_threads(threads)
        }
    }

    /// Which implementation tensor matrix products use (``MatrixMultiplyBackend/automatic`` by default).
    /// A process-wide setting, meant to be chosen once at start-up (or by tests).
    nonisolated(unsafe) public static var matrixMultiplyBackend = MatrixMultiplyBackend.automatic

    /// Whether the built-in kernel runs its AVX2+FMA micro-kernel (false on other CPUs, or while the
    /// portable kernel is forced).
    public static var isUsingAVX2: Bool {
        ff_cpu_has_avx2_fma() != 0
    }

    /// Forces the built-in kernel's portable C micro-kernel instead of the AVX2 one (`true`), or
    /// restores the automatic choice (`false`). For tests and benchmarks.
    static func forcePortableKernel(_ force: Bool) {
        ff_force_portable_kernel(force ? 1 : 0)
    }
}
