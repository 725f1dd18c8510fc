// Declarations shared by the kernel's C files; not part of the public module interface.
#ifndef FF_INTERNAL_H
#define FF_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
/// x86-64 kernels (AVX2, AVX-512) are compiled by function attribute and chosen at run time.
#define FF_HAVE_X86_KERNELS 1
#else
#define FF_HAVE_X86_KERNELS 0
#endif

/// Most threads the built-in kernels use (ff_builtin_set_threads clamps to it).
#define FF_MAX_THREADS 64

/// Runs fn(jobs + t * size) for t in [0, threads) on the calling thread and up to threads - 1 pool
/// threads (thread_pool.c); returns after all have finished. Jobs are claimed, not assigned, so a late
/// helper costs at most its share run on the caller. Runs everything on the caller when the pool is
/// busy with another caller's work.
void ff_run_parallel(int threads, void *(*fn)(void *), void *jobs, size_t size);

// CBLAS constants (row-major order, transpose flags) as the CBLAS standard numbers them.
enum { FF_CBLAS_ROW_MAJOR = 101, FF_CBLAS_NO_TRANS = 111, FF_CBLAS_TRANS = 112 };

typedef void (*ff_cblas_sgemm_fn)(int order, int transA, int transB, int M, int N, int K, float alpha,
                                  const float *A, int lda, const float *B, int ldb, float beta,
                                  float *C, int ldc);
typedef void (*ff_cblas_dgemm_fn)(int order, int transA, int transB, int M, int N, int K, double alpha,
                                  const double *A, int lda, const double *B, int ldb, double beta,
                                  double *C, int ldc);

/// Resolved by blas_loader.c after ff_blas_load() succeeds; NULL otherwise.
extern ff_cblas_sgemm_fn ff_blas_sgemm_ptr;
extern ff_cblas_dgemm_fn ff_blas_dgemm_ptr;

/// Guards the BLAS library's process-wide thread count. A product that needs one BLAS thread lowers
/// the count for its duration; while it does, no other BLAS call may start (it would run, and round,
/// with the wrong count) and no new count may be set (the restore would undo it). Taken around BLAS
/// calls only while the configured count is above one, so single-threaded callers never wait.
extern pthread_mutex_t ff_blas_threads_lock;

/// ff_blas_set_threads for a caller that holds ff_blas_threads_lock.
int ff_blas_set_threads_locked(int threads);

/// The count last set through ff_blas_set_threads (not a temporary lowering), or 0 when none was set.
int ff_blas_configured_threads(void);

/// Times one mid-size single-thread SGEMM on the loaded BLAS and on the built-in kernel (best of a
/// few interleaved runs, by the calling thread's CPU time) and stores their rates in GFLOP/s. A few
/// milliseconds; for the BLAS route.
void ff_gemm_calibrate(double *blas_rate, double *builtin_rate);

#endif
