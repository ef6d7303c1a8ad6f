// Picks an OpenBLAS kernel set that matches the CPU when OpenBLAS's own detection falls back to an
// old one.
//
// Debian's OpenBLAS (0.3.21) is built with DYNAMIC_ARCH: when the library loads it reads the CPU
// model and picks a kernel set. A CPU model newer than the library (for example family 6, model 207,
// a 5th-generation Xeon) is not in its table, and the library then falls back to "Prescott", the
// SSE3 kernels, even though the CPU has AVX-512: every matrix product runs about 2.5x slower. Here
// the choice is redone from the CPU's feature flags, through the library's own switch: OpenBLAS reads
// OPENBLAS_CORETYPE in gotoblas_dynamic_init(). The user's own OPENBLAS_CORETYPE always wins.
//
// When it runs. That switch is an environment variable, and setenv/unsetenv race with getenv in any
// other thread (glibc before 2.40 may even free the array another thread is reading). So the check
// runs once, from a constructor, while this library is being loaded: after OpenBLAS's own
// constructor (the loader initialises dependencies first), and before any code of the process's own
// can run on another thread:
// * linked into a program (the test executables, a user's own Swift program linking libLSTMKit.so):
//   constructors run before main(), so no other thread of the program exists yet;
// * dlopen()ed (the kernel's worker loads libLSTMKit.so at start-up, WorkerHost.loadLibrary, and
//   every cell library links it): the constructor runs inside dlopen, on the loading thread, while
//   other threads may exist. The worker calls dlopen from its main thread before it starts any
//   thread (cells, comms and the stdin bridge all start later), so nothing reads the environment
//   concurrently there. Any other host that dlopens libLSTMKit.so from a multi-threaded process
//   should set OPENBLAS_CORETYPE itself (then nothing is changed) if its other threads may read the
//   environment at that moment; only CPUs on which OpenBLAS falls back set the variable at all, and
//   only for the two calls below.
// The threads OpenBLAS's constructor started wait for work and do not read the environment.
// LSTMKit.blasCore only reads the note written here.
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>

#include "CKernels.h"

// Weak: resolved from the OpenBLAS that libLSTMKit.so links; null if a BLAS without them is loaded
// (an OpenBLAS built for one CPU has no run-time kernel choice and no gotoblas_dynamic_*).
extern char *openblas_get_corename(void) __attribute__((weak));
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static char lk_core_note[160] = "not checked";

/// Kernel sets that OpenBLAS uses as fallbacks for models it does not know.
static int lk_is_fallback_core(const char *name) {
    static const char *const old[] = {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom",
                                      "katmai", "coppermine", "northwood", "banias", "unknown"};
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
        if (strcasecmp(name, old[i]) == 0) return 1;
    }
    return 0;
}

/// The best kernel set that the CPU (and the OS, which must save the wide registers) supports.
static const char *lk_best_core(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return NULL;
}

/// Runs once when the library (or the program it is linked into) loads; see the top of the file.
/// LSTMKIT_TEST_OPENBLAS_FALLBACK=1 treats OpenBLAS's own choice as a fallback, so tests can take the
/// replacement path on CPUs that OpenBLAS knows.
__attribute__((constructor)) static void lk_openblas_check_core(void) {
    if (!openblas_get_corename) {
        snprintf(lk_core_note, sizeof lk_core_note, "OpenBLAS not found");
        return;
    }
    const char *before = openblas_get_corename();
    if (!before) before = "unknown";
    const char *best = lk_best_core();
    const char *test = getenv("LSTMKIT_TEST_OPENBLAS_FALLBACK");
    int fallback = lk_is_fallback_core(before) || (test && strcmp(test, "1") == 0);
    if (getenv("OPENBLAS_CORETYPE")) {
        snprintf(lk_core_note, sizeof lk_core_note, "%s (OPENBLAS_CORETYPE)", before);
    } else if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit) {
        snprintf(lk_core_note, sizeof lk_core_note, "%s (OpenBLAS without run-time kernel choice)", before);
    } else if (best && fallback) {
        char was[32];
        snprintf(was, sizeof was, "%s", before);
        setenv("OPENBLAS_CORETYPE", best, 1);
        gotoblas_dynamic_quit();
        gotoblas_dynamic_init();
        unsetenv("OPENBLAS_CORETYPE");
        snprintf(lk_core_note, sizeof lk_core_note, "%s (OpenBLAS chose %s for this CPU)", openblas_get_corename(), was);
    } else {
        snprintf(lk_core_note, sizeof lk_core_note, "%s", before);
    }
}

const char *lk_openblas_core_note(void) { return lk_core_note; }
