// Element-wise kernels (the arithmetic unary and binary operations, sums down rows, optimizer steps,
// bytes to scaled floats) compiled once per instruction set and chosen at run time like the GEMM's
// variants: AVX-512 where the CPU has it, else AVX2, else the baseline. Written in C because Swift
// compiles for the baseline target only (128-bit vectors on x86-64) and has no per-function target.
#include "CFeedforwardKernels.h"
#include "ff_internal.h"

// No fused multiply-adds: every variant must give the bits of the scalar formulas (and of each other).
#pragma clang fp contract(off)

#if FF_HAVE_X86_KERNELS
#define FF_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx2,fma")))
#define FF_AVX2_TARGET __attribute__((target("avx2,fma")))
#endif

#define FT float
#define FF_FLOAT_KERNELS 1
#define VL 8
#define FN(x) x##_f32_portable
#define FF_TARGET
#include "elementwise_template.h"
#undef FN
#undef FF_TARGET
#if FF_HAVE_X86_KERNELS
#define FN(x) x##_f32_avx2
#define FF_TARGET FF_AVX2_TARGET
#include "elementwise_template.h"
#undef FN
#undef FF_TARGET
#undef VL
#define VL 16
#define FN(x) x##_f32_avx512
#define FF_TARGET FF_AVX512_TARGET
#include "elementwise_template.h"
#undef FN
#undef FF_TARGET
#endif
#undef VL
#undef FT
#undef FF_FLOAT_KERNELS

#define FT double
#define FF_FLOAT_KERNELS 0
#define VL 4
#define FN(x) x##_f64_portable
#define FF_TARGET
#include "elementwise_template.h"
#undef FN
#undef FF_TARGET
#if FF_HAVE_X86_KERNELS
#define FN(x) x##_f64_avx2
#define FF_TARGET FF_AVX2_TARGET
#include "elementwise_template.h"
#undef FN
#undef FF_TARGET
#undef VL
#define VL 8
#define FN(x) x##_f64_avx512
#define FF_TARGET FF_AVX512_TARGET
#include "elementwise_template.h"
#undef FN
#undef FF_TARGET
#endif
#undef VL
#undef FT
#undef FF_FLOAT_KERNELS

/// The instruction set the element-wise kernels use: the GEMM's variant, where the wide tile compiled
/// for AVX2 (a test variant of the GEMM) counts as AVX2.
typedef enum { SET_PORTABLE, SET_AVX2, SET_AVX512 } instruction_set;

static inline instruction_set instruction_set_in_use(void) {
#if FF_HAVE_X86_KERNELS
    switch (ff_kernel_variant_in_use()) {
    case FF_KERNEL_AVX512: return SET_AVX512;
    case FF_KERNEL_AVX2:
    case FF_KERNEL_WIDE_TILE_AVX2: return SET_AVX2;
    case FF_KERNEL_PORTABLE: return SET_PORTABLE;
    }
#endif
    return SET_PORTABLE;
}

#if FF_HAVE_X86_KERNELS
#define FF_DISPATCH(NAME, S, ...)                                                                   \
    switch (instruction_set_in_use()) {                                                             \
    case SET_AVX512: return NAME##_##S##_avx512(__VA_ARGS__);                                       \
    case SET_AVX2: return NAME##_##S##_avx2(__VA_ARGS__);                                           \
    case SET_PORTABLE: break;                                                                       \
    }                                                                                               \
    return NAME##_##S##_portable(__VA_ARGS__)
#else
#define FF_DISPATCH(NAME, S, ...) return NAME##_##S##_portable(__VA_ARGS__)
#endif

int ff_unary_f32(int op, const float *x, float *y, int64_t n, float p) { FF_DISPATCH(unary, f32, op, x, y, n, p); }
int ff_unary_f64(int op, const double *x, double *y, int64_t n, double p) { FF_DISPATCH(unary, f64, op, x, y, n, p); }

int ff_binary_row_f32(int op, const float *a, int64_t sa, const float *b, int64_t sb, float *y, int64_t n) {
    FF_DISPATCH(binary_row, f32, op, a, sa, b, sb, y, n);
}
int ff_binary_row_f64(int op, const double *a, int64_t sa, const double *b, int64_t sb, double *y, int64_t n) {
    FF_DISPATCH(binary_row, f64, op, a, sa, b, sb, y, n);
}

void ff_sum_rows_f32(const float *x, float *y, int64_t length, int64_t inner) { FF_DISPATCH(sum_rows, f32, x, y, length, inner); }
void ff_sum_rows_f64(const double *x, double *y, int64_t length, int64_t inner) { FF_DISPATCH(sum_rows, f64, x, y, length, inner); }

/// Fewest elements per thread an optimizer step is split into. Measured with `feedforward-bench parallel`
/// (release, Intel Xeon family 6 model 207, AVX-512, 2 cores; medians): a momentum step over 64 Ki floats
/// took 13.2 us on one thread and 8.5 on two, over 256 Ki (about the 784 x 256 weight) 117 and 34, over
/// 4 Mi 2115 and 1030; 32 Ki stays on one thread (6.5 us, where waking a helper is a noticeable share).
#define FF_OPTIMIZER_MIN_PER_THREAD 32768

typedef struct {
    const ff_optimizer_step *step;
    int is_double;
    void *p, *m, *v;
    const void *g;
    int64_t lo, hi;
} optimizer_job;

static void optimizer_range(const optimizer_job *j) {
    if (j->is_double) {
        double *p = j->p, *m = j->m, *v = j->v;
        const double *g = j->g;
        FF_DISPATCH(optimizer_range, f64, j->step, p, g, m, v, j->lo, j->hi);
    } else {
        float *p = j->p, *m = j->m, *v = j->v;
        const float *g = j->g;
        FF_DISPATCH(optimizer_range, f32, j->step, p, g, m, v, j->lo, j->hi);
    }
}

static void *optimizer_job_run(void *arg) {
    optimizer_range((const optimizer_job *)arg);
    return NULL;
}

/// Splits the step over the built-in kernels' threads where it pays; each element is updated by one
/// formula whatever the split, so the bits do not depend on the thread count.
static void optimizer_step(const ff_optimizer_step *step, int is_double, void *p, const void *g, void *m, void *v,
                           int64_t n) {
    if (n <= 0) return;
    int64_t threads = ff_builtin_threads();
    if (threads > n / FF_OPTIMIZER_MIN_PER_THREAD) threads = n / FF_OPTIMIZER_MIN_PER_THREAD;
    if (threads <= 1) {
        const optimizer_job job = {.step = step, .is_double = is_double, .p = p, .g = g, .m = m, .v = v, .lo = 0, .hi = n};
        optimizer_range(&job);
        return;
    }
    optimizer_job jobs[FF_MAX_THREADS];
    // Split at multiples of 64 elements, so that no two threads write into one cache line.
    const int64_t blocks = (n + 63) / 64;
    for (int64_t t = 0; t < threads; t++) {
        int64_t lo = blocks * t / threads * 64, hi = blocks * (t + 1) / threads * 64;
        if (hi > n) hi = n;
        jobs[t] = (optimizer_job){.step = step, .is_double = is_double, .p = p, .g = g, .m = m, .v = v, .lo = lo, .hi = hi};
    }
    ff_run_parallel((int)threads, optimizer_job_run, jobs, sizeof(optimizer_job));
}

void ff_optimizer_step_f32(const ff_optimizer_step *step, float *p, const float *g, float *m, float *v, int64_t n) {
    optimizer_step(step, 0, p, g, m, v, n);
}

void ff_optimizer_step_f64(const ff_optimizer_step *step, double *p, const double *g, double *m, double *v, int64_t n) {
    optimizer_step(step, 1, p, g, m, v, n);
}

void ff_gather_bytes_to_floats(const uint8_t *x, int64_t width, const int64_t *rows, int64_t count, float *y,
                               float scale) {
    FF_DISPATCH(gather_bytes_to_floats, f32, x, width, rows, count, y, scale);
}
