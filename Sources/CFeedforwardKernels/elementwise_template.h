// The element-wise kernels for one element type and one instruction set, included by elementwise.c once
// per pair with
//   FT         the element type (float / double)
//   FN(x)      the name of x for this type and variant (e.g. x##_f32_avx512)
//   VL         the lanes of the vector type the loops compute with
//   FF_TARGET  the function attribute compiling this variant for its instructions (or nothing)
//   FF_FLOAT_KERNELS  1 for float, which also gets the bytes-to-floats conversion
// Each formula is written once, as a macro of its element type, and runs on VL-lane vectors (clang's
// vector types, so the vector code is the same in debug builds, where the tests run, and release ones)
// and on the last n % VL elements as scalars. The formulas are the scalar Swift ones, in the same order
// of operations and without fused multiply-adds (elementwise.c turns contraction off): every lane gives
// the bits of the scalar code, and every variant the bits of every other.

typedef FT FN(vec) __attribute__((ext_vector_type(VL)));
typedef uint8_t FN(bytes) __attribute__((ext_vector_type(VL)));

#define FF_LOAD(v, src) __builtin_memcpy(&(v), (src), sizeof(v))
#define FF_STORE(dst, v) __builtin_memcpy((dst), &(v), sizeof(v))

/// y[i] = F(x[i]) over n elements, F a macro of (value, type).
#define FF_MAP1(F)                                                                                  \
    do {                                                                                            \
        int64_t i = 0;                                                                              \
        for (; i + VL <= n; i += VL) {                                                              \
            FN(vec) xv, yv;                                                                         \
            FF_LOAD(xv, x + i);                                                                     \
            yv = F(xv, FN(vec));                                                                    \
            FF_STORE(y + i, yv);                                                                    \
        }                                                                                           \
        for (; i < n; i++) y[i] = F(x[i], FT);                                                      \
    } while (0)

/// y[i] = F(a[i], b[i]) over n elements, where A(i) and B(i) load an operand's vector or scalar at i.
#define FF_MAP2(F, LOADA, LOADB, SCALARA, SCALARB)                                                  \
    do {                                                                                            \
        int64_t i = 0;                                                                              \
        for (; i + VL <= n; i += VL) {                                                              \
            FN(vec) av, bv, yv;                                                                     \
            LOADA;                                                                                  \
            LOADB;                                                                                  \
            yv = F(av, bv, FN(vec));                                                                \
            FF_STORE(y + i, yv);                                                                    \
        }                                                                                           \
        for (; i < n; i++) y[i] = F(SCALARA, SCALARB, FT);                                          \
    } while (0)
#define FF_ROW_A FF_LOAD(av, a + i)
#define FF_ROW_B FF_LOAD(bv, b + i)
#define FF_SPLAT_A av = (FN(vec))a[0]
#define FF_SPLAT_B bv = (FN(vec))b[0]
#define FF_MAP2_ROWS(F) FF_MAP2(F, FF_ROW_A, FF_ROW_B, a[i], b[i])
#define FF_MAP2_SCALAR_B(F) FF_MAP2(F, FF_ROW_A, FF_SPLAT_B, a[i], b[0])
#define FF_MAP2_SCALAR_A(F) FF_MAP2(F, FF_SPLAT_A, FF_ROW_B, a[0], b[i])

// The unary formulas (NaN fails both comparisons of relu and step and passes through).
#define FF_NEGATE(v, T) (-(v))
#define FF_SQUARE(v, T) ((v) * (v))
#define FF_ABS(v, T) __builtin_elementwise_abs(v)
#define FF_RELU(v, T) ((v) <= 0 ? (T)0 : (v))
#define FF_STEP(v, T) ((v) > 0 ? (T)1 : ((v) <= 0 ? (T)0 : (v)))
#define FF_SCALE(v, T) ((v) * p)
#define FF_SHIFT(v, T) ((v) + p)
// The binary ones.
#define FF_ADD(u, v, T) ((u) + (v))
#define FF_SUBTRACT(u, v, T) ((u) - (v))
#define FF_MULTIPLY(u, v, T) ((u) * (v))
#define FF_DIVIDE(u, v, T) ((u) / (v))
#define FF_PASS_WHERE_POSITIVE(u, v, T) ((v) > 0 ? (u) : ((v) <= 0 ? (T)0 : (v)))

/// y = op(x) for the unary operations of ff_unary_operation; 0 when `op` is not one of them.
FF_TARGET static int FN(unary)(int op, const FT *restrict x, FT *restrict y, int64_t n, FT p) {
    switch (op) {
    case FF_UNARY_NEGATE: FF_MAP1(FF_NEGATE); return 1;
    case FF_UNARY_SQUARE: FF_MAP1(FF_SQUARE); return 1;
    case FF_UNARY_ABS: FF_MAP1(FF_ABS); return 1;
    case FF_UNARY_RELU: FF_MAP1(FF_RELU); return 1;
    case FF_UNARY_STEP: FF_MAP1(FF_STEP); return 1;
    case FF_UNARY_SCALE: FF_MAP1(FF_SCALE); return 1;
    case FF_UNARY_SHIFT: FF_MAP1(FF_SHIFT); return 1;
    default: return 0;
    }
}

/// One row of a broadcast binary operation: y[i] = a[i * sa] op b[i * sb] with sa, sb each 0 or 1 (not
/// both 0); 0 when the operation or the strides are not handled here. y may be a or b (in place).
FF_TARGET static int FN(binary_row)(int op, const FT *a, int64_t sa, const FT *b, int64_t sb, FT *y, int64_t n) {
    if (sa == 1 && sb == 1) {
        switch (op) {
        case FF_BINARY_ADD: FF_MAP2_ROWS(FF_ADD); return 1;
        case FF_BINARY_SUBTRACT: FF_MAP2_ROWS(FF_SUBTRACT); return 1;
        case FF_BINARY_MULTIPLY: FF_MAP2_ROWS(FF_MULTIPLY); return 1;
        case FF_BINARY_DIVIDE: FF_MAP2_ROWS(FF_DIVIDE); return 1;
        case FF_BINARY_PASS_WHERE_POSITIVE: FF_MAP2_ROWS(FF_PASS_WHERE_POSITIVE); return 1;
        default: return 0;
        }
    }
    if (sa == 1 && sb == 0) {
        switch (op) {
        case FF_BINARY_ADD: FF_MAP2_SCALAR_B(FF_ADD); return 1;
        case FF_BINARY_SUBTRACT: FF_MAP2_SCALAR_B(FF_SUBTRACT); return 1;
        case FF_BINARY_MULTIPLY: FF_MAP2_SCALAR_B(FF_MULTIPLY); return 1;
        case FF_BINARY_DIVIDE: FF_MAP2_SCALAR_B(FF_DIVIDE); return 1;
        default: return 0;
        }
    }
    if (sa == 0 && sb == 1) {
        switch (op) {
        case FF_BINARY_ADD: FF_MAP2_SCALAR_A(FF_ADD); return 1;
        case FF_BINARY_SUBTRACT: FF_MAP2_SCALAR_A(FF_SUBTRACT); return 1;
        case FF_BINARY_MULTIPLY: FF_MAP2_SCALAR_A(FF_MULTIPLY); return 1;
        default: return 0;
        }
    }
    return 0;
}

/// y[i] = sum over j in increasing order of x[j * inner + i], for i < inner: a sum down the rows.
FF_TARGET static void FN(sum_rows)(const FT *restrict x, FT *restrict y, int64_t length, int64_t inner) {
    for (int64_t i = 0; i < inner; i++) y[i] = 0;
    for (int64_t j = 0; j < length; j++) {
        const FT *a = y, *b = x + j * inner;
        const int64_t n = inner;
        FF_MAP2_ROWS(FF_ADD);
    }
}

#if FF_FLOAT_KERNELS
/// y[i] = (float)x[i] * scale (pixels to [0, 1]).
FF_TARGET static void FN(bytes_to_floats)(const uint8_t *restrict x, float *restrict y, int64_t n, float scale) {
    typedef float FN(floats) __attribute__((ext_vector_type(VL)));
    int64_t i = 0;
    for (; i + VL <= n; i += VL) {
        FN(bytes) xv;
        FF_LOAD(xv, x + i);
        FN(floats) yv = __builtin_convertvector(xv, FN(floats)) * scale;
        FF_STORE(y + i, yv);
    }
    for (; i < n; i++) y[i] = (float)x[i] * scale;
}

/// Rows rows[0], rows[1], ... of `width` bytes each at x, converted by FN(bytes_to_floats) into
/// consecutive rows of y. The rows of a shuffled batch lie anywhere in the data set, so each one is
/// prefetched a few rows ahead: without it every row waits for memory.
FF_TARGET static void FN(gather_bytes_to_floats)(const uint8_t *restrict x, int64_t width, const int64_t *rows,
                                                 int64_t count, float *restrict y, float scale) {
    enum { AHEAD = 4 };
    for (int64_t r = 0; r < count; r++) {
        if (r + AHEAD < count) {
            const uint8_t *next = x + rows[r + AHEAD] * width;
            for (int64_t offset = 0; offset < width; offset += 64) __builtin_prefetch(next + offset, 0, 0);
        }
        FN(bytes_to_floats)(x + rows[r] * width, y + r * width, width, scale);
    }
}
#endif

// The optimizer formulas, on P (parameter), G (gradient), M and V (state) of type T.
#define FF_SGD(T, P, G, M, V) P -= eta * (G + lambda * P)
#define FF_SGD_MOMENTUM(T, P, G, M, V)                                                              \
    do {                                                                                            \
        const T gradient = G + lambda * P;                                                          \
        const T velocity = mu * M + gradient;                                                       \
        M = velocity;                                                                               \
        P -= eta * velocity;                                                                        \
    } while (0)
#define FF_SGD_NESTEROV(T, P, G, M, V)                                                              \
    do {                                                                                            \
        const T gradient = G + lambda * P;                                                          \
        const T velocity = mu * M + gradient;                                                       \
        M = velocity;                                                                               \
        P -= eta * (gradient + mu * velocity);                                                      \
    } while (0)
#define FF_RMSPROP(T, P, G, M, V)                                                                   \
    do {                                                                                            \
        const T gradient = G + lambda * P;                                                          \
        V = rho * V + keep * gradient * gradient;                                                   \
        P -= eta * gradient / (__builtin_elementwise_sqrt(V) + eps);                                \
    } while (0)
#define FF_ADAM(T, P, G, M, V)                                                                      \
    do {                                                                                            \
        const T gradient = G + coupled * P;                                                         \
        M = b1 * M + keep1 * gradient;                                                              \
        V = b2 * V + keep2 * gradient * gradient;                                                   \
        const T mHat = M / c1, vHat = V / c2;                                                       \
        P = P * shrink - eta * mHat / (__builtin_elementwise_sqrt(vHat) + eps);                     \
    } while (0)

/// Runs the formula F over [lo, hi) on p, g and, where USE_M / USE_V, m and v.
#define FF_UPDATE(F, USE_M, USE_V)                                                                  \
    do {                                                                                            \
        int64_t i = lo;                                                                             \
        for (; i + VL <= hi; i += VL) {                                                             \
            FN(vec) pv, gv, mv = 0, vv = 0;                                                         \
            FF_LOAD(pv, p + i);                                                                     \
            FF_LOAD(gv, g + i);                                                                     \
            if (USE_M) FF_LOAD(mv, m + i);                                                          \
            if (USE_V) FF_LOAD(vv, v + i);                                                          \
            F(FN(vec), pv, gv, mv, vv);                                                             \
            FF_STORE(p + i, pv);                                                                    \
            if (USE_M) FF_STORE(m + i, mv);                                                         \
            if (USE_V) FF_STORE(v + i, vv);                                                         \
        }                                                                                           \
        for (; i < hi; i++) {                                                                       \
            FT ps = p[i], ms = USE_M ? m[i] : 0, vs = USE_V ? v[i] : 0;                             \
            F(FT, ps, g[i], ms, vs);                                                                \
            p[i] = ps;                                                                              \
            if (USE_M) m[i] = ms;                                                                   \
            if (USE_V) v[i] = vs;                                                                   \
        }                                                                                           \
    } while (0)

/// One optimizer step on elements [lo, hi) (see ff_optimizer_step).
FF_TARGET static void FN(optimizer_range)(const ff_optimizer_step *s, FT *restrict p, const FT *restrict g,
                                          FT *restrict m, FT *restrict v, int64_t lo, int64_t hi) {
    const FT eta = (FT)s->learning_rate, lambda = (FT)s->weight_decay;
    switch (s->kind) {
    case FF_OPTIMIZER_SGD: FF_UPDATE(FF_SGD, 0, 0); break;
    case FF_OPTIMIZER_SGD_MOMENTUM: {
        const FT mu = (FT)s->momentum;
        FF_UPDATE(FF_SGD_MOMENTUM, 1, 0);
        break;
    }
    case FF_OPTIMIZER_SGD_NESTEROV: {
        const FT mu = (FT)s->momentum;
        FF_UPDATE(FF_SGD_NESTEROV, 1, 0);
        break;
    }
    case FF_OPTIMIZER_RMSPROP: {
        const FT rho = (FT)s->decay, eps = (FT)s->epsilon, keep = 1 - rho;
        FF_UPDATE(FF_RMSPROP, 0, 1);
        break;
    }
    case FF_OPTIMIZER_ADAM: {
        const FT b1 = (FT)s->beta1, b2 = (FT)s->beta2, eps = (FT)s->epsilon;
        const FT c1 = (FT)s->correction1, c2 = (FT)s->correction2;
        const FT keep1 = 1 - b1, keep2 = 1 - b2;
        const FT coupled = s->decoupled ? (FT)0 : lambda;
        const FT shrink = s->decoupled ? 1 - (FT)(s->learning_rate * s->weight_decay) : (FT)1;
        FF_UPDATE(FF_ADAM, 1, 1);
        break;
    }
    }
}

#undef FF_LOAD
#undef FF_STORE
#undef FF_MAP1
#undef FF_MAP2
#undef FF_ROW_A
#undef FF_ROW_B
#undef FF_SPLAT_A
#undef FF_SPLAT_B
#undef FF_MAP2_ROWS
#undef FF_MAP2_SCALAR_B
#undef FF_MAP2_SCALAR_A
#undef FF_NEGATE
#undef FF_SQUARE
#undef FF_ABS
#undef FF_RELU
#undef FF_STEP
#undef FF_SCALE
#undef FF_SHIFT
#undef FF_ADD
#undef FF_SUBTRACT
#undef FF_MULTIPLY
#undef FF_DIVIDE
#undef FF_PASS_WHERE_POSITIVE
#undef FF_SGD
#undef FF_SGD_MOMENTUM
#undef FF_SGD_NESTEROV
#undef FF_RMSPROP
#undef FF_ADAM
#undef FF_UPDATE
