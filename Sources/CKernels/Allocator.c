// Large tensors (a (64, 50, 256) float sequence is 3.3 MB) are allocated and freed on every training
// step. glibc maps blocks above its mmap threshold fresh from the kernel and unmaps them on free, so
// each step paid a page fault per 4 KiB it touched: 5–8 % of a 2×LSTM(256) training step measured on
// an AMD EPYC (Zen 4), against the same run with the thresholds below. When libLSTMKit.so loads, blocks
// up to 32 MiB come from the heap instead, and up to 64 MiB of freed heap is kept for reuse (LSTMKit's
// own BufferPool keeps at most 64 MB the same way). A process that sets glibc's malloc tunables or
// MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ itself keeps its own choice.
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "CKernels.h"

static int tuned;

__attribute__((constructor)) static void lk_tune_allocator(void) {
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_") ||
        (tunables && strstr(tunables, "glibc.malloc."))) return;
    tuned = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 64 << 20) == 1;
}

int lk_allocator_tuned(void) { return tuned; }
