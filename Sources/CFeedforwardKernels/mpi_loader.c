// Run-time Open MPI: loads libmpi with dlopen so that the package builds and runs where MPI is not
// installed, and wraps the few collectives data-parallel training needs.
//
// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros over the addresses of
// global objects; they are taken here with dlsym. That is Open MPI's ABI only (MPICH numbers its
// handles), so the loader checks that MPI_Get_library_version names Open MPI.

#include "CFeedforwardKernels.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void *ff_mpi_handle;  // MPI_Comm, MPI_Datatype and MPI_Op are pointers in Open MPI

typedef int (*ff_mpi_init_thread_fn)(int *, char ***, int, int *);
typedef int (*ff_mpi_flag_fn)(int *);
typedef int (*ff_mpi_finalize_fn)(void);
typedef int (*ff_mpi_comm_int_fn)(ff_mpi_handle, int *);
typedef int (*ff_mpi_allreduce_fn)(const void *, void *, int, ff_mpi_handle, ff_mpi_handle, ff_mpi_handle);
typedef int (*ff_mpi_bcast_fn)(void *, int, ff_mpi_handle, int, ff_mpi_handle);
typedef int (*ff_mpi_barrier_fn)(ff_mpi_handle);
typedef int (*ff_mpi_abort_fn)(ff_mpi_handle, int);
typedef int (*ff_mpi_library_version_fn)(char *, int *);

enum { FF_MPI_THREAD_SERIALIZED = 2, FF_MPI_VERSION_CAPACITY = 256 };
#define FF_MPI_IN_PLACE ((void *)1)

static struct {
    ff_mpi_init_thread_fn init_thread;
    ff_mpi_flag_fn initialized;
    ff_mpi_flag_fn finalized;
    ff_mpi_finalize_fn finalize;
    ff_mpi_comm_int_fn comm_rank;
    ff_mpi_comm_int_fn comm_size;
    ff_mpi_allreduce_fn allreduce;
    ff_mpi_bcast_fn bcast;
    ff_mpi_barrier_fn barrier;
    ff_mpi_abort_fn abort;
    ff_mpi_handle comm_world, type_float, type_double, type_byte, op_sum;
} ff_mpi;

static pthread_once_t ff_mpi_once = PTHREAD_ONCE_INIT;
static ff_mpi_load_status ff_mpi_status = FF_MPI_NOT_FOUND;
static char ff_mpi_message[512];
static char ff_mpi_version[FF_MPI_VERSION_CAPACITY];
static double ff_mpi_seconds;  // time spent inside allreduce calls

static void *ff_mpi_symbol(void *handle, const char *name, int *missing) {
    void *symbol = dlsym(handle, name);
    if (symbol == NULL && !*missing) {
        *missing = 1;
        snprintf(ff_mpi_message, sizeof ff_mpi_message, "the MPI library lacks the symbol %s", name);
    }
    return symbol;
}

// Resolves everything from one opened library; returns the status and keeps the handle open on success.
static ff_mpi_load_status ff_mpi_bind(void *handle, const char *name) {
    int missing = 0;
    ff_mpi_library_version_fn version = (ff_mpi_library_version_fn)ff_mpi_symbol(handle, "MPI_Get_library_version", &missing);
    if (missing) return FF_MPI_MISSING_SYMBOL;
    int length = 0;
    if (version(ff_mpi_version, &length) != 0) ff_mpi_version[0] = '\0';
    ff_mpi_version[FF_MPI_VERSION_CAPACITY - 1] = '\0';
    if (strstr(ff_mpi_version, "Open MPI") == NULL) {
        char *newline = strchr(ff_mpi_version, '\n');
        if (newline) *newline = '\0';
        snprintf(ff_mpi_message, sizeof ff_mpi_message,
                 "%s is not Open MPI (it reports \"%.120s\"); only Open MPI's ABI is supported", name, ff_mpi_version);
        return FF_MPI_NOT_OPEN_MPI;
    }
    ff_mpi.init_thread = (ff_mpi_init_thread_fn)ff_mpi_symbol(handle, "MPI_Init_thread", &missing);
    ff_mpi.initialized = (ff_mpi_flag_fn)ff_mpi_symbol(handle, "MPI_Initialized", &missing);
    ff_mpi.finalized = (ff_mpi_flag_fn)ff_mpi_symbol(handle, "MPI_Finalized", &missing);
    ff_mpi.finalize = (ff_mpi_finalize_fn)ff_mpi_symbol(handle, "MPI_Finalize", &missing);
    ff_mpi.comm_rank = (ff_mpi_comm_int_fn)ff_mpi_symbol(handle, "MPI_Comm_rank", &missing);
    ff_mpi.comm_size = (ff_mpi_comm_int_fn)ff_mpi_symbol(handle, "MPI_Comm_size", &missing);
    ff_mpi.allreduce = (ff_mpi_allreduce_fn)ff_mpi_symbol(handle, "MPI_Allreduce", &missing);
    ff_mpi.bcast = (ff_mpi_bcast_fn)ff_mpi_symbol(handle, "MPI_Bcast", &missing);
    ff_mpi.barrier = (ff_mpi_barrier_fn)ff_mpi_symbol(handle, "MPI_Barrier", &missing);
    ff_mpi.abort = (ff_mpi_abort_fn)ff_mpi_symbol(handle, "MPI_Abort", &missing);
    ff_mpi.comm_world = ff_mpi_symbol(handle, "ompi_mpi_comm_world", &missing);
    ff_mpi.type_float = ff_mpi_symbol(handle, "ompi_mpi_float", &missing);
    ff_mpi.type_double = ff_mpi_symbol(handle, "ompi_mpi_double", &missing);
    ff_mpi.type_byte = ff_mpi_symbol(handle, "ompi_mpi_byte", &missing);
    ff_mpi.op_sum = ff_mpi_symbol(handle, "ompi_mpi_op_sum", &missing);
    return missing ? FF_MPI_MISSING_SYMBOL : FF_MPI_LOADED;
}

static void ff_mpi_load_once(void) {
    static const char *const defaults[] = {"libmpi.so.40", "libmpi.so"};
    const char *requested = getenv("FEEDFORWARD_MPI");
    const char *const *names = defaults;
    size_t count = sizeof defaults / sizeof defaults[0];
    if (requested != NULL && requested[0] != '\0') {
        names = &requested;
        count = 1;
    }
    snprintf(ff_mpi_message, sizeof ff_mpi_message, "no Open MPI library found (tried %s%s); install openmpi-bin or set FEEDFORWARD_MPI to the path of libmpi.so",
             names[0], count > 1 ? " and libmpi.so" : "");
    for (size_t i = 0; i < count; i++) {
        // RTLD_GLOBAL: Open MPI's components, which it opens itself, resolve symbols against libmpi.
        void *handle = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
        if (handle == NULL) continue;
        ff_mpi_status = ff_mpi_bind(handle, names[i]);
        if (ff_mpi_status == FF_MPI_LOADED) return;  // the handle stays open for the life of the process
        dlclose(handle);
        return;  // a library was found but is unusable: report why rather than trying another name
    }
}

ff_mpi_load_status ff_mpi_load(void) {
    pthread_once(&ff_mpi_once, ff_mpi_load_once);
    return ff_mpi_status;
}

const char *ff_mpi_load_message(void) {
    ff_mpi_load();
    return ff_mpi_status == FF_MPI_LOADED ? NULL : ff_mpi_message;
}

const char *ff_mpi_library_version(void) {
    return ff_mpi_load() == FF_MPI_LOADED ? ff_mpi_version : NULL;
}

static void ff_mpi_finalize_at_exit(void) {
    int finalized = 0;
    ff_mpi.finalized(&finalized);
    if (!finalized) ff_mpi.finalize();
}

int ff_mpi_initialize(void) {
    if (ff_mpi_load() != FF_MPI_LOADED) return -1;
    int initialized = 0;
    ff_mpi.initialized(&initialized);
    if (initialized) return 0;
    int provided = 0;
    int rc = ff_mpi.init_thread(NULL, NULL, FF_MPI_THREAD_SERIALIZED, &provided);
    if (rc == 0) atexit(ff_mpi_finalize_at_exit);
    return rc;
}

int ff_mpi_rank(void) {
    int rank = 0;
    ff_mpi.comm_rank(ff_mpi.comm_world, &rank);
    return rank;
}

int ff_mpi_size(void) {
    int size = 1;
    ff_mpi.comm_size(ff_mpi.comm_world, &size);
    return size;
}

static double ff_mpi_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// MPI counts are int: larger buffers travel in pieces of at most INT_MAX elements.
static int ff_mpi_allreduce_sum(void *buffer, size_t count, size_t element_size, ff_mpi_handle type) {
    double start = ff_mpi_now();
    char *bytes = buffer;
    int rc = 0;
    while (count > 0 && rc == 0) {
        int piece = count > INT_MAX ? INT_MAX : (int)count;
        rc = ff_mpi.allreduce(FF_MPI_IN_PLACE, bytes, piece, type, ff_mpi.op_sum, ff_mpi.comm_world);
        bytes += (size_t)piece * element_size;
        count -= (size_t)piece;
    }
    ff_mpi_seconds += ff_mpi_now() - start;
    return rc;
}

int ff_mpi_allreduce_sum_float(float *buffer, size_t count) {
    return ff_mpi_allreduce_sum(buffer, count, sizeof(float), ff_mpi.type_float);
}

int ff_mpi_allreduce_sum_double(double *buffer, size_t count) {
    return ff_mpi_allreduce_sum(buffer, count, sizeof(double), ff_mpi.type_double);
}

int ff_mpi_broadcast(void *buffer, size_t byte_count, int root) {
    char *bytes = buffer;
    int rc = 0;
    while (byte_count > 0 && rc == 0) {
        int piece = byte_count > INT_MAX ? INT_MAX : (int)byte_count;
        rc = ff_mpi.bcast(bytes, piece, ff_mpi.type_byte, root, ff_mpi.comm_world);
        bytes += piece;
        byte_count -= (size_t)piece;
    }
    return rc;
}

int ff_mpi_barrier(void) { return ff_mpi.barrier(ff_mpi.comm_world); }

void ff_mpi_abort(int code) {
    ff_mpi.abort(ff_mpi.comm_world, code);
    _Exit(code);  // MPI_Abort does not return; should it, leave without running exit handlers
}

double ff_mpi_allreduce_seconds(void) { return ff_mpi_seconds; }
