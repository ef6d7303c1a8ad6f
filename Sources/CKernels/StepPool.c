// A persistent helper pool for the per-timestep row splits of the recurrent loops.
//
// Splitting an LSTM(256) step of a 64-row batch over two cores through DispatchQueue.concurrentPerform
// gained only ~8% here: the helper thread sleeps between steps and waking it costs about as much as
// the half step it saves (~100 µs on this VM). These helpers instead spin for a short while after
// each job, so the next timestep (a few µs later) starts at once, and block on a condition variable
// after SPIN_SECONDS without work: unlike OpenBLAS's 0.1 s of sched_yield spinning, an idle pool
// costs at most that much CPU after a recurrent pass ends.
#include "CKernels.h"
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#define MAX_HELPERS 3
#define SPIN_SECONDS 200e-6

static struct {
    pthread_mutex_t lock;  // guards `sleepers` and the condition wait
    pthread_cond_t wake;
    int sleepers;
    int helpers;                 // threads started (chunk indices 1...helpers)
    atomic_long generation;      // bumped once per job; helpers run one chunk per new generation
    atomic_long remaining;       // helpers that have not finished the current job
    atomic_flag busy;            // one job at a time; other callers fall back
    lk_chunk_fn fn;              // the current job, published before `generation` (release)
    void *context;
    long chunks;
    long startGeneration[MAX_HELPERS + 1];  // the generation each helper was started at (it waits for the next)
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, ATOMIC_FLAG_INIT, 0, 0, 0, {0}};

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *helper_main(void *arg) {
    long index = (long)arg;
    long seen = pool.startGeneration[index];  // written before pthread_create, so visible here
    for (;;) {
        long g;
        double spinStart = 0;
        unsigned spins = 0;
        while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            _mm_pause();
            if (++spins % 256) continue;
            if (spinStart == 0) {
                spinStart = seconds();
            } else if (seconds() - spinStart > SPIN_SECONDS) {
                pthread_mutex_lock(&pool.lock);
                pool.sleepers++;
                while (atomic_load_explicit(&pool.generation, memory_order_acquire) == seen)
                    pthread_cond_wait(&pool.wake, &pool.lock);
                pool.sleepers--;
                pthread_mutex_unlock(&pool.lock);
                spinStart = 0;
            }
        }
        seen = g;
        if (index < pool.chunks) pool.fn(pool.context, index);
        atomic_fetch_sub_explicit(&pool.remaining, 1, memory_order_acq_rel);
    }
    return 0;
}

// A forked child has only the forking thread: forget the helpers so its first job starts new ones
// instead of waiting forever for threads that do not exist there.
static void reset_in_child(void) {
    pthread_mutex_init(&pool.lock, 0);
    pthread_cond_init(&pool.wake, 0);
    pool.sleepers = 0;
    pool.helpers = 0;
    atomic_store_explicit(&pool.remaining, 0, memory_order_relaxed);
    atomic_flag_clear_explicit(&pool.busy, memory_order_relaxed);
}

int lk_parallel_chunks(long chunks, lk_chunk_fn fn, void *context) {
    if (chunks <= 1) {
        fn(context, 0);
        return 1;
    }
    if (chunks - 1 > MAX_HELPERS) return 0;
    if (atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) return 0;  // in use elsewhere
    static int registered;
    if (!registered) registered = pthread_atfork(0, 0, reset_in_child) == 0;
    while (pool.helpers < chunks - 1) {  // started lazily, only under `busy`
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        pool.startGeneration[pool.helpers + 1] = atomic_load_explicit(&pool.generation, memory_order_relaxed);
        int failed = pthread_create(&thread, &attributes, helper_main, (void *)(long)(pool.helpers + 1));
        pthread_attr_destroy(&attributes);
        if (failed) {
            atomic_flag_clear_explicit(&pool.busy, memory_order_release);
            return 0;
        }
        pool.helpers++;
    }
    pool.fn = fn;
    pool.context = context;
    pool.chunks = chunks;
    atomic_store_explicit(&pool.remaining, pool.helpers, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    pthread_mutex_lock(&pool.lock);
    if (pool.sleepers) pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    fn(context, 0);
    unsigned spins = 0;
    while (atomic_load_explicit(&pool.remaining, memory_order_acquire) > 0) {
        _mm_pause();
        if (++spins % 4096 == 0) sched_yield();  // a descheduled helper on a busy machine
    }
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    return 1;
}
