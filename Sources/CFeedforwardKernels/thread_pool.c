// The built-in kernels' thread count and their thread pool (the GEMM, the optimizer steps and the other
// element-wise kernels that split their work run on it).
#include "CFeedforwardKernels.h"
#include "ff_internal.h"

#include <pthread.h>

#if FF_HAVE_X86_KERNELS
#include <immintrin.h>
#endif

static int builtin_threads = 1;

void ff_builtin_set_threads(int threads) {
    if (threads < 1) threads = 1;
    if (threads > FF_MAX_THREADS) threads = FF_MAX_THREADS;
    __atomic_store_n(&builtin_threads, threads, __ATOMIC_RELAXED);
}

int ff_builtin_threads(void) { return __atomic_load_n(&builtin_threads, __ATOMIC_RELAXED); }

// ---------------------------------------------------------------------------------------------
// Thread pool: helper threads started on first need and kept, parked on a condition variable after a
// short spin. Starting a pthread per call costs tens of microseconds, as much as a 128x256x256
// product takes on one core; waking a parked one costs a few. Jobs are claimed, not assigned: the
// caller takes job 0 and then any job no helper has started, so a helper that the scheduler runs late
// (on a busy machine) costs at most the time of running its part on the caller.
// ---------------------------------------------------------------------------------------------

static pthread_mutex_t pool_use = PTHREAD_MUTEX_INITIALIZER;  // held by the one caller using the pool
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_done = PTHREAD_COND_INITIALIZER;
static int pool_workers = 0;          // helper threads started (guarded by pool_use)
static uint64_t pool_generation = 0;  // bumped for every round of work
static uint64_t pool_claim = 0;       // the round's generation (low 32 bits) << 32 | next unclaimed job
static int pool_count = 0;            // jobs in the current round
static int pool_remaining = 0;        // jobs of the current round not yet finished
static void *(*pool_fn)(void *);
static char *pool_jobs;
static size_t pool_job_size;

#define FF_SPIN_ROUNDS 4000

static inline void cpu_relax(void) {
#if FF_HAVE_X86_KERNELS
    _mm_pause();
#endif
}

/// Claims the next job of round `round`; -1 when all are claimed or that round is over.
static int pool_claim_job(uint32_t round, int count) {
    uint64_t v = __atomic_load_n(&pool_claim, __ATOMIC_ACQUIRE);
    for (;;) {
        if ((uint32_t)(v >> 32) != round || (int)(uint32_t)v >= count) return -1;
        if (__atomic_compare_exchange_n(&pool_claim, &v, v + 1, 1, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return (int)(uint32_t)v;
    }
}

/// Runs jobs of round `round` until none is left to claim; whoever finishes the last one wakes the caller.
static void pool_run_jobs(uint32_t round, int count, void *(*fn)(void *), char *jobs, size_t size) {
    int t;
    while ((t = pool_claim_job(round, count)) >= 0) {
        fn(jobs + size * (size_t)t);
        if (__atomic_sub_fetch(&pool_remaining, 1, __ATOMIC_ACQ_REL) == 0) {
            pthread_mutex_lock(&pool_mu);
            pthread_cond_signal(&pool_done);
            pthread_mutex_unlock(&pool_mu);
        }
    }
}

static void *pool_worker(void *arg) {
    (void)arg;
    uint64_t seen = 0;
    for (;;) {
        uint64_t gen;
        int spins = 0;
        while ((gen = __atomic_load_n(&pool_generation, __ATOMIC_ACQUIRE)) == seen && spins < FF_SPIN_ROUNDS) {
            cpu_relax();
            spins++;
        }
        // Take a consistent snapshot of the round under the mutex (the caller publishes a round's
        // parameters and its generation together under it); a stale snapshot claims nothing, since
        // pool_claim_job checks the round.
        pthread_mutex_lock(&pool_mu);
        while ((gen = __atomic_load_n(&pool_generation, __ATOMIC_ACQUIRE)) == seen)
            pthread_cond_wait(&pool_wake, &pool_mu);
        const int count = pool_count;
        void *(*fn)(void *) = pool_fn;
        char *jobs = pool_jobs;
        const size_t size = pool_job_size;
        pthread_mutex_unlock(&pool_mu);
        seen = gen;
        pool_run_jobs((uint32_t)gen, count, fn, jobs, size);
    }
    return NULL;
}

void ff_run_parallel(int threads, void *(*fn)(void *), void *jobs, size_t size) {
    if (threads > 1 && pthread_mutex_trylock(&pool_use) == 0) {
        while (pool_workers < threads - 1) {
            pthread_t tid;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            int ok = pthread_create(&tid, &attr, pool_worker, NULL) == 0;
            pthread_attr_destroy(&attr);
            if (!ok) break;
            pool_workers++;
        }
        pthread_mutex_lock(&pool_mu);
        pool_fn = fn;
        pool_jobs = (char *)jobs;
        pool_job_size = size;
        pool_count = threads;
        __atomic_store_n(&pool_remaining, threads, __ATOMIC_RELEASE);
        const uint64_t gen = __atomic_add_fetch(&pool_generation, 1, __ATOMIC_RELEASE);
        __atomic_store_n(&pool_claim, (uint64_t)(uint32_t)gen << 32, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&pool_wake);
        pthread_mutex_unlock(&pool_mu);
        pool_run_jobs((uint32_t)gen, threads, fn, (char *)jobs, size);
        int spins = 0;
        while (__atomic_load_n(&pool_remaining, __ATOMIC_ACQUIRE) != 0 && spins < FF_SPIN_ROUNDS * 4) {
            cpu_relax();
            spins++;
        }
        if (__atomic_load_n(&pool_remaining, __ATOMIC_ACQUIRE) != 0) {
            pthread_mutex_lock(&pool_mu);
            while (__atomic_load_n(&pool_remaining, __ATOMIC_ACQUIRE) != 0) pthread_cond_wait(&pool_done, &pool_mu);
            pthread_mutex_unlock(&pool_mu);
        }
        pthread_mutex_unlock(&pool_use);
        return;
    }
    for (int t = 0; t < threads; t++) fn((char *)jobs + size * (size_t)t);
}
