// Type-generic part of the built-in GEMM, included by gemm.c once per element type with
//   FT    the element type (float / double)
//   FN(x) the name of x for that type (e.g. x##_f32)
//   MR, NR         the register block (micro-tile) of the micro-kernels
//   MC, KC, NC     the cache blocks: an MC x KC block of A stays in L2, a KC x NR panel of B in L1,
//                  a KC x NC block of B in L3.
//   FN(transpose_block_avx) on x86: copies an NR/2 x NR/2 block of B transposed into a packed panel
//                  (dst[p * NR + j] = src[j * lds + p]) in AVX registers.
// Packed layouts: A block = consecutive MR-row panels, each stored k-major (MR values per k);
// B block = consecutive NR-column panels, each stored k-major (NR values per k). Edge panels are
// zero-padded, so the micro-kernels always run full MR x NR tiles and only the store is masked.

typedef void (*FN(kernel_fn))(int64_t kc, const FT *a, const FT *b, FT *c, int64_t ldc, FT beta,
                             int mr, int nr);

/// C[mr x nr] = acc (beta == 0, C's old value ignored even if NaN) or beta * C + acc.
static inline void FN(store_tile)(const FT *acc, FT *c, int64_t ldc, FT beta, int mr, int nr) {
    if (beta == (FT)0) {
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++) c[i * ldc + j] = acc[i * NR + j];
    } else if (beta == (FT)1) {
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++) c[i * ldc + j] += acc[i * NR + j];
    } else {
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++) c[i * ldc + j] = beta * c[i * ldc + j] + acc[i * NR + j];
    }
}

/// The portable micro-kernel: plain C the compiler may vectorize for whatever the baseline target is.
static void FN(kernel_portable)(int64_t kc, const FT *restrict a, const FT *restrict b, FT *restrict c,
                                int64_t ldc, FT beta, int mr, int nr) {
    FT acc[MR * NR];
    for (int i = 0; i < MR * NR; i++) acc[i] = 0;
    for (int64_t p = 0; p < kc; p++) {
        for (int i = 0; i < MR; i++) {
            const FT ai = a[i];
            for (int j = 0; j < NR; j++) acc[i * NR + j] += ai * b[j];
        }
        a += MR;
        b += NR;
    }
    FN(store_tile)(acc, c, ldc, beta, mr, nr);
}

/// Packs rows [i0, i0+mc) x columns [p0, p0+kc) of op(A), scaled by alpha, into MR-row panels.
static void FN(pack_a)(int transA, const FT *A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                       int64_t kc, FT alpha, FT *restrict dst) {
    for (int64_t ir = 0; ir < mc; ir += MR) {
        const int mr = (int)(mc - ir < MR ? mc - ir : MR);
        if (!transA && mr == MR) {
            // op(A)[i][p] = A[i * lda + p]: MR row streams, written in order.
            const FT *rows[MR];
            for (int i = 0; i < MR; i++) rows[i] = A + (i0 + ir + i) * lda + p0;
            for (int64_t p = 0; p < kc; p++)
                for (int i = 0; i < MR; i++) dst[p * MR + i] = alpha * rows[i][p];
        } else if (!transA) {
            // A partial panel: read each row contiguously, pad with zeros.
            for (int i = 0; i < mr; i++) {
                const FT *src = A + (i0 + ir + i) * lda + p0;
                if (alpha == (FT)1) {
                    for (int64_t p = 0; p < kc; p++) dst[p * MR + i] = src[p];
                } else {
                    for (int64_t p = 0; p < kc; p++) dst[p * MR + i] = alpha * src[p];
                }
            }
            for (int i = mr; i < MR; i++)
                for (int64_t p = 0; p < kc; p++) dst[p * MR + i] = 0;
        } else if (mr == MR) {
            // op(A)[i][p] = A[p * lda + i]: MR consecutive values per k (a fixed count the compiler
            // turns into vector moves; a variable one stays scalar).
            for (int64_t p = 0; p < kc; p++) {
                const FT *src = A + (p0 + p) * lda + i0 + ir;
                for (int i = 0; i < MR; i++) dst[p * MR + i] = alpha * src[i];
            }
        } else {
            for (int64_t p = 0; p < kc; p++) {
                const FT *src = A + (p0 + p) * lda + i0 + ir;
                FT *d = dst + p * MR;
                int i = 0;
                for (; i < mr; i++) d[i] = alpha * src[i];
                for (; i < MR; i++) d[i] = 0;
            }
        }
        dst += MR * kc;
    }
}

typedef void (*FN(transpose_fn))(const FT *src, int64_t lds, FT *dst);

/// The register transpose pack_b uses for op(B) = Bᵀ on this CPU, or NULL for the scalar copy.
/// A pure copy either way, so the choice never changes a result's bits.
static FN(transpose_fn) FN(transpose_block)(void) {
#if FF_HAVE_X86_KERNELS
    if (ff_use_avx2()) return FN(transpose_block_avx);
#endif
    return NULL;
}

/// Packs rows [p0, p0+kc) x columns [j0, j0+nc) of op(B) into NR-column panels.
static void FN(pack_b)(int transB, const FT *B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc,
                       int64_t nc, FT *restrict dst) {
    const FN(transpose_fn) transpose = transB ? FN(transpose_block)() : NULL;
    for (int64_t jr = 0; jr < nc; jr += NR) {
        const int nr = (int)(nc - jr < NR ? nc - jr : NR);
        if (!transB) {
            // op(B)[p][j] = B[p * ldb + j]: NR consecutive values per k.
            if (nr == NR) {
                for (int64_t p = 0; p < kc; p++) {
                    const FT *src = B + (p0 + p) * ldb + j0 + jr;
                    FT *d = dst + p * NR;
                    for (int j = 0; j < NR; j++) d[j] = src[j];
                }
            } else {
                for (int64_t p = 0; p < kc; p++) {
                    const FT *src = B + (p0 + p) * ldb + j0 + jr;
                    FT *d = dst + p * NR;
                    int j = 0;
                    for (; j < nr; j++) d[j] = src[j];
                    for (; j < NR; j++) d[j] = 0;
                }
            }
        } else if (nr == NR && transpose) {
            // op(B)[p][j] = B[j * ldb + p]: square blocks of NR/2 rows by NR/2 values, transposed.
            const FT *rows = B + (j0 + jr) * ldb + p0;
            int64_t p = 0;
            for (; p + NR / 2 <= kc; p += NR / 2) {
                transpose(rows + p, ldb, dst + p * NR);
                transpose(rows + (NR / 2) * ldb + p, ldb, dst + p * NR + NR / 2);
            }
            for (; p < kc; p++)
                for (int j = 0; j < NR; j++) dst[p * NR + j] = rows[j * ldb + p];
        } else {
            // op(B)[p][j] = B[j * ldb + p]: read each row of B contiguously.
            for (int j = 0; j < nr; j++) {
                const FT *src = B + (j0 + jr + j) * ldb + p0;
                for (int64_t p = 0; p < kc; p++) dst[p * NR + j] = src[p];
            }
            for (int j = nr; j < NR; j++)
                for (int64_t p = 0; p < kc; p++) dst[p * NR + j] = 0;
        }
        dst += NR * kc;
    }
}

/// Splits `total` into the fewest blocks of at most `block`, of near-equal size rounded up to `unit`.
static inline int64_t FN(balanced_block)(int64_t total, int64_t block, int64_t unit) {
    if (total <= block) return total;
    const int64_t nblocks = (total + block - 1) / block;
    int64_t b = (total + nblocks - 1) / nblocks;
    b = (b + unit - 1) / unit * unit;
    return b < block ? b : block;
}

/// Bytes of packing space one thread needs for an M x N x K product.
static size_t FN(pack_bytes)(int64_t M, int64_t N, int64_t K) {
    const int64_t kc = K < KC ? K : KC;
    int64_t mc = (M + MR - 1) / MR * MR;
    if (mc > MC) mc = MC;
    int64_t nc = (N + NR - 1) / NR * NR;
    if (nc > NC) nc = NC;
    size_t a = (size_t)(mc * kc) * sizeof(FT), b = (size_t)(nc * kc) * sizeof(FT);
    a = (a + 63) / 64 * 64;
    b = (b + 63) / 64 * 64;
    return a + b;
}

/// Single-threaded blocked GEMM (M, N, K > 0, alpha != 0) using the given packing space.
static void FN(gemm_serial)(int transA, int transB, int64_t M, int64_t N, int64_t K, FT alpha,
                            const FT *A, int64_t lda, const FT *B, int64_t ldb, FT beta, FT *C,
                            int64_t ldc, void *space, FN(kernel_fn) kern) {
    const int64_t kcb = FN(balanced_block)(K, KC, 1);
    const int64_t mcb = FN(balanced_block)(M, MC, MR);
    int64_t mcap = (M + MR - 1) / MR * MR;
    if (mcap > MC) mcap = MC;
    const int64_t kcap = K < KC ? K : KC;
    FT *apack = (FT *)space;
    FT *bpack = (FT *)((char *)space + ((size_t)(mcap * kcap) * sizeof(FT) + 63) / 64 * 64);
    for (int64_t jc = 0; jc < N; jc += NC) {
        const int64_t nc = N - jc < NC ? N - jc : NC;
        for (int64_t pc = 0; pc < K; pc += kcb) {
            const int64_t kc = K - pc < kcb ? K - pc : kcb;
            const FT b_eff = pc == 0 ? beta : (FT)1;
            FN(pack_b)(transB, B, ldb, pc, jc, kc, nc, bpack);
            for (int64_t ic = 0; ic < M; ic += mcb) {
                const int64_t mc = M - ic < mcb ? M - ic : mcb;
                FN(pack_a)(transA, A, lda, ic, pc, mc, kc, alpha, apack);
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    const int nr = (int)(nc - jr < NR ? nc - jr : NR);
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        const int mr = (int)(mc - ir < MR ? mc - ir : MR);
                        kern(kc, apack + ir * kc, bpack + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc,
                             b_eff, mr, nr);
                    }
                }
            }
        }
    }
}

/// C = beta * C for an M x N block (beta == 0 writes zeros, whatever C held).
static void FN(scale_c)(int64_t M, int64_t N, FT beta, FT *C, int64_t ldc) {
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

/// Unblocked fallback for when no packing space can be allocated.
static void FN(gemm_naive)(int transA, int transB, int64_t M, int64_t N, int64_t K, FT alpha,
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

typedef struct {
    int transA, transB;
    int64_t M, N, K;
    FT alpha, beta;
    const FT *A, *B;
    FT *C;
    int64_t lda, ldb, ldc;
    void *space;
    FN(kernel_fn) kern;
} FN(gemm_job);

static void *FN(gemm_job_run)(void *arg) {
    FN(gemm_job) *j = (FN(gemm_job) *)arg;
    FN(gemm_serial)(j->transA, j->transB, j->M, j->N, j->K, j->alpha, j->A, j->lda, j->B, j->ldb,
                    j->beta, j->C, j->ldc, j->space, j->kern);
    return NULL;
}

/// The built-in GEMM: blocks, packs, and splits C over up to ff_builtin_threads() threads.
static void FN(gemm_builtin)(int transA, int transB, int64_t M, int64_t N, int64_t K, FT alpha,
                             const FT *A, int64_t lda, const FT *B, int64_t ldb, FT beta, FT *C,
                             int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == (FT)0) {
        FN(scale_c)(M, N, beta, C, ldc);
        return;
    }
    // A tiny product (a 2-2-1 network's layers): packing would cost more than the arithmetic.
    if (M * N * K <= FF_TINY_GEMM_MACS) {
        FN(gemm_naive)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    FN(kernel_fn) kern = FN(kernel_portable);
#if FF_HAVE_X86_KERNELS
    if (ff_use_avx2()) kern = FN(kernel_avx2);
#endif
    int threads = ff_gemm_thread_count(M, N, K, MR, NR);
    // Split C into `threads` parts along N (in whole NR panels) when N is the wider side, else along M.
    const int splitN = N / NR >= threads && (N >= M || M / MR < threads);
    if (threads > 1 && !splitN && M / MR < threads) threads = 1;
    if (threads <= 1) {
        void *space = ff_pack_space(FN(pack_bytes)(M, N, K));
        if (!space) {
            FN(gemm_naive)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            return;
        }
        FN(gemm_serial)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, space, kern);
        return;
    }
    FN(gemm_job) jobs[FF_MAX_THREADS];
    const int64_t units = splitN ? (N + NR - 1) / NR : (M + MR - 1) / MR;
    const int64_t unit = splitN ? NR : MR;
    size_t per = 0;
    for (int t = 0; t < threads; t++) {
        int64_t u0 = units * t / threads, u1 = units * (t + 1) / threads;
        int64_t lo = u0 * unit, hi = u1 * unit;
        const int64_t lim = splitN ? N : M;
        if (hi > lim) hi = lim;
        FN(gemm_job) *j = &jobs[t];
        j->transA = transA; j->transB = transB; j->K = K; j->alpha = alpha; j->beta = beta;
        j->lda = lda; j->ldb = ldb; j->ldc = ldc; j->kern = kern;
        if (splitN) {
            j->M = M; j->N = hi - lo;
            j->A = A;
            j->B = transB ? B + lo * ldb : B + lo;
            j->C = C + lo;
        } else {
            j->M = hi - lo; j->N = N;
            j->A = transA ? A + lo : A + lo * lda;
            j->B = B;
            j->C = C + lo * ldc;
        }
        size_t bytes = FN(pack_bytes)(j->M, j->N, K);
        if (bytes > per) per = bytes;
    }
    char *space = (char *)ff_pack_space(per * (size_t)threads);
    if (!space) {
        FN(gemm_naive)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    for (int t = 0; t < threads; t++) jobs[t].space = space + per * (size_t)t;
    ff_run_parallel(threads, FN(gemm_job_run), jobs, sizeof(FN(gemm_job)));
}
