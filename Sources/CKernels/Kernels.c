// Elementwise kernels, one body each, compiled per instruction set through target attributes.
//
// The bodies are plain scalar loops marked always_inline; the target-specific wrappers inline them,
// so the auto-vectoriser widens each loop to the wrapper's vector width (4, 8 or 16 lanes). The C
// target is built with -ffp-contract=off, so no variant fuses a multiply and an add: every variant
// rounds exactly like the scalar formula and like the Swift SIMD code these loops replaced.
#include "CKernels.h"
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

// MARK: - Bodies

INLINE void adam_body(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                      long n, float alpha, float b1c, float b2c, float eps) {
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        float mi = m[i] + (gi - m[i]) * b1c;
        float vi = v[i] + (gi * gi - v[i]) * b2c;
        m[i] = mi;
        v[i] = vi;
        w[i] -= (mi * alpha) / (__builtin_sqrtf(vi) + eps);
    }
}

// e^x by range reduction x = k·ln2 + r and a degree-6 polynomial in r (Cephes expf).
INLINE float exp_approx(float x) {
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    // Adding 1.5·2²³ rounds to an integer (|x·log2 e| < 2²²) and leaves it in the low mantissa bits.
    float shifted = x * 1.44269504088896341f + 12582912.0f;
    float fx = shifted - 12582912.0f;
    x = x - fx * 0.693359375f;
    x = x + fx * 2.12194440e-4f;
    float z = x * x;
    float y = 1.9875691500e-4f;
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * z + x + 1.0f;
    // 2^k by building the float's exponent bits.
    int bits;
    memcpy(&bits, &shifted, sizeof bits);
    int k = bits - 0x4B400000;
    int pow2bits = (k + 127) << 23;
    float pow2;
    memcpy(&pow2, &pow2bits, sizeof pow2);
    return y * pow2;
}

INLINE void sigmoid_body(float *restrict p, long n) {
    for (long i = 0; i < n; i++) p[i] = 1.0f / (1.0f + exp_approx(-p[i]));
}

// tanh: an odd polynomial for |x| < 0.625, 1 − 2/(e^{2|x|} + 1) with the sign restored above.
INLINE void tanh_body(float *restrict p, long n) {
    for (long i = 0; i < n; i++) {
        float x = p[i];
        float a = x < 0 ? -x : x;
        float big = 1.0f - 2.0f / (exp_approx(2.0f * a) + 1.0f);
        float signedBig = x < 0 ? -big : big;
        float z = x * x;
        float q = -5.70498872745e-3f;
        q = q * z + 2.06390887954e-2f;
        q = q * z - 5.37397155531e-2f;
        q = q * z + 1.33314422036e-1f;
        q = q * z - 3.33332819422e-1f;
        float small = q * z * x + x;
        p[i] = a >= 0.625f ? signedBig : small;
    }
}

// MARK: - Variants

#define VARIANTS(suffix, attr)                                                                       \
    attr static void adam_##suffix(float *w, const float *g, float *m, float *v, long n, float alpha, \
                                   float b1c, float b2c, float eps) {                                \
        adam_body(w, g, m, v, n, alpha, b1c, b2c, eps);                                              \
    }                                                                                                \
    attr static void sigmoid_##suffix(float *p, long n) { sigmoid_body(p, n); }                      \
    attr static void tanh_##suffix(float *p, long n) { tanh_body(p, n); }

VARIANTS(baseline, )
VARIANTS(avx2, __attribute__((target("avx2"))))
VARIANTS(avx512, __attribute__((target("avx512f"))))

// MARK: - Dispatch

typedef struct {
    const char *name;
    void (*adam)(float *, const float *, float *, float *, long, float, float, float, float);
    void (*sigmoid)(float *, long);
    void (*tanh)(float *, long);
} KernelTable;

static const KernelTable *select_table(void) {
    static const KernelTable baseline = {"baseline", adam_baseline, sigmoid_baseline, tanh_baseline};
    static const KernelTable avx2 = {"avx2", adam_avx2, sigmoid_avx2, tanh_avx2};
    static const KernelTable avx512 = {"avx512", adam_avx512, sigmoid_avx512, tanh_avx512};
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return &avx512;
    if (__builtin_cpu_supports("avx2")) return &avx2;
    return &baseline;
}

// Chosen once; a race on first use only stores the same pointer twice.
static const KernelTable *table(void) {
    static const KernelTable *chosen;
    const KernelTable *t = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (!t) {
        t = select_table();
        __atomic_store_n(&chosen, t, __ATOMIC_RELEASE);
    }
    return t;
}

void lk_adam_update(float *w, const float *g, float *m, float *v, long n, float alpha, float b1c, float b2c,
                    float eps) {
    table()->adam(w, g, m, v, n, alpha, b1c, b2c, eps);
}

void lk_sigmoid(float *p, long n) { table()->sigmoid(p, n); }

void lk_tanh(float *p, long n) { table()->tanh(p, n); }

const char *lk_kernel_variant(void) { return table()->name; }
