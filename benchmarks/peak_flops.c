// Single-precision FMA throughput of this machine: the "100 % of peak" that benchmarks/lstm_bench.py
// reports LSTMKit's and the other frameworks' GFLOP/s against.
//
// Each thread runs 12 independent chains of vector FMAs (enough to hide a 4-cycle FMA latency on two
// FMA pipes) over registers only, so nothing but the FMA units limits it. Measured with AVX-512
// (16 lanes) and AVX2 (8 lanes) when the CPU has them; the larger figure is the peak (Zen 4 runs a
// 512-bit FMA as two 256-bit halves, so both give the same there). Prints one JSON object.
//
// Usage: peak_flops [seconds per measurement, default 0.5]
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#define CHAINS 12
#define INNER 1000

// Twelve accumulators in named variables (an array would live in memory at -O2).
#define DECLARE(T, set) T c0 = set(0), c1 = set(1), c2 = set(2), c3 = set(3), c4 = set(4), c5 = set(5), \
                        c6 = set(6), c7 = set(7), c8 = set(8), c9 = set(9), c10 = set(10), c11 = set(11)
#define STEP(f) c0 = f(c0, a, b); c1 = f(c1, a, b); c2 = f(c2, a, b); c3 = f(c3, a, b); c4 = f(c4, a, b); \
                c5 = f(c5, a, b); c6 = f(c6, a, b); c7 = f(c7, a, b); c8 = f(c8, a, b); c9 = f(c9, a, b); \
                c10 = f(c10, a, b); c11 = f(c11, a, b)
#define SUM(add) add(add(add(add(c0, c1), add(c2, c3)), add(add(c4, c5), add(c6, c7))), add(add(c8, c9), add(c10, c11)))

__attribute__((target("avx512f"))) static __m512 set512(int i) { return _mm512_set1_ps((float)i); }
__attribute__((target("avx2,fma"))) static __m256 set256(int i) { return _mm256_set1_ps((float)i); }

__attribute__((target("avx512f"))) static double run512(long rounds) {
    __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    DECLARE(__m512, set512);
    for (long r = 0; r < rounds * INNER; r++) { STEP(_mm512_fmadd_ps); }
    float out[16];
    _mm512_storeu_ps(out, SUM(_mm512_add_ps));
    return out[0];  // used, so the loop is kept
}

__attribute__((target("avx2,fma"))) static double run256(long rounds) {
    __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    DECLARE(__m256, set256);
    for (long r = 0; r < rounds * INNER; r++) { STEP(_mm256_fmadd_ps); }
    float out[8];
    _mm256_storeu_ps(out, SUM(_mm256_add_ps));
    return out[0];
}

typedef struct {
    int width;  // 16 or 8 lanes
    long rounds;
    double seconds, sink;
    pthread_barrier_t *start;
} job_t;

static void *worker(void *arg) {
    job_t *j = arg;
    pthread_barrier_wait(j->start);
    double t = now();
    j->sink = j->width == 16 ? run512(j->rounds) : run256(j->rounds);
    j->seconds = now() - t;
    return NULL;
}

// GFLOP/s of `threads` threads each running `rounds` rounds (2 FLOPs per lane per FMA).
static double measure(int width, int threads, long rounds) {
    pthread_t ids[64];
    job_t jobs[64];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job_t){width, rounds, 0, 0, &start};
        pthread_create(&ids[i], NULL, worker, &jobs[i]);
    }
    double slowest = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        if (jobs[i].seconds > slowest) slowest = jobs[i].seconds;
    }
    pthread_barrier_destroy(&start);
    double flops = 2.0 * width * CHAINS * INNER * (double)rounds * threads;
    return flops / slowest / 1e9;
}

// Best of five measurements of about `seconds` each.
static double best(int width, int threads, double seconds) {
    long rounds = 100;
    while (1) {  // calibrate on one thread
        double t = now();
        measure(width, 1, rounds);
        if (now() - t > 0.05) break;
        rounds *= 2;
    }
    double per = 0.05 / (double)rounds;
    rounds = (long)(seconds / per) + 1;
    double top = 0;
    for (int k = 0; k < 5; k++) {
        double g = measure(width, threads, rounds);
        if (g > top) top = g;
    }
    return top;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0.5;
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (cores > 64) cores = 64;
    __builtin_cpu_init();
    int has512 = __builtin_cpu_supports("avx512f"), has256 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    double a1 = has512 ? best(16, 1, seconds) : 0, an = has512 ? best(16, cores, seconds) : 0;
    double b1 = has256 ? best(8, 1, seconds) : 0, bn = has256 ? best(8, cores, seconds) : 0;
    double p1 = a1 > b1 ? a1 : b1, pn = an > bn ? an : bn;
    printf("{\"threads\": %d, \"avx512_1\": %.1f, \"avx512_all\": %.1f, \"avx2_1\": %.1f, \"avx2_all\": %.1f, "
           "\"peak_1\": %.1f, \"peak_all\": %.1f}\n", cores, a1, an, b1, bn, p1, pn);
    return 0;
}
