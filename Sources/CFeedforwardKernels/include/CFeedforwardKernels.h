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
    FF_GEMM_AUTO = 0,     ///< the loaded BLAS if the route uses it (ff_blas_route), else the built-in kernel; products with a small
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
// Built-in kernel variants, chosen at run time from the CPU's vector instructions.
// ---------------------------------------------------------------------------

/// A variant of the built-in GEMM: one micro-kernel source, instantiated per target with its own tile
/// (and packing to match). Numbered from narrowest to widest, except the test variant at the end.
typedef enum {
    FF_KERNEL_PORTABLE = 0,        ///< plain C vectors for the baseline target (6 x 16 float, 6 x 8 double tiles)
    FF_KERNEL_AVX2 = 1,            ///< AVX2+FMA, 256-bit vectors, same tiles as portable
    FF_KERNEL_AVX512 = 2,          ///< AVX-512F, 512-bit vectors (12 x 32 float, 12 x 16 double tiles)
    FF_KERNEL_WIDE_TILE_AVX2 = 3,  ///< the AVX-512 tile and 512-bit vector code compiled for AVX2+FMA:
                                   ///< never chosen automatically; lets an AVX2 machine test the wide tile
} ff_kernel_variant;

/// The widest variant this CPU runs (what the built-in kernel uses unless one is forced).
ff_kernel_variant ff_cpu_widest_kernel_variant(void);
/// 1 when this CPU can run `variant`.
int ff_kernel_variant_supported(ff_kernel_variant variant);
/// Forces `variant` (for tests and benchmarks), or with -1 restores the automatic choice. Returns 0, and
/// changes nothing, when the CPU cannot run it.
int ff_force_kernel_variant(int variant);
/// The variant the built-in kernel runs now.
ff_kernel_variant ff_kernel_variant_in_use(void);
/// Width in bits of the vector instructions a variant is compiled for (0 for portable: the baseline's).
int ff_kernel_variant_vector_bits(ff_kernel_variant variant);
/// A short name of a variant ("portable", "avx2", "avx512", "avx512-tile-on-avx2").
const char *ff_kernel_variant_name(ff_kernel_variant variant);
/// The CPU's model name (brand string), or "unknown CPU".
const char *ff_cpu_model_name(void);

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

/// What the loaded library says it is: "OpenBLAS", "BLIS", "Accelerate" or "CBLAS" (unidentified);
/// NULL when no BLAS is loaded.
const char *ff_blas_vendor(void);
/// The library's version where it reports one (OpenBLAS: from openblas_get_config), else ""; NULL
/// when no BLAS is loaded.
const char *ff_blas_version(void);
/// OpenBLAS's build configuration (openblas_get_config), else ""; NULL when no BLAS is loaded.
const char *ff_blas_config(void);
/// OpenBLAS's kernel set for this CPU (openblas_get_corename, e.g. "Haswell", "Prescott"), else "";
/// NULL when no BLAS is loaded.
const char *ff_blas_core(void);
/// 1 when FEEDFORWARD_BLAS named the loaded library.
int ff_blas_chosen_by_environment(void);
/// 1 when FEEDFORWARD_BLAS is "none", "off" or "0".
int ff_blas_disabled_by_environment(void);

// ---------------------------------------------------------------------------
// The BLAS route: whether FF_GEMM_AUTO uses the loaded BLAS at all (decided once).
// ---------------------------------------------------------------------------

/// How a BLAS library's kernels compare with the CPU's widest vector instructions.
typedef enum {
    FF_BLAS_CORE_MATCHES = 0,   ///< kernels for this CPU's widest vectors (or wider)
    FF_BLAS_CORE_NARROWER = 1,  ///< kernels for narrower vectors (e.g. Haswell's AVX2 on an AVX-512 CPU)
    FF_BLAS_CORE_GENERIC = 2,   ///< a generic SSE fallback (e.g. Prescott) on a CPU with AVX2 or AVX-512
    FF_BLAS_CORE_UNKNOWN = 3,   ///< not an OpenBLAS core this table knows, or not OpenBLAS
} ff_blas_core_class;

/// Classifies an OpenBLAS core name (openblas_get_corename; NULL or "" for other libraries) against the
/// widest built-in kernel variant of a CPU. A pure function, for the route and its tests.
ff_blas_core_class ff_blas_classify_core(const char *core, ff_kernel_variant cpu_widest);
/// 1 when a library with a core of this class is timed against the built-in kernel (every class but
/// the generic one, which is never used on a CPU with AVX2 or wider).
int ff_blas_core_needs_calibration(ff_blas_core_class core_class);

/// Why the automatic backend does or does not use the loaded BLAS.
typedef enum {
    FF_BLAS_ROUTE_NONE_LOADED = 0,       ///< no BLAS library found: built-in kernel only
    FF_BLAS_ROUTE_DISABLED = 1,          ///< FEEDFORWARD_BLAS=none: built-in kernel only
    FF_BLAS_ROUTE_CHOSEN = 2,            ///< FEEDFORWARD_BLAS named the library: used as chosen
    FF_BLAS_ROUTE_GENERIC_CORE = 3,      ///< a generic fallback core on a CPU with AVX2 or wider: not used
    FF_BLAS_ROUTE_CALIBRATED_FASTER = 4, ///< timed at least FF_BLAS_CALIBRATION_MARGIN x the built-in kernel: used
    FF_BLAS_ROUTE_CALIBRATED_SLOWER = 5, ///< timed below that: not used
} ff_blas_route_reason;

/// How much faster than the built-in kernel a calibrated BLAS must run to be used.
#define FF_BLAS_CALIBRATION_MARGIN 1.15

/// The route's decision from its inputs (rates in GFLOP/s, consulted only for classes that need
/// calibration). A pure function, for the route and its tests.
ff_blas_route_reason ff_blas_route_decide(int loaded, int disabled, int chosen_by_environment,
                                          ff_blas_core_class core_class, double blas_rate, double builtin_rate);
/// 1 when the automatic backend uses BLAS under this decision.
int ff_blas_route_uses_blas(ff_blas_route_reason reason);
/// This process's decision: made on first call (loading BLAS and, where needed, calibrating).
ff_blas_route_reason ff_blas_route(void);
/// The calibration's single-thread SGEMM rates in GFLOP/s (0 when the decision needed none).
void ff_blas_route_calibration(double *blas_rate, double *builtin_rate);

/// 1 when FF_GEMM_AUTO runs every M x N x K product, of either type and operand layout, on the built-in
/// kernel even though a BLAS is loaded (a short inner dimension). ff_sgemm also takes it for the float
/// shapes listed at FF_GEMM_AUTO.
int ff_gemm_auto_prefers_builtin(int64_t M, int64_t N, int64_t K);

/// Threads the built-in kernel may use (1 by default; at least 1).
void ff_builtin_set_threads(int threads);
int ff_builtin_threads(void);

// ---------------------------------------------------------------------------
// Element-wise kernels (elementwise.c), compiled for AVX-512, AVX2 and the baseline and chosen like the
// GEMM's variant (ff_kernel_variant_in_use). Each gives the bits of the scalar formula it names.
// ---------------------------------------------------------------------------

/// The unary operations ff_unary_* runs (the rest stay in Swift).
typedef enum {
    FF_UNARY_NEGATE = 0,  ///< -x
    FF_UNARY_SQUARE = 1,  ///< x * x
    FF_UNARY_ABS = 2,     ///< |x|
    FF_UNARY_RELU = 3,    ///< x <= 0 ? 0 : x (NaN passes through)
    FF_UNARY_STEP = 4,    ///< x > 0 ? 1 : (x <= 0 ? 0 : x)
    FF_UNARY_SCALE = 5,   ///< x * p
    FF_UNARY_SHIFT = 6,   ///< x + p
} ff_unary_operation;

/// y[i] = op(x[i]) for i < n; returns 0 (writing nothing) when `op` is not an ff_unary_operation.
int ff_unary_f32(int op, const float *x, float *y, int64_t n, float p);
int ff_unary_f64(int op, const double *x, double *y, int64_t n, double p);

/// The binary operations ff_binary_row_* runs.
typedef enum {
    FF_BINARY_ADD = 0,
    FF_BINARY_SUBTRACT = 1,
    FF_BINARY_MULTIPLY = 2,
    FF_BINARY_DIVIDE = 3,
    FF_BINARY_PASS_WHERE_POSITIVE = 4,  ///< b > 0 ? a : (b <= 0 ? 0 : b), strides 1 and 1 only
} ff_binary_operation;

/// y[i] = a[i * sa] op b[i * sb] for i < n, with strides 0 (a broadcast scalar) or 1; returns 0
/// (writing nothing) for an operation or stride pair it does not run (division of a broadcast scalar
/// by a row, for one).
int ff_binary_row_f32(int op, const float *a, int64_t sa, const float *b, int64_t sb, float *y, int64_t n);
int ff_binary_row_f64(int op, const double *a, int64_t sa, const double *b, int64_t sb, double *y, int64_t n);

/// y[i] = x[i] + x[inner + i] + ... + x[(length - 1) * inner + i], summed in that order, for i < inner.
void ff_sum_rows_f32(const float *x, float *y, int64_t length, int64_t inner);
void ff_sum_rows_f64(const double *x, double *y, int64_t length, int64_t inner);

/// Row r of y (width floats) = row rows[r] of x (width bytes) as floats times scale (y = (float)x * scale),
/// for r < count; every rows[r] must be a row of x.
void ff_gather_bytes_to_floats(const uint8_t *x, int64_t width, const int64_t *rows, int64_t count, float *y,
                               float scale);

/// The update rule of an optimizer step.
typedef enum {
    FF_OPTIMIZER_SGD = 0,           ///< g += λθ; θ -= η g
    FF_OPTIMIZER_SGD_MOMENTUM = 1,  ///< g += λθ; m = μm + g; θ -= η m
    FF_OPTIMIZER_SGD_NESTEROV = 2,  ///< g += λθ; m = μm + g; θ -= η (g + μm)
    FF_OPTIMIZER_RMSPROP = 3,       ///< g += λθ; v = ρv + (1-ρ)g²; θ -= η g / (√v + ε)
    FF_OPTIMIZER_ADAM = 4,          ///< Adam with bias corrections c1, c2; AdamW's decay when decoupled
} ff_optimizer_kind;

/// One optimizer step's rule and hyperparameters (each converted to the element type before use, as
/// the Swift formulas convert them; correction1 and correction2 are Adam's 1 - β₁ᵗ and 1 - β₂ᵗ).
typedef struct {
    ff_optimizer_kind kind;
    double learning_rate, weight_decay, momentum, decay, epsilon, beta1, beta2, correction1, correction2;
    int decoupled;  ///< Adam: weight decay as AdamW's θ ← θ(1 - ηλ) instead of added to the gradient
} ff_optimizer_step;

/// Applies `step` in place to n parameters p with gradients g and state buffers m (momentum, Adam's
/// first moment) and v (RMSProp's and Adam's second moment), NULL where the rule has none. Large
/// tensors are split over the built-in kernels' threads; the bits do not depend on the split.
void ff_optimizer_step_f32(const ff_optimizer_step *step, float *p, const float *g, float *m, float *v, int64_t n);
void ff_optimizer_step_f64(const ff_optimizer_step *step, double *p, const double *g, double *m, double *v, int64_t n);

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

// ---------------------------------------------------------------------------
// Run-time Open MPI (dlopen of libmpi.so.40, then libmpi.so). The environment variable
// FEEDFORWARD_MPI names another library to load instead. Every call below except ff_mpi_load,
// ff_mpi_load_message and ff_mpi_library_version needs a successful ff_mpi_initialize first.
// Collectives run on MPI_COMM_WORLD; MPI errors are fatal (Open MPI's default handler aborts the job).
// ---------------------------------------------------------------------------

/// Result of loading the MPI library.
typedef enum {
    FF_MPI_LOADED = 0,
    FF_MPI_NOT_FOUND = 1,       ///< no library could be opened
    FF_MPI_NOT_OPEN_MPI = 2,    ///< the library is another MPI (its handles have another ABI)
    FF_MPI_MISSING_SYMBOL = 3,  ///< the library lacks a function or handle this shim needs
} ff_mpi_load_status;

/// Loads the library once (thread-safe).
ff_mpi_load_status ff_mpi_load(void);
/// Why loading failed (a sentence naming the library), or NULL when it is loaded.
const char *ff_mpi_load_message(void);
/// MPI_Get_library_version's text, or NULL when no library is loaded.
const char *ff_mpi_library_version(void);
/// MPI_Init_thread (MPI_THREAD_SERIALIZED) unless MPI is already initialised; MPI_Finalize then runs
/// at exit. Returns 0 on success, -1 when the library is not loaded, else MPI's error code.
int ff_mpi_initialize(void);
int ff_mpi_rank(void);
int ff_mpi_size(void);
/// In-place sums over all ranks (MPI_Allreduce with MPI_IN_PLACE and MPI_SUM); 0 on success.
int ff_mpi_allreduce_sum_float(float *buffer, size_t count);
int ff_mpi_allreduce_sum_double(double *buffer, size_t count);
/// Copies root's bytes into every rank's buffer (MPI_Bcast); 0 on success.
int ff_mpi_broadcast(void *buffer, size_t byte_count, int root);
int ff_mpi_barrier(void);
/// Ends every rank of the job with `code` (MPI_Abort); does not return.
void ff_mpi_abort(int code) __attribute__((noreturn));
/// Seconds this process has spent inside the allreduce calls above (waiting for other ranks included).
double ff_mpi_allreduce_seconds(void);

#ifdef __cplusplus
}
#endif

#endif
