// The parts of the built-in GEMM that depend on the element type only (not on the kernel variant),
// included by gemm.c once per type with
//   FT    the element type (float / double)
//   TN(x) the name of x for that type (e.g. x##_f32)

/// Splits `total` into the fewest blocks of at most `block`, of near-equal size rounded up to `unit`.
static inline int64_t TN(balanced_block)(int64_t total, int64_t block, int64_t unit) {
    if (total <= block) return total;
    const int64_t nblocks = (total + block - 1) / block;
    int64_t b = (total + nblocks - 1) / nblocks;
    b = (b + unit - 1) / unit * unit;
    return b < block ? b : block;
}

/// C = beta * C for an M x N block (beta == 0 writes zeros, whatever C held).
static void TN(scale_c)(int64_t M, int64_t N, FT beta, FT *C, int64_t ldc) {
    if (beta == (FT)1) return;
    for (int64_t i = 0; i < M; i++) {
        FT *row = C + i * ldc;
        if (beta == (FT)0) {
            for (int64_t j = 0; j < N; j++) row[j] = 0;
        } else {
            for (int64_t j = 0; j < N; j++) row[j] *= beta;
        }
    }
}

/// Unblocked product: for tiny products, and when no packing space can be allocated. Compiled for the
/// baseline target, so its rounding is the same whichever kernel variant is in use.
static void TN(gemm_naive)(int transA, int transB, int64_t M, int64_t N, int64_t K, FT alpha,
                           const FT *A, int64_t lda, const FT *B, int64_t ldb, FT beta, FT *C,
                           int64_t ldc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            FT s = 0;
            for (int64_t p = 0; p < K; p++)
                s += (transA ? A[p * lda + i] : A[i * lda + p]) * (transB ? B[j * ldb + p] : B[p * ldb + j]);
            C[i * ldc + j] = beta == (FT)0 ? alpha * s : beta * C[i * ldc + j] + alpha * s;
        }
}
