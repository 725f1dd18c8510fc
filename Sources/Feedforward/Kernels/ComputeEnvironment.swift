import CFeedforwardKernels
import Foundation

/// Which implementation runs a matrix product.
public enum MatrixMultiplyBackend: Sendable, Hashable, CaseIterable {
    /// The run-time BLAS where the route uses it (``BLASRoute``) and it is the faster choice for the
    /// shape, else the built-in kernel.
    case automatic
    /// The BLAS library loaded at run time (falls back to the built-in kernel when none is loaded).
    case blas
    /// Feedforward's own packed, cache-blocked kernel (AVX-512 or AVX2+FMA where the CPU has them).
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
/// Unset, the automatic backend uses the library it finds only where it is not slower than the
/// built-in kernel (see ``BLASRoute``); ``configuration`` says what was decided and why.
public enum ComputeEnvironment {
    /// One-time setup: loads BLAS and applies the default thread count: `FEEDFORWARD_THREADS` when it
    /// holds an integer (clamped into `1...maximumThreadCount`), else the active processor count.
    @usableFromInline static let setUp: Void = {
        _ = ff_blas_load()
        let threads = initialThreadCount(environmentValue: ProcessInfo.processInfo.environment["FEEDFORWARD_THREADS"])
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
    /// processors; values below 1 mean 1 and values above ``maximumThreadCount`` mean that maximum.
    /// Setting it is process-wide (OpenBLAS's count is global).
    public static var threadCount: Int {
        get {
            _ = setUp
            return Int(ff_builtin_threads())
        }
        set {
            _ = setUp
            let threads = Int32(clamping: clampedThreadCount(newValue))
            ff_builtin_set_threads(threads)
            _ = ff_blas_set_threads(threads)
        }
    }

    /// Which implementation tensor matrix products use (``MatrixMultiplyBackend/automatic`` by default).
    /// A process-wide setting, meant to be chosen once at start-up (or by tests).
    nonisolated(unsafe) public static var matrixMultiplyBackend = MatrixMultiplyBackend.automatic

    /// The built-in kernel's variant in use: the widest the CPU supports unless one is forced.
    public static var kernelVariant: KernelVariant {
        KernelVariant(ff_kernel_variant_in_use())
    }

    /// What the kernels run on and how products are routed (see ``ComputeConfiguration``).
    public static var configuration: ComputeConfiguration {
        ComputeConfiguration.current
    }

    /// Forces the built-in kernel's variant (`nil`: the automatic choice again). For tests and
    /// benchmarks; process-wide, like ``threadCount``. Returns `false`, changing nothing, when the CPU
    /// cannot run it.
    @discardableResult
    public static func forceKernelVariant(_ variant: KernelVariant?) -> Bool {
        ff_force_kernel_variant(variant.map { Int32($0.cValue.rawValue) } ?? -1) != 0
    }
}
