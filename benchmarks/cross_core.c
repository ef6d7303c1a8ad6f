// What moving data between this machine's cores costs, for benchmarks/RESULTS.md ("The tutorial
// autoencoder"): the one-way latency of a cache line bounced between CPUs 0 and 1, and LSTMKit's Adam kernel
// over the tutorial autoencoder's 248,576 weights when the same core, or the other one, last wrote the
// gradient (and read the weights), as happens when two cores share a training step's products.
//
// Build and run from the repository root after `make build`:
//   gcc -O2 -pthread benchmarks/cross_core.c -o build/cross_core -L.build/debug -lLSTMKit
//       -Wl,-rpath,$PWD/.build/debug && build/cross_core      (one command line)
// Prints one JSON object. On a VM whose vCPUs the host moves, run it a few times: the latency is bimodal.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void lk_adam_update(float *w, const float *g, float *m, float *v, long n, float alpha, float b1c, float b2c, float eps);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

#define BOUNCES 200000
static _Alignas(64) atomic_long ball;

static void *bounce_back(void *arg) {
    (void)arg;
    pin(1);
    for (long i = 0; i < BOUNCES; i++) {
        while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i + 1) {}
        atomic_store_explicit(&ball, 2 * i + 2, memory_order_release);
    }
    return 0;
}

#define N 248576
static float *w, *g, *m, *v;
static volatile float sink;

// A training step's share of one core: read weights [from, to), write the gradient there.
static void *touch(void *arg) {
    long part = (long)arg;
    pin(1);
    long from = part ? N / 2 : 0, to = N;
    float s = 0;
    for (long k = from; k < to; k++) {
        s += w[k];
        g[k] = s * 1e-9f;
    }
    sink = s;
    return 0;
}

static double adam_after(int other_core_writes_half, int rounds) {
    double total = 0;
    for (int r = 0; r < rounds; r++) {
        if (other_core_writes_half) {
            pthread_t t;
            pthread_create(&t, 0, touch, (void *)1L);
            pthread_join(t, 0);
            float s = 0;  // this core's half
            for (long k = 0; k < N / 2; k++) { s += w[k]; g[k] = s * 1e-9f; }
            sink = s;
        } else {
            float s = 0;
            for (long k = 0; k < N; k++) { s += w[k]; g[k] = s * 1e-9f; }
            sink = s;
        }
        double start = now();
        lk_adam_update(w, g, m, v, N, 0.001f, 0.1f, 0.001f, 1e-7f);
        total += now() - start;
    }
    return total / rounds * 1e6;
}

int main(void) {
    pin(0);
    pthread_t t;
    pthread_create(&t, 0, bounce_back, 0);
    double start = now();
    for (long i = 0; i < BOUNCES; i++) {
        atomic_store_explicit(&ball, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i + 2) {}
    }
    double one_way_ns = (now() - start) / BOUNCES / 2 * 1e9;
    pthread_join(t, 0);

    w = aligned_alloc(64, N * sizeof(float));
    g = aligned_alloc(64, N * sizeof(float));
    m = aligned_alloc(64, N * sizeof(float));
    v = aligned_alloc(64, N * sizeof(float));
    memset(w, 0, N * sizeof(float));
    memset(g, 0, N * sizeof(float));
    memset(m, 0, N * sizeof(float));
    memset(v, 0, N * sizeof(float));
    adam_after(0, 20);  // warm-up
    double same = adam_after(0, 300), shared = adam_after(1, 300);
    printf("{\"one_way_ns\": %.1f, \"adam_us_same_core\": %.1f, \"adam_us_other_core_wrote_half\": %.1f}\n",
           one_way_ns, same, shared);
    return 0;
}
