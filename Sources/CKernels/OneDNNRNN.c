// LSTM and GRU sequence passes through oneDNN's RNN primitives (Debian's libdnnl, 2.6).
//
// Keras runs its fused cuDNN kernel only for the default cell (tanh/sigmoid, no mask, no recurrent
// dropout); LSTMKit does the same with oneDNN on the CPU and keeps its own step loop for every other
// case. oneDNN's layouts match Keras's: weights "ldigo" are (input, gate, unit), i.e. a Keras kernel
// (d, G·u) row-major, with the gates in Keras's order (LSTM i f c o; GRU z r h), and the LSTM bias
// "ldgo" is Keras's (G·u). Keras's GRU (reset_after) is oneDNN's "linear-before-reset" GRU, whose
// bias (4, u) holds z and r with the input and recurrent biases summed, then the candidate's input
// and recurrent biases.
//
// Primitives are created once per (cell, training, B, T, d, u) and kept; a training forward returns a
// tape with what the backward pass reads (inputs in time-major order, outputs, workspace).
// Scratchpads are owned here ("user" mode): oneDNN's own ("library" mode) is thread-local to the
// thread that created the primitive, and a notebook runs each cell on a new thread, so a primitive
// made in one cell and run in the next wrote through a null pointer.
// Two defects of oneDNN 2.6.3 are avoided: the backward pass is always given explicit initial
// states (without them its recurrent-weight gradient is wrong), and training uses time-major
// ("tnc") sequences (batch-major input crashes the first layer's backward).
#include "CKernels.h"
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ENTRIES = 64, SPARE_TAPES = 4 };

struct lk_rnn_tape;

// One configuration's primitives and the memory its passes reuse. Fresh multi-megabyte buffers on
// every pass cost a page fault per 4 KiB (a quarter of a 2×LSTM(256) training step here), so
// reordered weights, the backward pass's scratch and finished tapes are kept and reused.
// The descriptors of one configuration's passes: sequences (T, B, ·) in `seq` layout, states (1, 1, B, u),
// weights in the primitive's choice of layout (wl, wi) and in Keras's, bias (1, 1, 4, u).
typedef struct {
    dnnl_memory_desc_t x, state, wl, wi, bias, out, wlKeras, wiKeras;
} descs_t;

typedef struct {
    int cell, training;
    long B, T, D, U;
    descs_t d;                                      // time-major when training, batch-major for inference
    dnnl_primitive_t fwd, bwd;
    dnnl_memory_desc_t fwdWeights[2], bwdWeights[2], workspace;
    dnnl_primitive_t fwdReorder[2], bwdReorder[2];  // Keras layout → the primitive's, or NULL
    dnnl_memory_t fwdPacked[2], bwdPacked[2];       // their targets, allocated once
    unsigned long long packedStamp[2];              // the weights' stamps in fwdPacked (0: none)
    dnnl_memory_t fwdScratch, bwdScratch;           // the primitives' scratchpads (user mode), or NULL
    dnnl_memory_t fwdReorderScratch[2], bwdReorderScratch[2];
    float *zeros;                                   // 4u + B·u zeros: a missing bias, a missing state gradient
    float *dOut, *dx;                               // backward scratch: (T, B, u), (T, B, d)
    struct lk_rnn_tape *spare[SPARE_TAPES];         // finished tapes, ready for the next training pass
    int spares;
} entry_t;

struct lk_rnn_tape {
    entry_t *e;
    float *x, *out, *h0, *c0, *hT, *cT;  // time-major x and outputs; states (B, u)
    void *workspace;
};

static struct {
    pthread_once_t once;
    pthread_mutex_t lock;  // the entry table and every execution (one RNN pass at a time)
    int usable;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    entry_t entries[MAX_ENTRIES];
    int count;
} g = {PTHREAD_ONCE_INIT, PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, {{0}}, 0};

static void start(void) {
    if (getenv("LSTMKIT_ONEDNN") && strcmp(getenv("LSTMKIT_ONEDNN"), "0") == 0) return;
    if (dnnl_engine_create(&g.engine, dnnl_cpu, 0) != dnnl_success) return;
    if (dnnl_stream_create(&g.stream, g.engine, dnnl_stream_default_flags) != dnnl_success) return;
    g.usable = 1;
}

int lk_onednn_available(void) {
    pthread_once(&g.once, start);
    return g.usable;
}

static int gates_of(int cell) { return cell == 0 ? 4 : 3; }

static void md(dnnl_memory_desc_t *d, int n, const long *dims, dnnl_format_tag_t tag) {
    dnnl_dims_t x;
    for (int i = 0; i < n; i++) x[i] = dims[i];
    dnnl_memory_desc_init_by_tag(d, n, x, dnnl_f32, tag);
}


static void make_descs(descs_t *d, int cell, long B, long T, long D, long U, dnnl_format_tag_t seq) {
    dnnl_format_tag_t wtag = dnnl_format_tag_any;
    long G = gates_of(cell);
    md(&d->x, 3, (long[]){T, B, D}, seq);
    md(&d->out, 3, (long[]){T, B, U}, seq);
    md(&d->state, 4, (long[]){1, 1, B, U}, dnnl_ldnc);
    md(&d->wl, 5, (long[]){1, 1, D, G, U}, wtag);
    md(&d->wi, 5, (long[]){1, 1, U, G, U}, wtag);
    md(&d->wlKeras, 5, (long[]){1, 1, D, G, U}, dnnl_ldigo);
    md(&d->wiKeras, 5, (long[]){1, 1, U, G, U}, dnnl_ldigo);
    md(&d->bias, 4, (long[]){1, 1, 4, U}, dnnl_ldgo);  // 4 for both cells (see the top of the file)
}

// Attributes asking for a scratchpad that the caller passes in (see the comment at the top).
static dnnl_primitive_attr_t user_scratchpad(void) {
    dnnl_primitive_attr_t attr = NULL;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success) return NULL;
    if (dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success) {
        dnnl_primitive_attr_destroy(attr);
        return NULL;
    }
    return attr;
}

// The scratchpad a primitive descriptor asks for, allocated (NULL in *out when it needs none); 0 on failure.
static int scratchpad_for(dnnl_primitive_desc_t pd, dnnl_memory_t *out) {
    *out = NULL;
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (!md || dnnl_memory_desc_get_size(md) == 0) return 1;
    return dnnl_memory_create(out, md, g.engine, DNNL_MEMORY_ALLOCATE) == dnnl_success;
}

static int reorder_for(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, dnnl_primitive_t *out,
                       dnnl_memory_t *target, dnnl_memory_t *scratch) {
    *out = NULL, *target = NULL, *scratch = NULL;
    if (dnnl_memory_desc_equal(from, to)) return 1;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_attr_t attr = user_scratchpad();
    if (!attr) return 0;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pd, from, g.engine, to, g.engine, attr);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) return 0;
    int ok = dnnl_primitive_create(out, pd) == dnnl_success && scratchpad_for(pd, scratch) &&
             dnnl_memory_create(target, to, g.engine, DNNL_MEMORY_ALLOCATE) == dnnl_success;
    dnnl_primitive_desc_destroy(pd);
    return ok;
}

static const dnnl_memory_desc_t *query(dnnl_primitive_desc_t pd, int arg) {
    return dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
}

// Creates the primitives for one configuration; 0 when oneDNN cannot serve it.
static int build(entry_t *e) {
    dnnl_rnn_desc_t fd, bd;
    dnnl_primitive_desc_t fpd = NULL, bpd = NULL;
    dnnl_prop_kind_t prop = e->training ? dnnl_forward_training : dnnl_forward_inference;
    // Inference reads Keras's batch-major (B, T, ·) buffers in place; training is time-major.
    make_descs(&e->d, e->cell, e->B, e->T, e->D, e->U, e->training ? dnnl_tnc : dnnl_ntc);
    dnnl_status_t s = e->cell == 0
        ? dnnl_lstm_forward_desc_init(&fd, prop, dnnl_unidirectional_left2right, &e->d.x, &e->d.state, &e->d.state, &e->d.wl, &e->d.wi,
                                      &e->d.bias, &e->d.out, &e->d.state, &e->d.state, 0)
        : dnnl_lbr_gru_forward_desc_init(&fd, prop, dnnl_unidirectional_left2right, &e->d.x, &e->d.state, &e->d.wl, &e->d.wi,
                                         &e->d.bias, &e->d.out, &e->d.state, 0);
    dnnl_primitive_attr_t attr = user_scratchpad();
    if (!attr) return 0;
    if (s != dnnl_success || dnnl_primitive_desc_create(&fpd, &fd, attr, g.engine, NULL) != dnnl_success) {
        dnnl_primitive_attr_destroy(attr);
        return 0;
    }
    e->fwdWeights[0] = *query(fpd, DNNL_ARG_WEIGHTS_LAYER);
    e->fwdWeights[1] = *query(fpd, DNNL_ARG_WEIGHTS_ITER);
    e->workspace = *query(fpd, DNNL_ARG_WORKSPACE);
    e->zeros = calloc((size_t)(4 * e->U + e->B * e->U), sizeof(float));
    int ok = e->zeros && dnnl_primitive_create(&e->fwd, fpd) == dnnl_success && scratchpad_for(fpd, &e->fwdScratch) &&
             reorder_for(&e->d.wlKeras, &e->fwdWeights[0], &e->fwdReorder[0], &e->fwdPacked[0], &e->fwdReorderScratch[0]) &&
             reorder_for(&e->d.wiKeras, &e->fwdWeights[1], &e->fwdReorder[1], &e->fwdPacked[1], &e->fwdReorderScratch[1]);
    if (ok && e->training) {
        // Gradients of the weights come out in Keras's layout, added to what is there.
        s = e->cell == 0
            ? dnnl_lstm_backward_desc_init(&bd, dnnl_backward, dnnl_unidirectional_left2right, &e->d.x, &e->d.state, &e->d.state,
                                           &e->d.wl, &e->d.wi, &e->d.bias, &e->d.out, &e->d.state, &e->d.state, &e->d.x, &e->d.state, &e->d.state,
                                           &e->d.wlKeras, &e->d.wiKeras, &e->d.bias, &e->d.out, &e->d.state, &e->d.state, 0)
            : dnnl_lbr_gru_backward_desc_init(&bd, dnnl_backward, dnnl_unidirectional_left2right, &e->d.x, &e->d.state, &e->d.wl,
                                              &e->d.wi, &e->d.bias, &e->d.out, &e->d.state, &e->d.x, &e->d.state, &e->d.wlKeras, &e->d.wiKeras,
                                              &e->d.bias, &e->d.out, &e->d.state, 0);
        ok = s == dnnl_success && dnnl_primitive_desc_create(&bpd, &bd, attr, g.engine, fpd) == dnnl_success;
        if (ok) {
            e->bwdWeights[0] = *query(bpd, DNNL_ARG_WEIGHTS_LAYER);
            e->bwdWeights[1] = *query(bpd, DNNL_ARG_WEIGHTS_ITER);
            long B = e->B, T = e->T, D = e->D, U = e->U;
            e->dOut = malloc((size_t)(T * B * U) * sizeof(float));
            e->dx = malloc((size_t)(T * B * D) * sizeof(float));
            ok = e->dOut && e->dx && dnnl_primitive_create(&e->bwd, bpd) == dnnl_success &&
                 scratchpad_for(bpd, &e->bwdScratch) &&
                 reorder_for(&e->d.wlKeras, &e->bwdWeights[0], &e->bwdReorder[0], &e->bwdPacked[0], &e->bwdReorderScratch[0]) &&
                 reorder_for(&e->d.wiKeras, &e->bwdWeights[1], &e->bwdReorder[1], &e->bwdPacked[1], &e->bwdReorderScratch[1]);
        }
    }
    dnnl_primitive_attr_destroy(attr);
    if (fpd) dnnl_primitive_desc_destroy(fpd);
    if (bpd) dnnl_primitive_desc_destroy(bpd);
    return ok;
}

// The entry for a configuration, built on first use; NULL when oneDNN cannot serve it. Under g.lock.
static entry_t *lookup(int cell, int training, long B, long T, long D, long U) {
    for (int i = 0; i < g.count; i++) {
        entry_t *e = &g.entries[i];
        if (e->cell == cell && e->training == training && e->B == B && e->T == T && e->D == D && e->U == U)
            return e->fwd ? e : NULL;
    }
    if (g.count == MAX_ENTRIES) return NULL;  // a new shape after 64 others: the step loop serves it
    entry_t *e = &g.entries[g.count++];
    memset(e, 0, sizeof *e);
    e->cell = cell, e->training = training, e->B = B, e->T = T, e->D = D, e->U = U;
    if (!build(e)) e->fwd = NULL;  // remembered as unusable (what a failed build made is leaked, once)
    return e->fwd ? e : NULL;
}

static dnnl_memory_t mem(const dnnl_memory_desc_t *d, const void *p) {
    dnnl_memory_t m = NULL;
    dnnl_memory_create(&m, d, g.engine, (void *)p);
    return m;
}

// Keras-layout weights `w` in the primitive's layout: w's own memory (a new memory object, *fresh),
// or the entry's buffer after a reorder. With `stamp` (nonzero, unique to these weights' current
// values) and *held equal to it, the buffer already holds them and the reorder is skipped.
static dnnl_memory_t weights(dnnl_primitive_t reorder, dnnl_memory_t packed, dnnl_memory_t scratch,
                             const dnnl_memory_desc_t *keras, const float *w, int *fresh,
                             unsigned long long stamp, unsigned long long *held) {
    *fresh = !reorder;
    if (!reorder) return mem(keras, w);
    if (held && stamp && *held == stamp) return packed;
    if (held) *held = stamp;
    dnnl_memory_t src = mem(keras, w);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, packed}, {DNNL_ARG_SCRATCHPAD, scratch}};
    dnnl_primitive_execute(reorder, g.stream, scratch ? 3 : 2, args);
    dnnl_memory_destroy(src);
    return packed;
}

// (A, B, n) → (B, A, n).
static void swap_bt(const float *src, float *dst, long A, long Bn, long n) {
    for (long a = 0; a < A; a++)
        for (long b = 0; b < Bn; b++) memcpy(dst + (b * A + a) * n, src + (a * Bn + b) * n, (size_t)n * sizeof(float));
}

static void destroy_tape(struct lk_rnn_tape *t) {
    if (!t) return;
    free(t->x), free(t->out), free(t->h0), free(t->c0), free(t->hT), free(t->cT), free(t->workspace);
    free(t);
}

// A tape for the entry's configuration: a spare one, or a new one (NULL when memory runs out). Under g.lock.
static struct lk_rnn_tape *take_tape(entry_t *e) {
    if (e->spares) return e->spare[--e->spares];
    long B = e->B, T = e->T, D = e->D, U = e->U;
    size_t ws = dnnl_memory_desc_get_size(&e->workspace), f = sizeof(float);
    struct lk_rnn_tape *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->e = e;
    t->x = malloc((size_t)(B * T * D) * f), t->out = malloc((size_t)(B * T * U) * f);
    t->h0 = malloc((size_t)(B * U) * f), t->hT = malloc((size_t)(B * U) * f);
    if (e->cell == 0) t->c0 = malloc((size_t)(B * U) * f), t->cT = malloc((size_t)(B * U) * f);
    t->workspace = ws ? malloc(ws) : NULL;
    if (!t->x || !t->out || !t->h0 || !t->hT || (e->cell == 0 && (!t->c0 || !t->cT)) || (ws && !t->workspace)) {
        destroy_tape(t);
        return NULL;
    }
    return t;
}

void lk_rnn_tape_free(lk_rnn_tape *t) {
    if (!t) return;
    pthread_mutex_lock(&g.lock);
    entry_t *e = t->e;
    if (e->spares < SPARE_TAPES) e->spare[e->spares++] = t, t = NULL;
    pthread_mutex_unlock(&g.lock);
    destroy_tape(t);
}

static int run(dnnl_primitive_t p, dnnl_memory_t scratch, dnnl_memory_t *m, const int *ids, int count) {
    dnnl_exec_arg_t args[24];
    int n = 0;
    for (int i = 0; i < count; i++) if (m[i]) args[n++] = (dnnl_exec_arg_t){ids[i], m[i]};
    if (scratch) args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, scratch};
    return dnnl_primitive_execute(p, g.stream, n, args) == dnnl_success && dnnl_stream_wait(g.stream) == dnnl_success;
}

static void release(dnnl_memory_t *m, const int *fresh, int count) {
    for (int i = 0; i < count; i++) if (m[i] && fresh[i]) dnnl_memory_destroy(m[i]);
}

int lk_onednn_rnn_forward(int cell, int training, long B, long T, long D, long U, const float *x, const float *h0,
                          const float *c0, const float *kernel, const float *recurrent, const float *bias, float *out,
                          float *hT, float *cT, lk_rnn_tape **tape, unsigned long long kernelStamp,
                          unsigned long long recurrentStamp) {
    if (tape) *tape = NULL;
    if (!lk_onednn_available() || B < 1 || T < 1 || D < 1 || U < 1 || (training && !tape)) return 0;
    pthread_mutex_lock(&g.lock);
    entry_t *e = lookup(cell, training, B, T, D, U);
    struct lk_rnn_tape *t = e && training ? take_tape(e) : NULL;
    if (!e || (training && !t)) { pthread_mutex_unlock(&g.lock); return 0; }
    const float *xin = x;
    float *outBuf = out;
    if (t) {
        swap_bt(x, t->x, B, T, D);
        memcpy(t->h0, h0, (size_t)(B * U) * sizeof(float));
        if (cell == 0) memcpy(t->c0, c0, (size_t)(B * U) * sizeof(float));
        xin = t->x, outBuf = t->out;
    }
    enum { N = 10 };
    int fresh[N] = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
    dnnl_memory_t m[N] = {
        mem(&e->d.x, xin), mem(&e->d.state, h0), cell == 0 ? mem(&e->d.state, c0) : NULL,
        weights(e->fwdReorder[0], e->fwdPacked[0], e->fwdReorderScratch[0], &e->d.wlKeras, kernel, &fresh[3], kernelStamp,
                &e->packedStamp[0]),
        weights(e->fwdReorder[1], e->fwdPacked[1], e->fwdReorderScratch[1], &e->d.wiKeras, recurrent, &fresh[4],
                recurrentStamp, &e->packedStamp[1]),
        mem(&e->d.bias, bias ? bias : e->zeros), mem(&e->d.out, outBuf), mem(&e->d.state, hT),
        cell == 0 ? mem(&e->d.state, cT) : NULL, t && t->workspace ? mem(&e->workspace, t->workspace) : NULL,
    };
    static const int ids[N] = {DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_SRC_ITER_C, DNNL_ARG_WEIGHTS_LAYER,
                               DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS, DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER,
                               DNNL_ARG_DST_ITER_C, DNNL_ARG_WORKSPACE};
    int ok = run(e->fwd, e->fwdScratch, m, ids, N);
    release(m, fresh, N);
    if (t && ok) {
        swap_bt(t->out, out, T, B, U);
        memcpy(t->hT, hT, (size_t)(B * U) * sizeof(float));
        if (cell == 0) memcpy(t->cT, cT, (size_t)(B * U) * sizeof(float));
        *tape = t;
    } else if (t) {
        e->spare[e->spares++] = t;  // taken from (or fitting in) the spare list above
    }
    pthread_mutex_unlock(&g.lock);
    return ok;
}

int lk_onednn_rnn_backward(lk_rnn_tape *t, const float *kernel, const float *recurrent, const float *bias,
                           const float *dout, const float *dhT, const float *dcT, float *dx, float *dh0, float *dc0,
                           float *dKernel, float *dRecurrent, float *dBias) {
    if (!t) return 0;
    entry_t *e = t->e;
    int cell = e->cell;
    long B = e->B, T = e->T, D = e->D, U = e->U;
    float *scratchBias = dBias ? NULL : calloc((size_t)4 * U, sizeof(float));
    if (!dBias && !scratchBias) return 0;
    pthread_mutex_lock(&g.lock);
    if (dout) swap_bt(dout, e->dOut, B, T, U);
    else memset(e->dOut, 0, (size_t)(B * T * U) * sizeof(float));
    const float *zeroState = e->zeros + 4 * U;
    enum { N = 19 };
    int fresh[N];
    for (int i = 0; i < N; i++) fresh[i] = 1;
    dnnl_memory_t m[N] = {
        mem(&e->d.x, t->x), mem(&e->d.state, t->h0), cell == 0 ? mem(&e->d.state, t->c0) : NULL,
        weights(e->bwdReorder[0], e->bwdPacked[0], e->bwdReorderScratch[0], &e->d.wlKeras, kernel, &fresh[3], 0, NULL),
        weights(e->bwdReorder[1], e->bwdPacked[1], e->bwdReorderScratch[1], &e->d.wiKeras, recurrent, &fresh[4], 0, NULL),
        mem(&e->d.bias, bias ? bias : e->zeros), mem(&e->d.out, t->out), mem(&e->d.state, t->hT),
        cell == 0 ? mem(&e->d.state, t->cT) : NULL, t->workspace ? mem(&e->workspace, t->workspace) : NULL,
        mem(&e->d.x, e->dx), mem(&e->d.state, dh0), cell == 0 ? mem(&e->d.state, dc0) : NULL,
        mem(&e->d.wlKeras, dKernel), mem(&e->d.wiKeras, dRecurrent), mem(&e->d.bias, dBias ? dBias : scratchBias),
        mem(&e->d.out, e->dOut), mem(&e->d.state, dhT ? dhT : zeroState),
        cell == 0 ? mem(&e->d.state, dcT ? dcT : zeroState) : NULL,
    };
    static const int ids[N] = {DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_SRC_ITER_C, DNNL_ARG_WEIGHTS_LAYER,
                               DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS, DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER,
                               DNNL_ARG_DST_ITER_C, DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC_LAYER, DNNL_ARG_DIFF_SRC_ITER,
                               DNNL_ARG_DIFF_SRC_ITER_C, DNNL_ARG_DIFF_WEIGHTS_LAYER, DNNL_ARG_DIFF_WEIGHTS_ITER,
                               DNNL_ARG_DIFF_BIAS, DNNL_ARG_DIFF_DST_LAYER, DNNL_ARG_DIFF_DST_ITER,
                               DNNL_ARG_DIFF_DST_ITER_C};
    int ok = run(e->bwd, e->bwdScratch, m, ids, N);
    release(m, fresh, N);
    if (ok) swap_bt(e->dx, dx, T, B, D);
    pthread_mutex_unlock(&g.lock);
    free(scratchBias);
    return ok;
}
