// What the CPU offers the built-in kernels (vector instructions, model name) and which kernel variant
// runs: the widest the CPU supports, unless one is forced (for tests and benchmarks).
#include "CFeedforwardKernels.h"
#include "ff_internal.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#endif

/// The widest variant the CPU runs, detected once (-1: not yet).
static int detected_variant = -1;
/// The variant forced through ff_force_kernel_variant, or -1 for the automatic choice.
static int forced_variant = -1;

static ff_kernel_variant detect_variant(void) {
#if FF_HAVE_X86_KERNELS
    __builtin_cpu_init();
    // The operating system must save the 512-bit state too; __builtin_cpu_supports checks XCR0.
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return FF_KERNEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return FF_KERNEL_AVX2;
#endif
    return FF_KERNEL_PORTABLE;
}

ff_kernel_variant ff_cpu_widest_kernel_variant(void) {
    int v = __atomic_load_n(&detected_variant, __ATOMIC_RELAXED);
    if (v < 0) {
        v = (int)detect_variant();
        __atomic_store_n(&detected_variant, v, __ATOMIC_RELAXED);
    }
    return (ff_kernel_variant)v;
}

int ff_kernel_variant_supported(ff_kernel_variant variant) {
    const ff_kernel_variant widest = ff_cpu_widest_kernel_variant();
    switch (variant) {
    case FF_KERNEL_PORTABLE: return 1;
    case FF_KERNEL_AVX2: return widest >= FF_KERNEL_AVX2;
    case FF_KERNEL_AVX512: return widest >= FF_KERNEL_AVX512;
    case FF_KERNEL_WIDE_TILE_AVX2: return widest >= FF_KERNEL_AVX2;
    }
    return 0;
}

int ff_force_kernel_variant(int variant) {
    if (variant < 0) {
        __atomic_store_n(&forced_variant, -1, __ATOMIC_RELAXED);
        return 1;
    }
    if (variant > FF_KERNEL_WIDE_TILE_AVX2 || !ff_kernel_variant_supported((ff_kernel_variant)variant)) return 0;
    __atomic_store_n(&forced_variant, variant, __ATOMIC_RELAXED);
    return 1;
}

ff_kernel_variant ff_kernel_variant_in_use(void) {
    const int forced = __atomic_load_n(&forced_variant, __ATOMIC_RELAXED);
    return forced >= 0 ? (ff_kernel_variant)forced : ff_cpu_widest_kernel_variant();
}

int ff_kernel_variant_vector_bits(ff_kernel_variant variant) {
    switch (variant) {
    case FF_KERNEL_PORTABLE: return 0;
    case FF_KERNEL_AVX2: return 256;
    case FF_KERNEL_AVX512: return 512;
    case FF_KERNEL_WIDE_TILE_AVX2: return 256;
    }
    return 0;
}

const char *ff_kernel_variant_name(ff_kernel_variant variant) {
    switch (variant) {
    case FF_KERNEL_PORTABLE: return "portable";
    case FF_KERNEL_AVX2: return "avx2";
    case FF_KERNEL_AVX512: return "avx512";
    case FF_KERNEL_WIDE_TILE_AVX2: return "avx512-tile-on-avx2";
    }
    return "unknown";
}

/// The processor brand string (CPUID leaves 0x80000002-4) with its family and model numbers on x86
/// (brand strings in virtual machines are often just "AMD EPYC"), or "/proc/cpuinfo"'s model name.
static char cpu_model[128];
static pthread_once_t cpu_model_once = PTHREAD_ONCE_INIT;

static void read_cpu_model(void) {
#if FF_HAVE_X86_KERNELS
    unsigned int max_leaf = __get_cpuid_max(0x80000000u, NULL);
    if (max_leaf >= 0x80000004u) {
        unsigned int *words = (unsigned int *)cpu_model;
        for (unsigned int leaf = 0; leaf < 3; leaf++)
            __get_cpuid(0x80000002u + leaf, &words[leaf * 4], &words[leaf * 4 + 1], &words[leaf * 4 + 2],
                        &words[leaf * 4 + 3]);
        cpu_model[48] = '\0';
    }
#endif
    if (cpu_model[0] == '\0') {
        FILE *f = fopen("/proc/cpuinfo", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) != 0) continue;
            const char *colon = strchr(line, ':');
            if (colon) snprintf(cpu_model, sizeof cpu_model, "%s", colon + 1);
            break;
        }
        if (f) fclose(f);
    }
    // Trim the padding some CPUs put around the brand string.
    size_t start = 0, end = strlen(cpu_model);
    while (start < end && (cpu_model[start] == ' ' || cpu_model[start] == '\t')) start++;
    while (end > start && (cpu_model[end - 1] == ' ' || cpu_model[end - 1] == '\n')) end--;
    memmove(cpu_model, cpu_model + start, end - start);
    cpu_model[end - start] = '\0';
#if FF_HAVE_X86_KERNELS
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        unsigned int family = (eax >> 8) & 0xF, model = (eax >> 4) & 0xF;
        if (family == 0xF) family += (eax >> 20) & 0xFF;
        if (family == 0x6 || family >= 0xF) model |= ((eax >> 16) & 0xF) << 4;
        const size_t used = strlen(cpu_model);
        snprintf(cpu_model + used, sizeof cpu_model - used, "%s(family %u, model %u)", used ? " " : "", family, model);
    }
#endif
}

const char *ff_cpu_model_name(void) {
    pthread_once(&cpu_model_once, read_cpu_model);
    return cpu_model[0] ? cpu_model : "unknown CPU";
}
