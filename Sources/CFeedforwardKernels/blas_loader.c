// Run-time BLAS: the library is opened with dlopen on first use, so Feedforward builds and runs
// without any BLAS installed and can be pointed at a different one with FEEDFORWARD_BLAS.
#include "CFeedforwardKernels.h"
#include "ff_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void *blas_handle = NULL;
static const char *blas_loaded_name = NULL;
ff_cblas_sgemm_fn ff_blas_sgemm_ptr = NULL;
ff_cblas_dgemm_fn ff_blas_dgemm_ptr = NULL;
static void (*blas_set_threads_ptr)(int) = NULL;
static int (*blas_get_threads_ptr)(void) = NULL;
static int blas_current_threads = 0;  // last count set through ff_blas_set_threads (0: unknown)
static int blas_chosen_by_environment = 0;  // FEEDFORWARD_BLAS named the library
static char blas_vendor[32];     // "OpenBLAS", "BLIS", "Accelerate" or "CBLAS" (unidentified)
static char blas_version[32];    // e.g. "0.3.21", or "" when the library does not say
static char blas_config[256];    // openblas_get_config(), or ""
static char blas_core[64];       // openblas_get_corename(), or ""

// Candidates tried in order when FEEDFORWARD_BLAS is unset. Only LP64 (32-bit int) interfaces: an
// ILP64 build such as libopenblas64_.so exports its CBLAS under suffixed names (cblas_sgemm64_),
// which the lookup below does not accept, so such a library is skipped rather than misused.
static const char *const blas_candidates[] = {
#if defined(__APPLE__)
    "/System/Library/Frameworks/Accelerate.framework/Accelerate",
    "libopenblas.dylib",
    "libopenblas.0.dylib",
#else
    "libopenblas.so.0",
    "libopenblas.so",
    "libblis.so.4",
    "libblis.so",
    "libblas.so.3",
    "libblas.so",
    "libcblas.so.3",
#endif
};

/// Copies at most `size - 1` bytes of `text` (NULL: nothing) into `dst`, always terminated.
static void copy_text(char *dst, size_t size, const char *text) {
    snprintf(dst, size, "%s", text ? text : "");
}

/// Fills blas_vendor, blas_version, blas_config and blas_core from what the library exports.
static void identify(void *h, const char *name) {
    const char *(*openblas_config)(void) = (const char *(*)(void))dlsym(h, "openblas_get_config");
    const char *(*openblas_core)(void) = (const char *(*)(void))dlsym(h, "openblas_get_corename");
    const char *(*blis_version)(void) = (const char *(*)(void))dlsym(h, "bli_info_get_version_str");
    if (openblas_config) {
        copy_text(blas_vendor, sizeof blas_vendor, "OpenBLAS");
        copy_text(blas_config, sizeof blas_config, openblas_config());
        // The configuration string starts "OpenBLAS 0.3.21 ...": the second word is the version.
        const char *rest = strncmp(blas_config, "OpenBLAS ", 9) == 0 ? blas_config + 9 : "";
        size_t length = strcspn(rest, " ");
        if (length >= sizeof blas_version) length = sizeof blas_version - 1;
        memcpy(blas_version, rest, length);
        blas_version[length] = '\0';
        if (openblas_core) copy_text(blas_core, sizeof blas_core, openblas_core());
    } else if (blis_version) {
        copy_text(blas_vendor, sizeof blas_vendor, "BLIS");
        copy_text(blas_version, sizeof blas_version, blis_version());
    } else if (strstr(name, "Accelerate")) {
        copy_text(blas_vendor, sizeof blas_vendor, "Accelerate");
    } else {
        copy_text(blas_vendor, sizeof blas_vendor, "CBLAS");
    }
}

/// Opens `name` and resolves the CBLAS entry points; on success keeps the handle and returns 1.
static int try_open(const char *name) {
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h) return 0;
    ff_cblas_sgemm_fn s = (ff_cblas_sgemm_fn)dlsym(h, "cblas_sgemm");
    ff_cblas_dgemm_fn d = (ff_cblas_dgemm_fn)dlsym(h, "cblas_dgemm");
    if (!s || !d) {
        dlclose(h);
        return 0;
    }
    blas_handle = h;
    blas_loaded_name = name;
    ff_blas_sgemm_ptr = s;
    ff_blas_dgemm_ptr = d;
    blas_set_threads_ptr = (void (*)(int))dlsym(h, "openblas_set_num_threads");
    blas_get_threads_ptr = (int (*)(void))dlsym(h, "openblas_get_num_threads");
    if (blas_get_threads_ptr) blas_current_threads = blas_get_threads_ptr();
    identify(h, name);
    return 1;
}

int ff_blas_disabled_by_environment(void) {
    const char *env = getenv("FEEDFORWARD_BLAS");
    return env && (strcasecmp(env, "none") == 0 || strcasecmp(env, "off") == 0 || strcmp(env, "0") == 0);
}

static void blas_init(void) {
    const char *env = getenv("FEEDFORWARD_BLAS");
    if (env && *env) {
        if (ff_blas_disabled_by_environment()) return;
        // An explicit choice: load exactly that library (a copy of the string is kept as its name).
        char *copy = strdup(env);
        if (copy && !try_open(copy)) free(copy);
        blas_chosen_by_environment = blas_handle != NULL;
        return;
    }
    for (size_t i = 0; i < sizeof blas_candidates / sizeof blas_candidates[0]; i++) {
        if (try_open(blas_candidates[i])) return;
    }
}

int ff_blas_load(void) {
    pthread_once(&blas_once, blas_init);
    return blas_handle != NULL;
}

const char *ff_blas_name(void) {
    return ff_blas_load() ? blas_loaded_name : NULL;
}

const char *ff_blas_vendor(void) { return ff_blas_load() ? blas_vendor : NULL; }
const char *ff_blas_version(void) { return ff_blas_load() ? blas_version : NULL; }
const char *ff_blas_config(void) { return ff_blas_load() ? blas_config : NULL; }
const char *ff_blas_core(void) { return ff_blas_load() ? blas_core : NULL; }

int ff_blas_chosen_by_environment(void) {
    ff_blas_load();
    return blas_chosen_by_environment;
}


pthread_mutex_t ff_blas_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas_configured_threads = 0;  // last count set through ff_blas_set_threads

int ff_blas_set_threads_locked(int threads) {
    if (!ff_blas_load() || !blas_set_threads_ptr) return 0;
    if (threads < 1) threads = 1;
    if (threads == __atomic_load_n(&blas_current_threads, __ATOMIC_RELAXED)) return 1;
    blas_set_threads_ptr(threads);
    __atomic_store_n(&blas_current_threads, threads, __ATOMIC_RELAXED);
    return 1;
}

int ff_blas_set_threads(int threads) {
    if (!ff_blas_load() || !blas_set_threads_ptr) return 0;
    if (threads < 1) threads = 1;
    pthread_mutex_lock(&ff_blas_threads_lock);
    const int result = ff_blas_set_threads_locked(threads);
    __atomic_store_n(&blas_configured_threads, threads, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&ff_blas_threads_lock);
    return result;
}

int ff_blas_configured_threads(void) { return __atomic_load_n(&blas_configured_threads, __ATOMIC_RELAXED); }

int ff_blas_threads(void) {
    if (!ff_blas_load()) return 0;
    if (blas_get_threads_ptr) return blas_get_threads_ptr();
    return __atomic_load_n(&blas_current_threads, __ATOMIC_RELAXED);
}
