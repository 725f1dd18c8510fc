import CFeedforwardKernels

/// Multiplies row-major single-precision matrices: `C = alpha * op(A) * op(B) + beta * C`.
///
/// `op(A)` is `A` (M x K, stored with row stride `lda`) or, with `transposeA`, the transpose of `A`
/// stored as K x M; likewise `op(B)` is K x N. `C` is M x N with row stride `ldc`. With `beta == 0`,
/// `C` is overwritten without being read (NaNs in it do not propagate). Any of `m`, `n`, `k` may be 0.
///
/// - Parameters:
///   - backend: which implementation runs the product (see ``MatrixMultiplyBackend``).
///   - transposeA: whether `A` is stored transposed.
///   - transposeB: whether `B` is stored transposed.
///   - m: rows of `op(A)` and `C`.
///   - n: columns of `op(B)` and `C`.
///   - k: columns of `op(A)`, rows of `op(B)`.
///   - alpha: scale of the product.
///   - a: the first operand.
///   - lda: the row stride of `a` in elements.
///   - b: the second operand.
///   - ldb: the row stride of `b` in elements.
///   - beta: scale of the old `C`.
///   - c: the result, updated in place.
///   - ldc: the row stride of `c` in elements.
@inlinable
public func matrixMultiply(
    _ backend: MatrixMultiplyBackend = .automatic,
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "matrix sizes must not be negative")
    _ = ComputeEnvironment.setUp
    ff_sgemm(backend.cValue, transposeA ? 1 : 0, transposeB ? 1 : 0, Int64(m), Int64(n), Int64(k),
             alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
}

/// Multiplies row-major double-precision matrices: `C = alpha * op(A) * op(B) + beta * C`.
///
/// Same conventions as the `Float` overload: `op(A)` is M x K, `op(B)` is K x N, `C` is M x N, all
/// row-major with row strides `lda`, `ldb`, `ldc`; `beta == 0` overwrites `C` without reading it.
@inlinable
public func matrixMultiply(
    _ backend: MatrixMultiplyBackend = .automatic,
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Double = 1,
    a: UnsafePointer<Double>, lda: Int,
    b: UnsafePointer<Double>, ldb: Int,
    beta: Double = 0,
    c: UnsafeMutablePointer<Double>, ldc: Int
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "matrix sizes must not be negative")
    _ = ComputeEnvironment.setUp
    ff_dgemm(backend.cValue, transposeA ? 1 : 0, transposeB ? 1 : 0, Int64(m), Int64(n), Int64(k),
             alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
}
