#include "CFeedforwardKernels.h"
// Temporary naive kernels until the packed GEMM lands.
#define NAIVE(NAME, T) void NAME(ff_gemm_backend backend, int ta, int tb, int64_t M, int64_t N, int64_t K, T alpha, \
  const T *A, int64_t lda, const T *B, int64_t ldb, T beta, T *C, int64_t ldc) { (void)backend; \
  for (int64_t i = 0; i < M; i++) for (int64_t j = 0; j < N; j++) { T s = 0; \
    for (int64_t k = 0; k < K; k++) s += (ta ? A[k*lda+i] : A[i*lda+k]) * (tb ? B[j*ldb+k] : B[k*ldb+j]); \
    C[i*ldc+j] = alpha * s + (beta == 0 ? 0 : beta * C[i*ldc+j]); } }
NAIVE(ff_sgemm, float)
NAIVE(ff_dgemm, double)
