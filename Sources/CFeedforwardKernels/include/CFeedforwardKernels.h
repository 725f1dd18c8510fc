#ifndef CFEEDFORWARD_KERNELS_H
#define CFEEDFORWARD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------
// Matrix multiply: C = alpha * op(A) * op(B) + beta * C, row-major.
// op(X) is X or its transpose. op(A) is M x K, op(B) is K x N, C is M x N.
// lda, ldb, ldc are the row strides (in elements) of A, B and C as stored.
// ---------------------------------------------------------------------------

/// Which implementation runs a product.
typedef enum {
    FF_GEMM_AUTO = 0,     ///< the loaded BLAS if any, else the built-in kernel; products with a small
                          ///< dimension run on one BLAS thread (M or N < 32) or the built-in kernel (K < 32,
                          ///< or float with N <= 16 (15 for Aᵀ·B) and K >= 64 on AVX2: the narrow path);
                          ///< float Aᵀ·B with no dimension under 32 runs on the built-in kernel
    FF_GEMM_BLAS = 1,     ///< the loaded BLAS (falls back to built-in when none is loaded)
    FF_GEMM_BUILTIN = 2,  ///< the built-in kernel (packed, or the narrow path where it applies)
} ff_gemm_backend;

void ff_sgemm(ff_gemm_backend backend, int transA, int transB,
              int64_t M, int64_t N, int64_t K, float alpha,
              const float *A, int64_t lda, const float *B, int64_t ldb,
              float beta, float *C, int64_t ldc);

void ff_dgemm(ff_gemm_backend backend, int transA, int transB,
              int64_t M, int64_t N, int64_t K, double alpha,
              const double *A, int64_t lda, const double *B, int64_t ldb,
              double beta, double *C, int64_t ldc);

// ---------------------------------------------------------------------------
// Run-time BLAS (dlopen). The environment variable FEEDFORWARD_BLAS names a
// library path to load, or "none"/"off"/"0" to disable BLAS; unset, the usual
// names are tried (libopenblas.so.0, libopenblas.so, libblas.so.3, ...).
// ---------------------------------------------------------------------------

/// Loads BLAS once (thread-safe); returns 1 if a BLAS with cblas_sgemm and cblas_dgemm is loaded.
int ff_blas_load(void);
/// The path or name of the loaded library, or NULL.
const char *ff_blas_name(void);
/// Sets the BLAS library's thread count where it exposes one (openblas_set_num_threads); returns 1 if it did.
int ff_blas_set_threads(int threads);
/// The BLAS library's thread count where it reports one (openblas_get_num_threads), else the last count
/// set through ff_blas_set_threads, or 0 when unknown or when no BLAS is loaded.
int ff_blas_threads(void);

/// 1 when FF_GEMM_AUTO runs every M x N x K product, of either type and operand layout, on the built-in
/// kernel even though a BLAS is loaded (a short inner dimension). ff_sgemm also takes it for the float
/// shapes listed at FF_GEMM_AUTO.
int ff_gemm_auto_prefers_builtin(int64_t M, int64_t N, int64_t K);

/// Threads the built-in kernel may use (1 by default; at least 1).
void ff_builtin_set_threads(int threads);
int ff_builtin_threads(void);

/// 1 when the CPU supports the AVX2+FMA micro-kernel and it is in use.
int ff_cpu_has_avx2_fma(void);
/// Forces the portable micro-kernel (for tests): 1 to force, 0 for automatic choice.
void ff_force_portable_kernel(int force);

// ---------------------------------------------------------------------------
// Run-time zlib (dlopen of libz.so.1 / libz.1.dylib / libz.so).
// ---------------------------------------------------------------------------

/// Result codes of ff_gunzip.
typedef enum {
    FF_INFLATE_OK = 0,
    FF_INFLATE_NO_ZLIB = 1,        ///< libz could not be loaded
    FF_INFLATE_CORRUPT = 2,        ///< the stream is not valid gzip/zlib data
    FF_INFLATE_TOO_LARGE = 3,      ///< output would exceed the caller's buffer
    FF_INFLATE_OUT_OF_MEMORY = 4,
    FF_INFLATE_TRUNCATED = 5,      ///< the stream ended before its end marker
} ff_inflate_status;

/// Decompresses gzip (or zlib) data, all members, straight into the caller's buffer of
/// output_capacity bytes: no other memory than zlib's own window is used. *output_size receives the
/// count written. FF_INFLATE_TOO_LARGE when the stream holds more than output_capacity bytes.
ff_inflate_status ff_gunzip(const uint8_t *input, size_t input_size, uint8_t *output,
                            size_t output_capacity, size_t *output_size);

/// Decompresses only the first bytes of gzip (or zlib) data into the caller's buffer: at most
/// prefix_capacity bytes; *prefix_size receives the count written. Returns FF_INFLATE_OK when the
/// buffer was filled or the whole stream was shorter (then *prefix_size < prefix_capacity).
/// Lets a reader check a file header before deciding how much output to allow.
ff_inflate_status ff_gunzip_prefix(const uint8_t *input, size_t input_size, uint8_t *prefix,
                                   size_t prefix_capacity, size_t *prefix_size);

/// The loaded zlib's version string, or NULL when zlib cannot be loaded.
const char *ff_zlib_version(void);

#ifdef __cplusplus
}
#endif

#endif
