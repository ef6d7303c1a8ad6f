#ifndef LSTMKIT_CKERNELS_H
#define LSTMKIT_CKERNELS_H

/// Elementwise hot loops of LSTMKit, compiled for several instruction sets and picked at run time.
///
/// Swift builds for baseline x86-64, where an 8-lane SIMD value lowers to two SSE operations. These
/// loops are compiled three times (baseline, AVX2, AVX-512) and the widest one the CPU supports is
/// chosen on first use, so the library still runs on machines without AVX2. Every variant computes
/// exactly the same scalar formula per element (no FMA contraction), so results are bit-identical
/// whichever variant runs.

/// Adam's update over n weights: m += (g − m)·b1c, v += (g² − v)·b2c, w −= (m·alpha)/(√v + eps).
void lk_adam_update(float *w, const float *g, float *m, float *v, long n,
                    float alpha, float b1c, float b2c, float eps);

/// In place: p[i] = 1 / (1 + e^(−p[i])) over n floats (Cephes exp, ≤ 2 ulp).
void lk_sigmoid(float *p, long n);

/// In place: p[i] = tanh(p[i]) over n floats (Cephes tanhf, ≤ 3 ulp).
void lk_tanh(float *p, long n);

/// One row of an LSTM step with sigmoid gates and tanh (relu = 0) or relu (relu = 1) activation, over
/// w units: z = [i f g o] pre-activations (w each) plus `bias` (4w, or NULL) become gate values in
/// place; then c = f·c + i·g, tc = act(c), h = out = o·tc. Same arithmetic, in the same order, as
/// LSTMKit's generic Swift loop (sigmoid/tanh as lk_sigmoid/lk_tanh).
void lk_lstm_forward_row(float *z, const float *bias, float *c, float *tc, float *h, float *out, long w, int relu);

/// The backward pass of one unmasked row of an LSTM step: carry (+ dout, when not NULL) is added into dh
/// and cleared; then from gate values z = [i f g o], tc = act(c_t) and c_{t-1}: dz = d[pre-activations],
/// and dc becomes d c_{t-1}.
void lk_lstm_backward_row(const float *z, const float *tc, const float *cprev, const float *dout, float *dh,
                          float *carry, float *dc, float *dz, long w, int relu);

/// One chunk of a parallel job: `fn(context, chunk)`.
typedef void (*lk_chunk_fn)(void *context, long chunk);

/// Runs fn(context, 0) on the calling thread and fn(context, 1...chunks−1) on persistent helper threads
/// that spin briefly between jobs (see StepPool.c); returns when all chunks are done. Returns 0 without
/// running anything when the pool is busy with another caller or chunks − 1 exceeds its 3 helpers.
int lk_parallel_chunks(long chunks, lk_chunk_fn fn, void *context);

/// The cost of one empty job of `chunks` chunks on the pool, in ns: the fastest of three batches of `jobs`
/// jobs (the first call also starts the helpers). −1 when the pool is busy with another caller.
double lk_parallel_handoff_ns(long chunks, long jobs);

/// Whether the caller should measure the hand-off now: counts `lk_probe_due` calls down from `interval`
/// (atomically, for all threads) and says yes once per `interval` calls (the first call included).
int lk_probe_due(long interval);

/// The last measured hand-off in ns (−1: none yet, or the pool was busy), shared by all threads.
double lk_last_handoff(void);

/// Records a measured hand-off (or −1) for `lk_last_handoff`.
void lk_set_last_handoff(double ns);

/// Adds `delta` to the calling thread's count of open single-threaded regions (`BLAS.enterSingleThreaded`)
/// and returns the new count. The count is per thread: another thread's row-parallel loop must not change
/// how this thread's products are split.
int lk_single_threaded_depth(int delta);

/// The OpenBLAS kernel set in use, with a note when LSTMKit replaced OpenBLAS's fallback choice (a CPU
/// model newer than the library) or OPENBLAS_CORETYPE chose it. The check and the replacement ran once,
/// when the library loaded (a constructor in OpenBLASCore.c); this only reads the result.
const char *lk_openblas_core_note(void);

/// The name of the variant in use: "avx512", "avx2" or "baseline" (for benchmarks and tests).
const char *lk_kernel_variant(void);

/// 1 when libLSTMKit.so's load raised glibc's mmap and trim thresholds (see Allocator.c); 0 when the
/// process chose its own malloc settings.
int lk_allocator_tuned(void);

/// What a training pass through oneDNN keeps for its backward pass (see OneDNNRNN.c).
typedef struct lk_rnn_tape lk_rnn_tape;

/// 1 when oneDNN's CPU engine started (LSTMKIT_ONEDNN=0 in the environment turns it off).
int lk_onednn_available(void);

/// One sequence pass of an LSTM (cell 0: sigmoid gates, tanh) or a reset-after GRU (cell 1) through
/// oneDNN. x (B, T, d) batch-major, h0 and c0 (B, u) (c0 NULL for GRU), weights in Keras's layout
/// (kernel (d, G·u), recurrent (u, G·u)), bias (4u, NULL for none; GRU: z, r summed, then the
/// candidate's input and recurrent biases). Writes out (B, T, u), hT, cT (B, u). With `training` the
/// tape for lk_onednn_rnn_backward is returned in *tape (free it with lk_rnn_tape_free). Returns 0
/// without writing anything when oneDNN cannot serve the pass. kernelStamp / recurrentStamp: numbers
/// unique to the weights' current values (0: unknown); while they repeat, weights repacked for
/// inference are reused instead of being packed again.
int lk_onednn_rnn_forward(int cell, int training, long B, long T, long D, long U, const float *x, const float *h0,
                          const float *c0, const float *kernel, const float *recurrent, const float *bias, float *out,
                          float *hT, float *cT, lk_rnn_tape **tape, unsigned long long kernelStamp,
                          unsigned long long recurrentStamp);

/// The backward pass of a taped forward: dout (B, T, u) or NULL, dhT, dcT (B, u) or NULL → dx (B, T, d),
/// dh0, dc0 (B, u); the weight and bias gradients (Keras's layout; dBias (4u) may be NULL) are ADDED to
/// dKernel, dRecurrent, dBias. Returns 0 on failure.
int lk_onednn_rnn_backward(lk_rnn_tape *tape, const float *kernel, const float *recurrent, const float *bias,
                           const float *dout, const float *dhT, const float *dcT, float *dx, float *dh0, float *dc0,
                           float *dKernel, float *dRecurrent, float *dBias);

/// Frees a tape (NULL is allowed).
void lk_rnn_tape_free(lk_rnn_tape *tape);

#endif
