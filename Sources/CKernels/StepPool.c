// A persistent helper pool for the per-timestep row splits of the recurrent loops and the per-core
// shares of small products (WeightRows.swift).
//
// Splitting an LSTM(256) step of a 64-row batch over two cores through DispatchQueue.concurrentPerform
// gained only ~8% here: the helper thread sleeps between steps and waking it costs about as much as
// the half step it saves (~100 µs on this VM). These helpers instead spin for a short while after
// each job, so the next timestep (a few µs later) starts at once, and block on a condition variable
// after SPIN_SECONDS without work: unlike OpenBLAS's 0.1 s of sched_yield spinning, an idle pool
// costs at most that much CPU after a recurrent pass ends.
//
// Chunk i is meant for helper i (WeightRows relies on the same core handling the same chunk), but each
// chunk is claimed before it runs, and the caller claims and runs any chunk whose helper has not
// claimed it STEAL_SECONDS after the caller finished its own. A helper that sleeps, or that the
// scheduler placed on the caller's core (a new thread starts there, and a spinning caller keeps it
// from running until the load balancer moves it: ~90 ms of a first fit on the 2-vCPU test VM), then
// costs that delay instead of a wait for the scheduler.
#define _GNU_SOURCE
#include "CKernels.h"
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#define MAX_HELPERS 3
#define SPIN_SECONDS 200e-6
#define STEAL_SECONDS 5e-6

static struct {
    pthread_mutex_t lock;  // guards `sleepers` and the condition wait
    pthread_cond_t wake;
    int sleepers;
    int helpers;                 // threads started (chunk indices 1...helpers)
    atomic_long generation;      // bumped once per job; helpers run one chunk per new generation
    atomic_long finished;        // chunks of the current job that have finished
    atomic_int claimed[MAX_HELPERS + 1];  // per chunk: taken by its helper or by the caller
    atomic_flag busy;            // one job at a time; other callers fall back
    lk_chunk_fn fn;              // the current job, published before `generation` (release)
    void *context;
    atomic_long chunks;          // read by a helper before it claims (a late one may see the next job's)
    long startGeneration[MAX_HELPERS + 1];  // the generation each helper was started at (it waits for the next)
    int restoreAffinity[MAX_HELPERS + 1];   // whether the helper was started away from the caller's CPU
    cpu_set_t allowed;                      // the process's CPUs when the helpers were started
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, {0}, ATOMIC_FLAG_INIT, 0, 0, 0, {0}};

// Runs chunk i of the current job if nobody has claimed it yet.
static void run_if_unclaimed(long i) {
    if (atomic_exchange_explicit(&pool.claimed[i], 1, memory_order_acq_rel)) return;
    pool.fn(pool.context, i);
    atomic_fetch_add_explicit(&pool.finished, 1, memory_order_acq_rel);
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *helper_main(void *arg) {
    long index = (long)arg;
    long seen = pool.startGeneration[index];  // written before pthread_create, so visible here
    // Started on another CPU than the caller's (see lk_parallel_chunks); from here on the scheduler may move it.
    if (pool.restoreAffinity[index]) pthread_setaffinity_np(pthread_self(), sizeof pool.allowed, &pool.allowed);
    for (;;) {
        long g;
        double spinStart = 0;
        unsigned spins = 0;
        while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            _mm_pause();
            if (++spins % 256) continue;
            // Let the caller run should the scheduler have put both on one CPU (it may, for a while).
            if (spins % 8192 == 0) sched_yield();
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
        // The claim (acquire) orders the reads of fn, context and chunks after the caller wrote them for
        // the job whose claims it reset; a helper late enough to see a newer job's reset runs that job's chunk.
        if (index < atomic_load_explicit(&pool.chunks, memory_order_relaxed)) run_if_unclaimed(index);
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
    atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
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
        // A new thread starts on its creator's CPU, where it and the spinning caller would take turns until
        // the load balancer moves one (tens of ms: most of a first autoencoder fit here). It starts on any
        // other allowed CPU instead and widens its mask back once running.
        int cpu = sched_getcpu();
        pool.restoreAffinity[pool.helpers + 1] = 0;
        if (cpu >= 0 && sched_getaffinity(0, sizeof pool.allowed, &pool.allowed) == 0 && CPU_ISSET(cpu, &pool.allowed)
            && CPU_COUNT(&pool.allowed) > 1) {
            cpu_set_t others = pool.allowed;
            CPU_CLR(cpu, &others);
            if (pthread_attr_setaffinity_np(&attributes, sizeof others, &others) == 0)
                pool.restoreAffinity[pool.helpers + 1] = 1;
        }
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
    atomic_store_explicit(&pool.chunks, chunks, memory_order_relaxed);
    atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.claimed[0], 1, memory_order_relaxed);
    for (long i = 1; i < chunks; i++) atomic_store_explicit(&pool.claimed[i], 0, memory_order_release);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    pthread_mutex_lock(&pool.lock);
    if (pool.sleepers) pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    fn(context, 0);
    atomic_fetch_add_explicit(&pool.finished, 1, memory_order_acq_rel);
    unsigned spins = 0;
    double since = 0;
    while (atomic_load_explicit(&pool.finished, memory_order_acquire) < chunks) {
        _mm_pause();
        if (++spins % 64) continue;
        if (since == 0) {
            since = seconds();
        } else if (seconds() - since > STEAL_SECONDS) {
            for (long i = 1; i < chunks; i++) run_if_unclaimed(i);   // a helper that has not started
            if (spins % 4096 == 0) sched_yield();   // a claimed chunk whose helper was descheduled
        }
    }
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    return 1;
}

static void nothing(void *context, long chunk) {
    (void)context;
    (void)chunk;
}

double lk_parallel_handoff_ns(long chunks, long jobs) {
    double best = -1;
    for (int batch = 0; batch < 3; batch++) {
        double start = seconds();
        for (long j = 0; j < jobs; j++) {
            if (!lk_parallel_chunks(chunks, nothing, 0)) return -1;
        }
        double each = (seconds() - start) / (double)jobs * 1e9;
        if (best < 0 || each < best) best = each;
    }
    return best;
}

static _Thread_local int single_threaded_depth;

int lk_single_threaded_depth(int delta) {
    single_threaded_depth += delta;
    return single_threaded_depth;
}

// The hand-off measurement WeightRows schedules by: one countdown and one result for every thread.
static atomic_long probe_countdown;
static _Atomic double last_handoff = -1;

int lk_probe_due(long interval) {
    long left = atomic_fetch_sub_explicit(&probe_countdown, 1, memory_order_relaxed);
    if (left > 0) return 0;
    atomic_store_explicit(&probe_countdown, interval - 1, memory_order_relaxed);
    return 1;
}

double lk_last_handoff(void) { return atomic_load_explicit(&last_handoff, memory_order_relaxed); }

void lk_set_last_handoff(double ns) { atomic_store_explicit(&last_handoff, ns, memory_order_relaxed); }
