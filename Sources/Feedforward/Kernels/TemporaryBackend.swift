import CFeedforwardKernels

public enum MatrixMultiplyBackend: Sendable { case automatic, blas, builtin
    var cValue: ff_gemm_backend { switch self { case .automatic: FF_GEMM_AUTO; case .blas: FF_GEMM_BLAS; case .builtin: FF_GEMM_BUILTIN } }
}
public enum ComputeSettings { nonisolated(unsafe) public static var matrixMultiplyBackend = MatrixMultiplyBackend.automatic }
