// The built-in GEMM for one element type and one kernel variant, included by gemm.c once per pair with
//   FT    the element type (float / double); TN(x) the per-type name of x (x##_f32), as for
//         gemm_type_template.h, whose functions this file uses
//   FN(x) the name of x for this type and variant (e.g. x##_f32_avx512)
//   VL    lanes of the vector type the micro-kernel computes with (its width: VL * sizeof(FT) bytes)
//   MR, NR         the register block (micro-tile): MR rows by NR columns, NR a multiple of VL
//   MC, KC, NC     the cache blocks: an MC x KC block of A stays in L2, a KC x NR panel of B in L1,
//                  a KC x NC block of B in L3
//   FF_TARGET      the function attribute compiling this variant for its instructions (or nothing)
//   FF_FUSED       1: multiply-adds are fused (one rounding), 0: a multiply, then an add
//   FF_TRANSPOSE   1: pack_b may use TN(transpose_block_avx) (an AVX register transpose, a pure copy)
// The micro-kernel is written once with clang/GCC vector types: the same source gives the AVX-512
// kernel (64-byte vectors, AVX-512F target), the AVX2 one (32-byte vectors, AVX2+FMA) and the portable
// one (32-byte vectors, baseline target), and the wide tile compiled for AVX2 runs the AVX-512 kernel's
// exact logic on machines without AVX-512.
// Packed layouts: A block = consecutive MR-row panels, each stored k-major (MR values per k);
// B block = consecutive NR-column panels, each stored k-major (NR values per k). Edge panels are
// zero-padded, so the micro-kernel always runs full MR x NR tiles and only the store is partial.
// Every element of C is the sum over k in increasing order within each KC block, added to C block by
// block, whatever the tile: variants with the same KC and fused multiply-adds give the same bits.

typedef FT FN(vec) __attribute__((ext_vector_type(VL)));

#if FF_FUSED
#define FF_MADD(x, y, z) __builtin_elementwise_fma((x), (y), (z))
#else
#define FF_MADD(x, y, z) ((x) * (y) + (z))
#endif

/// C[mr x nr] = acc (beta == 0, C's old value ignored even if NaN) or beta * C + acc, rounded as the
/// micro-kernel's full-tile store rounds it.
FF_TARGET static inline void FN(store_tile)(const FT *acc, FT *c, int64_t ldc, FT beta, int mr, int nr) {
    for (int i = 0; i < mr; i++) {
        FT *row = c + i * ldc;
        const FT *t = acc + i * NR;
        if (beta == (FT)0) {
            for (int j = 0; j < nr; j++) row[j] = t[j];
        } else {
            for (int j = 0; j < nr; j++) row[j] = FF_MADD(beta, row[j], t[j]);
        }
    }
}

/// The micro-kernel: C[mr x nr] = beta * C + (MR-row panel of A) · (NR-column panel of B), over kc
/// steps; MR x NR / VL vector accumulators, NR / VL vector loads of B and MR broadcasts of A per step.
FF_TARGET static void FN(kernel)(int64_t kc, const FT *restrict a, const FT *restrict b, FT *restrict c,
                                 int64_t ldc, FT beta, int mr, int nr) {
    enum { NV = NR / VL };
    FN(vec) acc[MR][NV];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[i][v] = (FN(vec))0;
    for (int i = 0; i < mr; i++) __builtin_prefetch(c + i * ldc, 0, 3);
#pragma clang loop unroll_count(4)
    for (int64_t p = 0; p < kc; p++) {
        FN(vec) bv[NV];
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) __builtin_memcpy(&bv[v], b + v * VL, sizeof bv[v]);
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            const FN(vec) av = (FN(vec))a[i];
#pragma clang loop unroll(full)
            for (int v = 0; v < NV; v++) acc[i][v] = FF_MADD(av, bv[v], acc[i][v]);
        }
        a += MR;
        b += NR;
    }
    if (mr == MR && nr == NR) {
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
#pragma clang loop unroll(full)
            for (int v = 0; v < NV; v++) {
                FT *dst = c + i * ldc + v * VL;
                FN(vec) out = acc[i][v];
                if (beta != (FT)0) {
                    FN(vec) old;
                    __builtin_memcpy(&old, dst, sizeof old);
                    out = FF_MADD((FN(vec))beta, old, out);
                }
                __builtin_memcpy(dst, &out, sizeof out);
            }
        }
        return;
    }
    FT tmp[MR * NR] __attribute__((aligned(64)));
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) __builtin_memcpy(tmp + i * NR + v * VL, &acc[i][v], sizeof acc[i][v]);
    FN(store_tile)(tmp, c, ldc, beta, mr, nr);
}

/// Packs rows [i0, i0+mc) x columns [p0, p0+kc) of op(A), scaled by alpha, into MR-row panels.
FF_TARGET static void FN(pack_a)(int transA, const FT *A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
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
                for (int64_t p = 0; p < kc; p++) dst[p * MR + i] = alpha * src[p];
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

/// Packs rows [p0, p0+kc) x columns [j0, j0+nc) of op(B) into NR-column panels.
FF_TARGET static void FN(pack_b)(int transB, const FT *B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc,
                                 int64_t nc, FT *restrict dst) {
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
#if FF_TRANSPOSE
        } else if (nr == NR) {
            // op(B)[p][j] = B[j * ldb + p]: square blocks of FF_TBLOCK rows by FF_TBLOCK values, transposed
            // in registers (the scalar copy stores one value per instruction and took ~20% of a dY·Wᵀ
            // product).
            enum { T = FF_TBLOCK };
            const FT *rows = B + (j0 + jr) * ldb + p0;
            int64_t p = 0;
            for (; p + T <= kc; p += T)
                for (int jb = 0; jb < NR; jb += T) TN(transpose_block_avx)(rows + jb * ldb + p, ldb, dst + p * NR + jb, NR);
            for (; p < kc; p++)
                for (int j = 0; j < NR; j++) dst[p * NR + j] = rows[j * ldb + p];
#endif
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
FF_TARGET static void FN(gemm_serial)(int transA, int transB, int64_t M, int64_t N, int64_t K, FT alpha,
                                      const FT *A, int64_t lda, const FT *B, int64_t ldb, FT beta, FT *C,
                                      int64_t ldc, void *space) {
    const int64_t kcb = TN(balanced_block)(K, KC, 1);
    const int64_t mcb = TN(balanced_block)(M, MC, MR);
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
                        FN(kernel)(kc, apack + ir * kc, bpack + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc,
                                   b_eff, mr, nr);
                    }
                }
            }
        }
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
} FN(gemm_job);

static void *FN(gemm_job_run)(void *arg) {
    FN(gemm_job) *j = (FN(gemm_job) *)arg;
    FN(gemm_serial)(j->transA, j->transB, j->M, j->N, j->K, j->alpha, j->A, j->lda, j->B, j->ldb,
                    j->beta, j->C, j->ldc, j->space);
    return NULL;
}

/// The built-in GEMM (M, N, K > 0, alpha != 0, more than tiny): blocks, packs, and splits C over up to
/// `max_threads` threads (fewer for small products).
static void FN(gemm_builtin)(int max_threads, int transA, int transB, int64_t M, int64_t N, int64_t K, FT alpha,
                             const FT *A, int64_t lda, const FT *B, int64_t ldb, FT beta, FT *C,
                             int64_t ldc) {
    int threads = ff_gemm_thread_count(max_threads, M, N, K, MR, NR);
    // Split C into `threads` parts along N (in whole NR panels) when N is the wider side, else along M.
    const int splitN = N / NR >= threads && (N >= M || M / MR < threads);
    if (threads > 1 && !splitN && M / MR < threads) threads = 1;
    if (threads <= 1) {
        void *space = ff_pack_space(FN(pack_bytes)(M, N, K));
        if (!space) {
            TN(gemm_naive)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            return;
        }
        FN(gemm_serial)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, space);
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
        j->lda = lda; j->ldb = ldb; j->ldc = ldc;
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
        TN(gemm_naive)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    for (int t = 0; t < threads; t++) jobs[t].space = space + per * (size_t)t;
    ff_run_parallel(threads, FN(gemm_job_run), jobs, sizeof(FN(gemm_job)));
}

#undef FF_MADD
