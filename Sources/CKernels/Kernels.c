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


// One row of an LSTM step (sigmoid gates, `act` = tanh or relu), units k < w. z holds the row's
// pre-activations [i f g o], w each, and keeps the gate values for the backward pass.
INLINE float lstm_act(float x, int relu) {
    if (relu) return 0.0f >= x ? 0.0f : x;   // Swift.max(x, 0)
    float one = x;
    tanh_body(&one, 1);
    return one;
}

INLINE void lstm_forward_body(float *restrict z, const float *restrict bias, float *restrict c, float *restrict tc,
                              float *restrict h, float *restrict out, long w, int relu) {
    if (bias) {
        for (long k = 0; k < 4 * w; k++) z[k] = z[k] + bias[k];
    }
    sigmoid_body(z, 2 * w);
    if (relu) {
        for (long k = 0; k < w; k++) z[2 * w + k] = 0.0f >= z[2 * w + k] ? 0.0f : z[2 * w + k];
    } else {
        tanh_body(z + 2 * w, w);
    }
    sigmoid_body(z + 3 * w, w);
    for (long k = 0; k < w; k++) {
        float cn = z[w + k] * c[k] + z[k] * z[2 * w + k];
        c[k] = cn;
        float t = lstm_act(cn, relu);
        tc[k] = t;
        float hk = z[3 * w + k] * t;
        h[k] = hk;
        out[k] = hk;
    }
}

INLINE void lstm_backward_body(const float *restrict z, const float *restrict tc, const float *restrict cprev,
                               const float *restrict dout, float *restrict dh, float *restrict carry,
                               float *restrict dc, float *restrict dz, long w, int relu) {
    if (dout) {
        for (long k = 0; k < w; k++) carry[k] = carry[k] + dout[k];
    }
    for (long k = 0; k < w; k++) {
        float dhk = dh[k] + carry[k];
        dh[k] = dhk;
        carry[k] = 0.0f;
        float i = z[k], f = z[w + k], g = z[2 * w + k], o = z[3 * w + k], t = tc[k];
        float dzo = dhk * t;
        float dt = dhk * o;
        dt = relu ? (t <= 0.0f ? 0.0f : dt) : dt * (1.0f - t * t);
        float dck = dc[k] + dt;
        float dzi = dck * g, dzf = dck * cprev[k], dzg = dck * i;
        dc[k] = dck * f;
        dz[k] = dzi * (i * (1.0f - i));
        dz[w + k] = dzf * (f * (1.0f - f));
        dz[2 * w + k] = relu ? (g <= 0.0f ? 0.0f : dzg) : dzg * (1.0f - g * g);
        dz[3 * w + k] = dzo * (o * (1.0f - o));
    }
}

// MARK: - Variants

#define VARIANTS(suffix, attr)                                                                       \
    attr static void adam_##suffix(float *w, const float *g, float *m, float *v, long n, float alpha, \
                                   float b1c, float b2c, float eps) {                                \
        adam_body(w, g, m, v, n, alpha, b1c, b2c, eps);                                              \
    }                                                                                                \
    attr static void sigmoid_##suffix(float *p, long n) { sigmoid_body(p, n); }                      \
    attr static void tanh_##suffix(float *p, long n) { tanh_body(p, n); }                            \
    attr static void lstm_fwd_##suffix(float *z, const float *bias, float *c, float *tc, float *h, float *out, long w, \
                                       int relu) {                                                   \
        if (relu) lstm_forward_body(z, bias, c, tc, h, out, w, 1);                                   \
        else lstm_forward_body(z, bias, c, tc, h, out, w, 0);                                        \
    }                                                                                                \
    attr static void lstm_bwd_##suffix(const float *z, const float *tc, const float *cprev, const float *dout, \
                                       float *dh, float *carry, float *dc, float *dz, long w, int relu) { \
        if (relu) lstm_backward_body(z, tc, cprev, dout, dh, carry, dc, dz, w, 1);                   \
        else lstm_backward_body(z, tc, cprev, dout, dh, carry, dc, dz, w, 0);                        \
    }

VARIANTS(baseline, )
VARIANTS(avx2, __attribute__((target("avx2"))))
VARIANTS(avx512, __attribute__((target("avx512f"))))

// MARK: - Dispatch

typedef struct {
    const char *name;
    void (*adam)(float *, const float *, float *, float *, long, float, float, float, float);
    void (*sigmoid)(float *, long);
    void (*tanh)(float *, long);
    void (*lstm_fwd)(float *, const float *, float *, float *, float *, float *, long, int);
    void (*lstm_bwd)(const float *, const float *, const float *, const float *, float *, float *, float *, float *,
                     long, int);
} KernelTable;

static const KernelTable *select_table(void) {
    static const KernelTable baseline = {"baseline", adam_baseline, sigmoid_baseline, tanh_baseline, lstm_fwd_baseline, lstm_bwd_baseline};
    static const KernelTable avx2 = {"avx2", adam_avx2, sigmoid_avx2, tanh_avx2, lstm_fwd_avx2, lstm_bwd_avx2};
    static const KernelTable avx512 = {"avx512", adam_avx512, sigmoid_avx512, tanh_avx512, lstm_fwd_avx512, lstm_bwd_avx512};
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

// Subnormal floats (below 1.2e-38) arise in Adam's second moment when a weight's gradient is tiny
// (g² underflows); x86 then takes a microcode assist on every sqrt and divide that touches one, which
// made the update 5x slower late in training. Inside the update they are read and written as zero
// (MXCSR's DAZ and FTZ bits, restored afterwards), which XLA's CPU backend (Keras's JAX) also does.
#if defined(__x86_64__)
#include <immintrin.h>
#define FLUSH_SUBNORMALS_BEGIN unsigned int saved_csr = _mm_getcsr(); _mm_setcsr(saved_csr | 0x8040);
#define FLUSH_SUBNORMALS_END _mm_setcsr(saved_csr);
#else
#define FLUSH_SUBNORMALS_BEGIN
#define FLUSH_SUBNORMALS_END
#endif

void lk_adam_update(float *w, const float *g, float *m, float *v, long n, float alpha, float b1c, float b2c,
                    float eps) {
    FLUSH_SUBNORMALS_BEGIN
    table()->adam(w, g, m, v, n, alpha, b1c, b2c, eps);
    FLUSH_SUBNORMALS_END
}

void lk_sigmoid(float *p, long n) { table()->sigmoid(p, n); }

void lk_tanh(float *p, long n) { table()->tanh(p, n); }

void lk_lstm_forward_row(float *z, const float *bias, float *c, float *tc, float *h, float *out, long w, int relu) {
    table()->lstm_fwd(z, bias, c, tc, h, out, w, relu);
}

void lk_lstm_backward_row(const float *z, const float *tc, const float *cprev, const float *dout, float *dh,
                          float *carry, float *dc, float *dz, long w, int relu) {
    table()->lstm_bwd(z, tc, cprev, dout, dh, carry, dc, dz, w, relu);
}

const char *lk_kernel_variant(void) { return table()->name; }
