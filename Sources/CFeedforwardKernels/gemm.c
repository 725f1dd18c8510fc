// Built-in GEMM (packed, cache-blocked, register-blocked; see gemm_template.h) and the
// ff_sgemm / ff_dgemm dispatch between it and the run-time BLAS.
#include "CFeedforwardKernels.h"
#include "ff_internal.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if FF_HAVE_X86_KERNELS
#include <immintrin.h>
#endif

/// Products of at most this many multiply-adds run the plain triple loop.
#define FF_TINY_GEMM_MACS 64

/// Whether the AVX2 code (narrow path, register transposes) may run: the CPU has AVX2+FMA and the
/// portable variant is not forced.
static inline int ff_use_avx2(void) { return ff_kernel_variant_in_use() != FF_KERNEL_PORTABLE; }

/// Multiply-adds (M*N*K) below which the built-in kernel stays on one thread: starting and joining a
/// helper thread costs tens of microseconds, which only pays for products of about this size.
#define FF_GEMM_PARALLEL_MIN_MNK (96LL * 96 * 96)

/// How many threads (at most `limit`) the built-in kernel uses for an M x N x K product.
static int ff_gemm_thread_count(int limit, int64_t M, int64_t N, int64_t K, int mr, int nr) {
    int t = limit;
    if (t <= 1) return 1;
    const double mnk = (double)M * (double)N * (double)K;
    if (mnk < (double)FF_GEMM_PARALLEL_MIN_MNK) return 1;
    // Give each thread at least a quarter of the minimum amount of work.
    int64_t by_work = (int64_t)(mnk / (FF_GEMM_PARALLEL_MIN_MNK / 4));
    if (by_work < t) t = (int)by_work;
    int64_t by_shape = (N / nr > M / mr) ? N / nr : M / mr;
    if (by_shape < t) t = (int)by_shape;
    return t < 1 ? 1 : t;
}

// ---------------------------------------------------------------------------------------------
// Packing space: one 64-byte aligned buffer per calling thread, kept between calls and freed when
// the thread exits. Helper threads of a call get slices of their caller's buffer.
// ---------------------------------------------------------------------------------------------

typedef struct {
    void *ptr;
    size_t cap;
} pack_buffer;

static pthread_key_t pack_key;
static pthread_once_t pack_once = PTHREAD_ONCE_INIT;
static int pack_key_ok = 0;

static void pack_buffer_free(void *p) {
    pack_buffer *b = (pack_buffer *)p;
    if (b) {
        free(b->ptr);
        free(b);
    }
}

static void pack_key_make(void) { pack_key_ok = pthread_key_create(&pack_key, pack_buffer_free) == 0; }

/// Buffers above this size are not kept between calls.
#define FF_PACK_KEEP_MAX ((size_t)32 << 20)

/// Returns at least `bytes` of 64-byte aligned space owned by the calling thread, or NULL.
/// Valid until the thread's next call; buffers over FF_PACK_KEEP_MAX are reused too but trimmed later.
static void *ff_pack_space(size_t bytes) {
    pthread_once(&pack_once, pack_key_make);
    if (!pack_key_ok) return NULL;
    pack_buffer *b = (pack_buffer *)pthread_getspecific(pack_key);
    if (!b) {
        b = (pack_buffer *)calloc(1, sizeof *b);
        if (!b) return NULL;
        if (pthread_setspecific(pack_key, b) != 0) {
            free(b);
            return NULL;
        }
    }
    if (b->cap < bytes || (b->cap > FF_PACK_KEEP_MAX && bytes <= FF_PACK_KEEP_MAX)) {
        free(b->ptr);
        b->ptr = NULL;
        b->cap = 0;
        size_t want = bytes < 4096 ? 4096 : bytes;
        void *p = NULL;
        if (posix_memalign(&p, 64, want) != 0) return NULL;
        b->ptr = p;
        b->cap = want;
    }
    return b->ptr;
}

// ---------------------------------------------------------------------------------------------
// AVX2 + FMA helpers (the narrow-product tiles and the register transposes of packing). Compiled for
// those instructions by function attribute only, and called only after the run-time CPU check.
// ---------------------------------------------------------------------------------------------

#if FF_HAVE_X86_KERNELS
#define FF_AVX2 __attribute__((target("avx2,fma")))

/// The narrow-N tile: rows a[0..5] of A times columns b0, b1 of B, each stored as K contiguous floats
/// (a column of B as a row of Bᵀ). 12 accumulators of 8 lanes along K, reduced once at the end; the
/// last K % 8 values are read with a masked load. out[r][c] = a[r] · b_c.
FF_AVX2 static void narrow_tile_avx2_f32(int64_t K, const float *const a[6], const float *b0, const float *b1,
                                         float out[6][2]) {
    __m256 acc[6][2];
    for (int r = 0; r < 6; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 8 <= K; p += 8) {
        const __m256 v0 = _mm256_loadu_ps(b0 + p), v1 = _mm256_loadu_ps(b1 + p);
        for (int r = 0; r < 6; r++) {
            const __m256 av = _mm256_loadu_ps(a[r] + p);
            acc[r][0] = _mm256_fmadd_ps(av, v0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, v1, acc[r][1]);
        }
    }
    if (p < K) {
        const int rest = (int)(K - p);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rest), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        const __m256 v0 = _mm256_maskload_ps(b0 + p, mask), v1 = _mm256_maskload_ps(b1 + p, mask);
        for (int r = 0; r < 6; r++) {
            const __m256 av = _mm256_maskload_ps(a[r] + p, mask);
            acc[r][0] = _mm256_fmadd_ps(av, v0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, v1, acc[r][1]);
        }
    }
    // Two rows at a time: hadd twice gives [x, y, u, v] partial sums in each 128-bit half, where
    // x, y are row r's dot products with b0, b1 and u, v row r + 1's; adding the halves finishes them.
    for (int r = 0; r < 6; r += 2) {
        const __m256 h0 = _mm256_hadd_ps(acc[r][0], acc[r][1]);
        const __m256 h1 = _mm256_hadd_ps(acc[r + 1][0], acc[r + 1][1]);
        const __m256 g = _mm256_hadd_ps(h0, h1);
        _mm_storeu_ps(&out[r][0], _mm_add_ps(_mm256_castps256_ps128(g), _mm256_extractf128_ps(g, 1)));
    }
}

/// The narrow tile for Aᵀ·B: 16 rows of C (two vectors along M, read from row k of A as stored) by
/// five columns of B (broadcasts of B[k][col[c]]). out[c][i] = sum over k of A[k][i] * B[k][col[c]];
/// lanes from `rows` on are masked off in the loads of A.
FF_AVX2 static void narrow_tn_tile_avx2_f32(int64_t K, const float *a, int64_t lda, int rows, const float *b,
                                            int64_t ldb, const int64_t col[5], float out[5][16]) {
    __m256 acc[2][5];
    for (int c = 0; c < 5; c++) acc[0][c] = acc[1][c] = _mm256_setzero_ps();
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(rows), lane);
    const __m256i mask1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(rows - 8), lane);
#define FF_TN_LOOP(LOAD0, LOAD1)                                                        \
    for (int64_t p = 0; p < K; p++) {                                                   \
        const float *ar = a + p * lda, *br = b + p * ldb;                               \
        const __m256 a0 = (LOAD0), a1 = (LOAD1);                                        \
        for (int c = 0; c < 5; c++) {                                                   \
            const __m256 bv = _mm256_broadcast_ss(br + col[c]);                         \
            acc[0][c] = _mm256_fmadd_ps(a0, bv, acc[0][c]);                             \
            acc[1][c] = _mm256_fmadd_ps(a1, bv, acc[1][c]);                             \
        }                                                                               \
    }
    if (rows == 16) {
        FF_TN_LOOP(_mm256_loadu_ps(ar), _mm256_loadu_ps(ar + 8))
    } else {
        FF_TN_LOOP(_mm256_maskload_ps(ar, mask0), _mm256_maskload_ps(ar + 8, mask1))
    }
#undef FF_TN_LOOP
    for (int c = 0; c < 5; c++) {
        _mm256_storeu_ps(&out[c][0], acc[0][c]);
        _mm256_storeu_ps(&out[c][8], acc[1][c]);
    }
}

/// The AVX-512 narrow tile for Aᵀ·B: 32 rows of C (two 16-lane vectors along M) by five columns of B,
/// otherwise as narrow_tn_tile_avx2_f32 (and with its bits: each lane sums over k in the same order with
/// fused multiply-adds). Lanes from `rows` on are masked off in the loads of A.
__attribute__((target("avx512f,avx2,fma"))) static void narrow_tn_tile_avx512_f32(
    int64_t K, const float *a, int64_t lda, int rows, const float *b, int64_t ldb, const int64_t col[5],
    float out[5][32]) {
    __m512 acc[2][5];
    for (int c = 0; c < 5; c++) acc[0][c] = acc[1][c] = _mm512_setzero_ps();
    const __mmask16 mask0 = rows >= 16 ? 0xFFFF : (__mmask16)((1u << rows) - 1);
    const __mmask16 mask1 = rows >= 32 ? 0xFFFF : rows > 16 ? (__mmask16)((1u << (rows - 16)) - 1) : 0;
    for (int64_t p = 0; p < K; p++) {
        const float *ar = a + p * lda, *br = b + p * ldb;
        const __m512 a0 = _mm512_maskz_loadu_ps(mask0, ar), a1 = _mm512_maskz_loadu_ps(mask1, ar + 16);
        for (int c = 0; c < 5; c++) {
            const __m512 bv = _mm512_set1_ps(br[col[c]]);
            acc[0][c] = _mm512_fmadd_ps(a0, bv, acc[0][c]);
            acc[1][c] = _mm512_fmadd_ps(a1, bv, acc[1][c]);
        }
    }
    for (int c = 0; c < 5; c++) {
        _mm512_storeu_ps(&out[c][0], acc[0][c]);
        _mm512_storeu_ps(&out[c][16], acc[1][c]);
    }
}

/// Packing op(B) = Bᵀ: dst[p * ldd + j] = src[j * lds + p] for an 8 x 8 block, transposed in registers.
FF_AVX2 static void transpose_block_avx_f32(const float *src, int64_t lds, float *dst, int64_t ldd) {
    const __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + lds);
    const __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    const __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    const __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    // Within each 128-bit half: pairs of rows interleaved, then four-row columns.
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    // Columns p and p + 4 sit in the low and high halves of s(p) (rows 0-3) and s(p+4) (rows 4-7).
    _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(s3, s7, 0x31));
}

/// Packing op(B) = Bᵀ: dst[p * ldd + j] = src[j * lds + p] for a 4 x 4 block, transposed in registers.
FF_AVX2 static void transpose_block_avx_f64(const double *src, int64_t lds, double *dst, int64_t ldd) {
    const __m256d r0 = _mm256_loadu_pd(src), r1 = _mm256_loadu_pd(src + lds);
    const __m256d r2 = _mm256_loadu_pd(src + 2 * lds), r3 = _mm256_loadu_pd(src + 3 * lds);
    const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    _mm256_storeu_pd(dst + 0 * ldd, _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm256_storeu_pd(dst + 1 * ldd, _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm256_storeu_pd(dst + 2 * ldd, _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm256_storeu_pd(dst + 3 * ldd, _mm256_permute2f128_pd(t1, t3, 0x31));
}
#endif

// ---------------------------------------------------------------------------------------------
// Instantiations: per element type, the type-level helpers, then one built-in GEMM per kernel variant.
// AVX2 and portable tiles, for a core with 32 KiB L1d and 512 KiB L2 (Zen 2, Haswell-class):
// KC x NR panel of B: 256 * 16 * 4 = 16 KiB (float), 256 * 8 * 8 = 16 KiB (double);
// MC x KC block of A: 144 * 256 * 4 = 144 KiB (float), 72 * 256 * 8 = 144 KiB (double).
// The AVX-512 tiles (12 x 32 float, 12 x 16 double: 24 accumulators of the 32 vector registers)
// keep the same KC, so their sums are the AVX2 kernel's bit for bit; their B panel fills a 32 KiB L1d
// and their A block (144 * 256 * 4 = 144 KiB float, 144 * 256 * 8 = 288 KiB double) an L2 of 1 MiB+.
// ---------------------------------------------------------------------------------------------

#define FF_AVX512 __attribute__((target("avx512f,avx2,fma")))

#define FT float
#define TN(x) x##_f32
#define FF_TBLOCK 8
#include "gemm_type_template.h"
#define KC 256
#define NC 2048
// Portable and AVX2: 6 x 16 tile of 8-lane vectors.
#define VL 8
#define MR 6
#define NR 16
#define MC 144
#define FN(x) x##_f32_portable
#define FF_TARGET
#define FF_FUSED 0
#define FF_TRANSPOSE 0
#include "gemm_template.h"
#undef FN
#undef FF_TARGET
#undef FF_FUSED
#undef FF_TRANSPOSE
#if FF_HAVE_X86_KERNELS
#define FF_FUSED 1
#define FF_TRANSPOSE 1
#define FN(x) x##_f32_avx2
#define FF_TARGET FF_AVX2
#include "gemm_template.h"
#undef FN
#undef FF_TARGET
#undef VL
#undef MR
#undef NR
#undef MC
// AVX-512, and the same code compiled for AVX2: 12 x 32 tile of 16-lane vectors.
#define VL 16
#define MR 12
#define NR 32
#define MC 144
#define FN(x) x##_f32_avx512
#define FF_TARGET FF_AVX512
#include "gemm_template.h"
#undef FN
#undef FF_TARGET
#define FN(x) x##_f32_wide_avx2
#define FF_TARGET FF_AVX2
#include "gemm_template.h"
#undef FN
#undef FF_TARGET
#undef FF_FUSED
#undef FF_TRANSPOSE
#endif
#undef VL
#undef MR
#undef NR
#undef MC
#undef KC
#undef NC
#undef FT
#undef TN
#undef FF_TBLOCK

#define FT double
#define TN(x) x##_f64
#define FF_TBLOCK 4
#include "gemm_type_template.h"
#define KC 256
#define NC 2048
// Portable and AVX2: 6 x 8 tile of 4-lane vectors.
#define VL 4
#define MR 6
#define NR 8
#define MC 72
#define FN(x) x##_f64_portable
#define FF_TARGET
#define FF_FUSED 0
#define FF_TRANSPOSE 0
#include "gemm_template.h"
#undef FN
#undef FF_TARGET
#undef FF_FUSED
#undef FF_TRANSPOSE
#if FF_HAVE_X86_KERNELS
#define FF_FUSED 1
#define FF_TRANSPOSE 1
#define FN(x) x##_f64_avx2
#define FF_TARGET FF_AVX2
#include "gemm_template.h"
#undef FN
#undef FF_TARGET
#undef VL
#undef MR
#undef NR
#undef MC
// AVX-512, and the same code compiled for AVX2: 12 x 16 tile of 8-lane vectors.
#define VL 8
#define MR 12
#define NR 16
#define MC 144
#define FN(x) x##_f64_avx512
#define FF_TARGET FF_AVX512
#include "gemm_template.h"
#undef FN
#undef FF_TARGET
#define FN(x) x##_f64_wide_avx2
#define FF_TARGET FF_AVX2
#include "gemm_template.h"
#undef FN
#undef FF_TARGET
#undef FF_FUSED
#undef FF_TRANSPOSE
#endif
#undef VL
#undef MR
#undef NR
#undef MC
#undef KC
#undef NC
#undef FT
#undef TN
#undef FF_TBLOCK

/// The built-in GEMM of one element type: trivial cases, tiny products on the plain loop, the rest on
/// the kernel variant in use, with at most `max_threads` threads.
#if FF_HAVE_X86_KERNELS
#define FF_VARIANT_CASES(S, ...)                                                                    \
    case FF_KERNEL_AVX512: gemm_builtin_##S##_avx512(__VA_ARGS__); return;                          \
    case FF_KERNEL_AVX2: gemm_builtin_##S##_avx2(__VA_ARGS__); return;                              \
    case FF_KERNEL_WIDE_TILE_AVX2: gemm_builtin_##S##_wide_avx2(__VA_ARGS__); return;
#else
#define FF_VARIANT_CASES(S, ...)
#endif
#define FF_DEFINE_BUILTIN(S, FT)                                                                    \
    static void gemm_builtin_##S(int max_threads, int transA, int transB, int64_t M, int64_t N,    \
                                 int64_t K, FT alpha, const FT *A, int64_t lda, const FT *B,        \
                                 int64_t ldb, FT beta, FT *C, int64_t ldc) {                       \
        if (M <= 0 || N <= 0) return;                                                              \
        if (K <= 0 || alpha == (FT)0) {                                                            \
            scale_c_##S(M, N, beta, C, ldc);                                                       \
            return;                                                                                \
        }                                                                                          \
        /* A tiny product (a 2-2-1 network's layers): packing would cost more than the arithmetic. */ \
        if (M * N * K <= FF_TINY_GEMM_MACS) {                                                      \
            gemm_naive_##S(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);          \
            return;                                                                                \
        }                                                                                          \
        switch (ff_kernel_variant_in_use()) {                                                      \
            FF_VARIANT_CASES(S, max_threads, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) \
        case FF_KERNEL_PORTABLE: break;                                                            \
        }                                                                                          \
        gemm_builtin_##S##_portable(max_threads, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc); \
    }
FF_DEFINE_BUILTIN(f32, float)
FF_DEFINE_BUILTIN(f64, double)
#undef FF_DEFINE_BUILTIN
#undef FF_VARIANT_CASES

// ---------------------------------------------------------------------------------------------
// Narrow products (float, AVX2): C = alpha * op(A) * op(B) + beta * C with few columns. The packed
// kernel's 16-wide tile leaves most lanes idle at N = 10. With A not transposed the lanes run along K
// instead: each C[i][j] is the dot product of row i of A with column j of op(B), and those columns are
// the rows of Bᵀ (B itself when stored transposed, else a small transposed copy). For Aᵀ·B they run
// along M, over the rows of A as stored, times broadcasts of B. A is read in place, without packing.
// ---------------------------------------------------------------------------------------------

/// Widest product (N) and shortest inner dimension (K) that take the narrow path. Measured with a C
/// harness beside Debian's OpenBLAS 0.3.21 on one Zen 3 core at M = 128: at K = 256 the narrow path ran
/// 1.5-2x faster than OpenBLAS and the packed kernel for every N from 1 to 16, and lost to the packed
/// kernel from N = 17 on; below K = 64 the end-of-tile reductions cost more than they save. For Aᵀ·B
/// (256x128·128xN) it ran 1.0-2.5x as fast as both OpenBLAS builds for N up to 15, and 0.8x at N = 16.
#define FF_NARROW_MAX_N 16
#define FF_NARROW_TN_MAX_N 15
#define FF_NARROW_MIN_K 64

#if FF_HAVE_X86_KERNELS
typedef struct {
    int transA;
    int64_t M, N, K;
    float alpha, beta;
    const float *A, *Bt;  // Bt: Bᵀ (N x K) for A x Bᵀ; B itself (K x N) for Aᵀ·B
    float *C;
    int64_t lda, ldbt, ldc;
} narrow_job;

/// C[r][c] = alpha * value + beta * C[r][c] (beta == 0: C's old value is not read).
static inline void narrow_store(float *dst, float value, float alpha, float beta) {
    const float v = alpha * value;
    *dst = beta == 0.0f ? v : beta * *dst + v;
}

/// Rows of C per tile of the Aᵀ·B narrow path: 32 with AVX-512, 16 with AVX2.
static int narrow_tn_tile_rows(void) { return ff_kernel_variant_in_use() == FF_KERNEL_AVX512 ? 32 : 16; }

/// Runs one job's rows of an Aᵀ·B product in 32 x 5 (AVX-512) or 16 x 5 tiles; edge tiles repeat their
/// last column and store only the valid part.
static void narrow_tn_rows(const narrow_job *j) {
    const int tile = narrow_tn_tile_rows();
    for (int64_t i = 0; i < j->M; i += tile) {
        const int rows = j->M - i < tile ? (int)(j->M - i) : tile;
        for (int64_t c = 0; c < j->N; c += 5) {
            const int cols = j->N - c < 5 ? (int)(j->N - c) : 5;
            int64_t col[5];
            for (int q = 0; q < 5; q++) col[q] = c + (q < cols ? q : cols - 1);
            float out[5][32];
            if (tile == 32) {
                narrow_tn_tile_avx512_f32(j->K, j->A + i, j->lda, rows, j->Bt, j->ldbt, col, out);
            } else {
                float narrow[5][16];
                narrow_tn_tile_avx2_f32(j->K, j->A + i, j->lda, rows, j->Bt, j->ldbt, col, narrow);
                for (int q = 0; q < 5; q++)
                    for (int r = 0; r < 16; r++) out[q][r] = narrow[q][r];
            }
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < cols; q++) narrow_store(j->C + (i + r) * j->ldc + c + q, out[q][r], j->alpha, j->beta);
        }
    }
}

/// Runs one job's rows in 6 x 2 tiles (16 x 5 for Aᵀ·B); edge tiles repeat their last row or column
/// and store only the valid part.
static void *narrow_job_run(void *arg) {
    const narrow_job *j = (const narrow_job *)arg;
    if (j->transA) {
        narrow_tn_rows(j);
        return NULL;
    }
    for (int64_t i = 0; i < j->M; i += 6) {
        const int rows = j->M - i < 6 ? (int)(j->M - i) : 6;
        const float *a[6];
        for (int r = 0; r < 6; r++) a[r] = j->A + (i + (r < rows ? r : rows - 1)) * j->lda;
        for (int64_t c = 0; c < j->N; c += 2) {
            const int cols = j->N - c < 2 ? 1 : 2;
            float out[6][2];
            narrow_tile_avx2_f32(j->K, a, j->Bt + c * j->ldbt, j->Bt + (c + cols - 1) * j->ldbt, out);
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < cols; q++) narrow_store(j->C + (i + r) * j->ldc + c + q, out[r][q], j->alpha, j->beta);
        }
    }
    return NULL;
}

/// Whether gemm_narrow_f32 runs the product (without AVX2 the packed kernel takes every shape).
static int narrow_applies(int transA, int transB, int64_t N, int64_t K, float alpha) {
    if (transA && transB) return 0;
    return N <= (transA ? FF_NARROW_TN_MAX_N : FF_NARROW_MAX_N) && K >= FF_NARROW_MIN_K && alpha != 0.0f
        && ff_use_avx2();
}

/// The narrow path (only where narrow_applies); rows of C are split over the built-in kernel's threads.
static void gemm_narrow_f32(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                            int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    const float *Bt = B;
    int64_t ldbt = ldb;
    if (!transA && !transB) {
        float *packed = (float *)ff_pack_space((size_t)(N * K) * sizeof(float));
        if (!packed) {
            gemm_builtin_f32(ff_builtin_threads(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            return;
        }
        for (int64_t j = 0; j < N; j++)
            for (int64_t p = 0; p < K; p++) packed[j * K + p] = B[p * ldb + j];
        Bt = packed;
        ldbt = K;
    }
    const int64_t unit = transA ? narrow_tn_tile_rows() : 6;  // rows of C per tile
    int threads = ff_gemm_thread_count(ff_builtin_threads(), M, N, K, (int)unit, (int)N);
    narrow_job jobs[FF_MAX_THREADS];
    const int64_t units = (M + unit - 1) / unit;
    for (int t = 0; t < threads; t++) {
        const int64_t lo = units * t / threads * unit;
        int64_t hi = units * (t + 1) / threads * unit;
        if (hi > M) hi = M;
        jobs[t] = (narrow_job){.transA = transA, .M = hi - lo, .N = N, .K = K, .alpha = alpha, .beta = beta,
                               .A = transA ? A + lo : A + lo * lda, .Bt = Bt, .C = C + lo * ldc,
                               .lda = lda, .ldbt = ldbt, .ldc = ldc};
    }
    ff_run_parallel(threads, narrow_job_run, jobs, sizeof(narrow_job));
}
#endif

// ---------------------------------------------------------------------------------------------
// Dispatch.
// ---------------------------------------------------------------------------------------------

/// Whether CBLAS can take these arguments: 32-bit sizes and leading dimensions no smaller than the
/// minimum the reference implementation accepts (smaller ones are legal for us, e.g. with N == 1).
static int blas_accepts(int transA, int transB, int64_t M, int64_t N, int64_t K, int64_t lda,
                        int64_t ldb, int64_t ldc) {
    if (M > INT_MAX || N > INT_MAX || K > INT_MAX || lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX) return 0;
    const int64_t minA = transA ? M : K, minB = transB ? K : N;
    if (lda < (minA > 1 ? minA : 1) || ldb < (minB > 1 ? minB : 1) || ldc < (N > 1 ? N : 1)) return 0;
    return 1;
}

/// Smallest M, N or K that a multi-threaded BLAS gets as is. Measured with `feedforward-bench gemm`
/// (Debian OpenBLAS 0.3.21, 2 cores): products with an output dimension of 10 run 2x slower on two
/// OpenBLAS threads than on one, so below this they run on one BLAS thread (or the built-in kernel).
#define FF_AUTO_SMALL_DIM 32

int ff_gemm_auto_prefers_builtin(int64_t M, int64_t N, int64_t K) {
    (void)M; (void)N;
    // A short inner dimension (e.g. dY . W^T of a 10-output layer): the built-in kernel's packing
    // overhead is small and it beat OpenBLAS on one and two threads.
    return K < FF_AUTO_SMALL_DIM;
}

/// Float Aᵀ·B products (weight gradients Xᵀ·dY) with no small dimension. Measured by CPU time,
/// interleaved, on one Zen 3 core (784x128·128x256, 256x128·128x256): the built-in kernel ran 5-10%
/// faster than Debian's OpenBLAS 0.3.21 and level with NumPy's bundled OpenBLAS 0.3.31. On two threads
/// (compare_gemm.py, three runs on a shared machine) it reached 130-137 GFLOP/s on 784x128·128x256
/// against 78-116 for OpenBLAS 0.3.21's own two threads.
static int auto_prefers_builtin_f32(int transA, int transB, int64_t M, int64_t N, int64_t K) {
    return transA && !transB && M >= FF_AUTO_SMALL_DIM && N >= FF_AUTO_SMALL_DIM && K >= FF_AUTO_SMALL_DIM;
}

typedef enum { ROUTE_BUILTIN, ROUTE_BLAS, ROUTE_BLAS_ONE_THREAD } gemm_route;

static gemm_route choose_route(ff_gemm_backend backend, int transA, int transB, int64_t M, int64_t N,
                               int64_t K, int64_t lda, int64_t ldb, int64_t ldc) {
    if (backend == FF_GEMM_BUILTIN || K <= 0 || !ff_blas_load()) return ROUTE_BUILTIN;
    if (!blas_accepts(transA, transB, M, N, K, lda, ldb, ldc)) return ROUTE_BUILTIN;
    if (backend == FF_GEMM_BLAS) return ROUTE_BLAS;
    if (!ff_blas_route_uses_blas(ff_blas_route())) return ROUTE_BUILTIN;
    if (ff_gemm_auto_prefers_builtin(M, N, K)) return ROUTE_BUILTIN;
    if (M < FF_AUTO_SMALL_DIM || N < FF_AUTO_SMALL_DIM) return ROUTE_BLAS_ONE_THREAD;
    return ROUTE_BLAS;
}

/// The BLAS thread count is process-wide and rounding depends on it, so lowering it for one call
/// must not overlap other BLAS calls: under ff_blas_threads_lock (see ff_internal.h) while the
/// configured count is above one. Without it, concurrent inference on one model could differ in
/// the last bits from a serial run, and a concurrent ComputeEnvironment.threadCount could be undone.
#define FF_CALL_BLAS(fn, route)                                                                     \
    do {                                                                                            \
        const int configured = ff_blas_configured_threads();                                        \
        const int locked = configured != 1;  /* 0: never set, the library default may be above 1 */ \
        if (locked) pthread_mutex_lock(&ff_blas_threads_lock);                                      \
        /* openblas_set_num_threads only stores a count when lowering it: ~10 ns a toggle here. */ \
        const int prev = (route) == ROUTE_BLAS_ONE_THREAD && locked ? ff_blas_threads() : 1;       \
        if (prev > 1) ff_blas_set_threads_locked(1);                                                \
        fn(FF_CBLAS_ROW_MAJOR, transA ? FF_CBLAS_TRANS : FF_CBLAS_NO_TRANS,                         \
           transB ? FF_CBLAS_TRANS : FF_CBLAS_NO_TRANS, (int)M, (int)N, (int)K, alpha, A, (int)lda, \
           B, (int)ldb, beta, C, (int)ldc);                                                         \
        if (prev > 1) ff_blas_set_threads_locked(prev);                                             \
        if (locked) pthread_mutex_unlock(&ff_blas_threads_lock);                                    \
    } while (0)

/// Seconds of the calling thread's CPU time (it runs the single-thread products being timed, and
/// unlike the wall clock this does not count time spent preempted by other processes).
static double thread_seconds(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/// The calibration product: 192 x 192 x 192 (7 M multiply-adds, 0.1-0.7 ms on one core).
#define FF_CALIBRATION_SIZE 192
#define FF_CALIBRATION_RUNS 4

void ff_gemm_calibrate(double *blas_rate, double *builtin_rate) {
    *blas_rate = *builtin_rate = 0;
    const int64_t n = FF_CALIBRATION_SIZE;
    float *a = (float *)malloc((size_t)(3 * n * n) * sizeof(float));
    if (!a || !ff_blas_load()) {
        free(a);
        return;
    }
    float *b = a + n * n, *c = b + n * n;
    for (int64_t i = 0; i < n * n; i++) {
        a[i] = (float)(i % 13) * 0.25f - 1.5f;
        b[i] = (float)(i % 7) * 0.5f - 1.5f;
    }
    pthread_mutex_lock(&ff_blas_threads_lock);
    const int previous = ff_blas_threads();
    ff_blas_set_threads_locked(1);
    double best_blas = 1e30, best_builtin = 1e30;
    // Run 0 warms caches and packing space up and is not counted.
    for (int run = 0; run <= FF_CALIBRATION_RUNS; run++) {
        double t0 = thread_seconds();
        ff_blas_sgemm_ptr(FF_CBLAS_ROW_MAJOR, FF_CBLAS_NO_TRANS, FF_CBLAS_NO_TRANS, (int)n, (int)n, (int)n, 1.0f,
                          a, (int)n, b, (int)n, 0.0f, c, (int)n);
        double t1 = thread_seconds();
        gemm_builtin_f32(1, 0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double t2 = thread_seconds();
        if (run > 0) {
            if (t1 - t0 < best_blas) best_blas = t1 - t0;
            if (t2 - t1 < best_builtin) best_builtin = t2 - t1;
        }
    }
    if (previous > 1) ff_blas_set_threads_locked(previous);
    pthread_mutex_unlock(&ff_blas_threads_lock);
    free(a);
    const double flops = 2.0 * (double)(n * n * n);
    *blas_rate = best_blas > 0 ? flops / best_blas * 1e-9 : 0;
    *builtin_rate = best_builtin > 0 ? flops / best_builtin * 1e-9 : 0;
}

void ff_sgemm(ff_gemm_backend backend, int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
              const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
#if FF_HAVE_X86_KERNELS
    if (backend != FF_GEMM_BLAS && narrow_applies(transA, transB, N, K, alpha)) {
        gemm_narrow_f32(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#endif
    gemm_route route = choose_route(backend, transA, transB, M, N, K, lda, ldb, ldc);
    if (backend == FF_GEMM_AUTO && auto_prefers_builtin_f32(transA, transB, M, N, K)) route = ROUTE_BUILTIN;
    if (route == ROUTE_BUILTIN)
        gemm_builtin_f32(ff_builtin_threads(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        FF_CALL_BLAS(ff_blas_sgemm_ptr, route);
}

void ff_dgemm(ff_gemm_backend backend, int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha,
              const double *A, int64_t lda, const double *B, int64_t ldb, double beta, double *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    const gemm_route route = choose_route(backend, transA, transB, M, N, K, lda, ldb, ldc);
    if (route == ROUTE_BUILTIN)
        gemm_builtin_f64(ff_builtin_threads(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        FF_CALL_BLAS(ff_blas_dgemm_ptr, route);
}
