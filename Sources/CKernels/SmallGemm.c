// C = A·W + beta·C without packing W, with AVX-512; made for a batch at one timestep (few rows).
//
// OpenBLAS's sgemm copies ("packs") the whole weight matrix on every call: for an LSTM step that is
// 1 MB (256 units) per call and timestep, ~11% of a stacked-LSTM(256) forward pass; its sgemv path
// for tiny batches reads the weights once per row. These kernels read W row-major in place, in
// panels of 32 columns, and update up to 8 rows of C per pass over a panel, so
// every weight is loaded once per row block. FMA accumulation runs over k in order, like sgemv.
//
// AVX-512 only: an AVX2 version (6 rows × 16 columns) measured no faster than OpenBLAS's Haswell
// kernels here (81 vs 100 GFLOP/s at 32×1024×256, equal for 5 rows), so AVX2-only CPUs keep BLAS.
// Measured on this machine (one core): 32×1024×256 217 GFLOP/s vs sgemm 100; 5×512×128 178 vs
// sgemv 56; 15×512×128 224 vs sgemm 62; still ~1.25x sgemm for a sequence's 1600×1024×256.
#include "CKernels.h"
#include <immintrin.h>

#define INLINE static inline __attribute__((always_inline))
#define AVX512 __attribute__((target("avx512f")))

// MARK: - AVX-512: blocks of up to 8 rows × 32 columns (16 accumulators)

AVX512 INLINE void block512(const int mr, long k, const float *a, long lda, const float *w, long ldw, float beta,
                            float *c, long ldc, __mmask16 m0, __mmask16 m1) {
    __m512 acc0[8], acc1[8];
    for (int r = 0; r < mr; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
    for (long p = 0; p < k; p++) {
        __m512 w0 = _mm512_maskz_loadu_ps(m0, w + p * ldw);
        __m512 w1 = _mm512_maskz_loadu_ps(m1, w + p * ldw + 16);
        for (int r = 0; r < mr; r++) {
            __m512 x = _mm512_set1_ps(a[r * lda + p]);
            acc0[r] = _mm512_fmadd_ps(x, w0, acc0[r]);
            acc1[r] = _mm512_fmadd_ps(x, w1, acc1[r]);
        }
    }
    __m512 b = _mm512_set1_ps(beta);
    for (int r = 0; r < mr; r++) {
        float *cr = c + r * ldc;
        if (beta != 0) {
            acc0[r] = _mm512_add_ps(acc0[r], _mm512_mul_ps(b, _mm512_maskz_loadu_ps(m0, cr)));
            acc1[r] = _mm512_add_ps(acc1[r], _mm512_mul_ps(b, _mm512_maskz_loadu_ps(m1, cr + 16)));
        }
        _mm512_mask_storeu_ps(cr, m0, acc0[r]);
        _mm512_mask_storeu_ps(cr + 16, m1, acc1[r]);
    }
}

// Rows of W per packed panel chunk: 256 × 32 floats = 32 KB, the size of L1.
#define PANEL_DEPTH 256

AVX512 static void gemm512(long m, long n, long k, const float *a, long lda, const float *w, long ldw, float beta,
                           float *c, long ldc) {
    // With more than one row block the panel is read once per block. Read in place, its rows are ldw
    // apart; when that is a multiple of 1 KB (LSTM(256): 4·256 floats = 4 KB) the rows crowd into a
    // few L1 sets and every re-read comes from L2 (124 vs 215 GFLOP/s at 32×1024×256 with ldw 1024 vs
    // 1040). Then the panel is first copied to a contiguous buffer (158 GFLOP/s including the copy);
    // other strides read in place, as the copy would cost ~5%.
    _Alignas(64) float panel[PANEL_DEPTH * 32];
    for (long j = 0; j < n; j += 32) {
        long cols = n - j < 32 ? n - j : 32;
        __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
        __mmask16 m1 = cols >= 32 ? 0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
        int packed = m > 8 && ldw % 256 == 0;
        for (long p0 = 0; p0 < k; p0 += packed ? PANEL_DEPTH : k) {
            long depth = packed && k - p0 > PANEL_DEPTH ? PANEL_DEPTH : k - p0;
            const float *wp = w + p0 * ldw + j;
            long ldp = ldw;
            if (packed) {
                for (long p = 0; p < depth; p++) {
                    _mm512_store_ps(panel + p * 32, _mm512_maskz_loadu_ps(m0, wp + p * ldw));
                    _mm512_store_ps(panel + p * 32 + 16, _mm512_maskz_loadu_ps(m1, wp + p * ldw + 16));
                }
                wp = panel;
                ldp = 32;
            }
            float b = p0 == 0 ? beta : 1.0f;  // later chunks add onto the partial sums already in C
            long i = 0;
            for (; i + 8 <= m; i += 8)
                block512(8, depth, a + i * lda + p0, lda, wp, ldp, b, c + i * ldc + j, ldc, m0, m1);
            const float *ai = a + i * lda + p0;
            float *ci = c + i * ldc + j;
            switch (m - i) {  // constant row counts, so each block keeps its accumulators in registers
            case 1: block512(1, depth, ai, lda, wp, ldp, b, ci, ldc, m0, m1); break;
            case 2: block512(2, depth, ai, lda, wp, ldp, b, ci, ldc, m0, m1); break;
            case 3: block512(3, depth, ai, lda, wp, ldp, b, ci, ldc, m0, m1); break;
            case 4: block512(4, depth, ai, lda, wp, ldp, b, ci, ldc, m0, m1); break;
            case 5: block512(5, depth, ai, lda, wp, ldp, b, ci, ldc, m0, m1); break;
            case 6: block512(6, depth, ai, lda, wp, ldp, b, ci, ldc, m0, m1); break;
            case 7: block512(7, depth, ai, lda, wp, ldp, b, ci, ldc, m0, m1); break;
            default: break;
            }
        }
    }
}

// MARK: - AVX-512, transposed weights: C = A·Wᵀ + beta·C (the gradient through a timestep's product)
//
// W is (n, k) row-major, so each output column j is a dot product of A's rows with W's row j. Blocks
// of up to 8 rows × 2 columns keep 16 accumulators over k; each sum is reduced once at the end.

AVX512 INLINE void tblock512(const int mr, const int nc, long k, const float *a, long lda, const float *w, long ldw,
                             float beta, float *c, long ldc) {
    __m512 acc[2][8];
    for (int j = 0; j < nc; j++)
        for (int r = 0; r < mr; r++) acc[j][r] = _mm512_setzero_ps();
    for (long p = 0; p < k; p += 16) {
        __mmask16 mask = k - p >= 16 ? 0xFFFF : (__mmask16)((1u << (k - p)) - 1);
        __m512 w0 = _mm512_maskz_loadu_ps(mask, w + p);
        __m512 w1 = nc > 1 ? _mm512_maskz_loadu_ps(mask, w + ldw + p) : w0;
        for (int r = 0; r < mr; r++) {
            __m512 x = _mm512_maskz_loadu_ps(mask, a + r * lda + p);
            acc[0][r] = _mm512_fmadd_ps(x, w0, acc[0][r]);
            if (nc > 1) acc[1][r] = _mm512_fmadd_ps(x, w1, acc[1][r]);
        }
    }
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nc; j++) {
            float s = _mm512_reduce_add_ps(acc[j][r]);
            c[r * ldc + j] = beta == 0 ? s : s + beta * c[r * ldc + j];
        }
}

#define TBLOCK(mr) \
    (nc == 2 ? tblock512(mr, 2, k, ai, lda, wj, ldw, beta, cij, ldc) : tblock512(mr, 1, k, ai, lda, wj, ldw, beta, cij, ldc))

AVX512 static void gemm_nt512(long m, long n, long k, const float *a, long lda, const float *w, long ldw, float beta,
                              float *c, long ldc) {
    for (long i = 0; i < m; i += 8) {
        const float *ai = a + i * lda;
        for (long j = 0; j < n; j += 2) {
            int nc = n - j >= 2 ? 2 : 1;
            const float *wj = w + j * ldw;
            float *cij = c + i * ldc + j;
            switch (m - i >= 8 ? 8 : m - i) {  // constant block sizes keep the accumulators in registers
            case 1: TBLOCK(1); break;
            case 2: TBLOCK(2); break;
            case 3: TBLOCK(3); break;
            case 4: TBLOCK(4); break;
            case 5: TBLOCK(5); break;
            case 6: TBLOCK(6); break;
            case 7: TBLOCK(7); break;
            default: TBLOCK(8); break;
            }
        }
    }
}

// MARK: - Dispatch

typedef void (*GemmFn)(long, long, long, const float *, long, const float *, long, float, float *, long);

static GemmFn select_gemm(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return gemm512;
    return 0;
}

static int gemm_chosen;
static GemmFn gemm_fn;

int lk_small_gemm_available(void) {
    if (!__atomic_load_n(&gemm_chosen, __ATOMIC_ACQUIRE)) {
        gemm_fn = select_gemm();
        __atomic_store_n(&gemm_chosen, 1, __ATOMIC_RELEASE);
    }
    return gemm_fn != 0;
}

void lk_small_gemm_nt(long m, long n, long k, const float *a, long lda, const float *w, long ldw, float beta, float *c,
                      long ldc) {
    if (lk_small_gemm_available()) gemm_nt512(m, n, k, a, lda, w, ldw, beta, c, ldc);
}

void lk_small_gemm(long m, long n, long k, const float *a, long lda, const float *w, long ldw, float beta, float *c,
                   long ldc) {
    if (lk_small_gemm_available()) gemm_fn(m, n, k, a, lda, w, ldw, beta, c, ldc);
}
