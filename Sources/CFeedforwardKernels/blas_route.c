// Whether the automatic backend uses the loaded BLAS at all: decided once, from what the library says
// it is (OpenBLAS's core name) and the CPU's vector instructions, and where that does not settle it
// from a calibration of a few milliseconds. A generic fallback core (Debian's OpenBLAS 0.3.21 runs
// "Prescott" SSE3 kernels on CPUs it does not know) is never used on a CPU with AVX2 or wider, without
// timing anything. Any other library is timed against the built-in kernel, even one whose core
// matches the CPU: the built-in AVX2 and AVX-512 kernels run level with OpenBLAS's own on one thread
// (see README), and training with BLAS beside the built-in kernel's threads ran slower than without
// it on a shared Zen 4 machine, so BLAS must earn its place. OPENBLAS_CORETYPE is never set here:
// older builds compute wrong results on some CPUs.
#include "CFeedforwardKernels.h"
#include "ff_internal.h"

#include <pthread.h>
#include <stddef.h>
#include <strings.h>

/// OpenBLAS core names (openblas_get_corename) on x86 and the widest vector code their kernels use.
/// Levels: 1 SSE (128-bit), 2 AVX without AVX2+FMA kernels, 3 AVX2+FMA, 4 AVX-512.
static const struct {
    const char *name;
    int level;
} openblas_cores[] = {
    {"Katmai", 1}, {"Coppermine", 1}, {"Northwood", 1}, {"Prescott", 1}, {"Banias", 1}, {"Atom", 1},
    {"Core2", 1}, {"Penryn", 1}, {"Dunnington", 1}, {"Nehalem", 1}, {"Athlon", 1}, {"Opteron", 1},
    {"Opteron_SSE3", 1}, {"Barcelona", 1}, {"Nano", 1}, {"Bobcat", 1}, {"Unknown", 1},
    {"Sandybridge", 2}, {"Bulldozer", 2}, {"Piledriver", 2}, {"Steamroller", 2}, {"Excavator", 2},
    {"Haswell", 3}, {"Zen", 3},
    {"SkylakeX", 4}, {"Cooperlake", 4}, {"SapphireRapids", 4},
};

/// The level (as in openblas_cores) of a built-in kernel variant's instructions.
static int variant_level(ff_kernel_variant variant) {
    switch (variant) {
    case FF_KERNEL_AVX512: return 4;
    case FF_KERNEL_AVX2:
    case FF_KERNEL_WIDE_TILE_AVX2: return 3;
    case FF_KERNEL_PORTABLE: return 1;
    }
    return 1;
}

ff_blas_core_class ff_blas_classify_core(const char *core, ff_kernel_variant cpu_widest) {
    if (!core || !*core) return FF_BLAS_CORE_UNKNOWN;
    const int cpu = variant_level(cpu_widest);
    for (size_t i = 0; i < sizeof openblas_cores / sizeof openblas_cores[0]; i++) {
        if (strcasecmp(core, openblas_cores[i].name) != 0) continue;
        const int level = openblas_cores[i].level;
        if (level == 1 && cpu >= 3) return FF_BLAS_CORE_GENERIC;
        return level < cpu ? FF_BLAS_CORE_NARROWER : FF_BLAS_CORE_MATCHES;
    }
    return FF_BLAS_CORE_UNKNOWN;
}

int ff_blas_core_needs_calibration(ff_blas_core_class core_class) {
    return core_class != FF_BLAS_CORE_GENERIC;
}

ff_blas_route_reason ff_blas_route_decide(int loaded, int disabled, int chosen_by_environment,
                                          ff_blas_core_class core_class, double blas_rate, double builtin_rate) {
    if (disabled) return FF_BLAS_ROUTE_DISABLED;
    if (!loaded) return FF_BLAS_ROUTE_NONE_LOADED;
    if (chosen_by_environment) return FF_BLAS_ROUTE_CHOSEN;
    if (core_class == FF_BLAS_CORE_GENERIC) return FF_BLAS_ROUTE_GENERIC_CORE;
    // Calibrated: BLAS must be clearly faster (a margin, so that a close race does not flip from run
    // to run and change the bits).
    return blas_rate >= FF_BLAS_CALIBRATION_MARGIN * builtin_rate ? FF_BLAS_ROUTE_CALIBRATED_FASTER
                                                                  : FF_BLAS_ROUTE_CALIBRATED_SLOWER;
}

int ff_blas_route_uses_blas(ff_blas_route_reason reason) {
    return reason == FF_BLAS_ROUTE_CHOSEN || reason == FF_BLAS_ROUTE_CALIBRATED_FASTER;
}

static pthread_once_t route_once = PTHREAD_ONCE_INIT;
static ff_blas_route_reason route_reason = FF_BLAS_ROUTE_NONE_LOADED;
static double route_blas_rate = 0, route_builtin_rate = 0;

static void route_init(void) {
    const int loaded = ff_blas_load();
    const ff_blas_core_class core_class =
        loaded ? ff_blas_classify_core(ff_blas_core(), ff_cpu_widest_kernel_variant()) : FF_BLAS_CORE_UNKNOWN;
    const int chosen = ff_blas_chosen_by_environment();
    if (loaded && !chosen && ff_blas_core_needs_calibration(core_class))
        ff_gemm_calibrate(&route_blas_rate, &route_builtin_rate);
    route_reason = ff_blas_route_decide(loaded, ff_blas_disabled_by_environment(), chosen, core_class,
                                        route_blas_rate, route_builtin_rate);
}

ff_blas_route_reason ff_blas_route(void) {
    pthread_once(&route_once, route_init);
    return route_reason;
}

void ff_blas_route_calibration(double *blas_rate, double *builtin_rate) {
    pthread_once(&route_once, route_init);
    *blas_rate = route_blas_rate;
    *builtin_rate = route_builtin_rate;
}
