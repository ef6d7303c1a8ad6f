// Picks an OpenBLAS kernel set that matches the CPU when OpenBLAS's own detection falls back to an
// old one.
//
// Debian's OpenBLAS (0.3.21) is built with DYNAMIC_ARCH: when the library loads it reads the CPU
// model and picks a kernel set. A CPU model newer than the library (for example family 6, model 207,
// a 5th-generation Xeon) is not in its table, and the library then falls back to "Prescott", the
// SSE3 kernels, even though the CPU has AVX-512: every matrix product runs about 2.5x slower. Here
// the choice is redone from the CPU's feature flags, through the library's own switch: OpenBLAS reads
// OPENBLAS_CORETYPE in gotoblas_dynamic_init(). The user's own OPENBLAS_CORETYPE always wins.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>

#include "CKernels.h"

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

const char *lk_openblas_fix_core(const void *symbol_in_openblas) {
    Dl_info info;
    if (!symbol_in_openblas || !dladdr(symbol_in_openblas, &info) || !info.dli_fname) {
        snprintf(lk_core_note, sizeof lk_core_note, "OpenBLAS not found");
        return lk_core_note;
    }
    void *lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    if (!lib) { snprintf(lk_core_note, sizeof lk_core_note, "OpenBLAS not loaded"); return lk_core_note; }
    char *(*corename)(void) = (char *(*)(void))dlsym(lib, "openblas_get_corename");
    void (*dyn_init)(void) = (void (*)(void))dlsym(lib, "gotoblas_dynamic_init");
    void (*dyn_quit)(void) = (void (*)(void))dlsym(lib, "gotoblas_dynamic_quit");
    const char *before = corename ? corename() : "unknown";
    const char *best = lk_best_core();
    if (getenv("OPENBLAS_CORETYPE")) {
        snprintf(lk_core_note, sizeof lk_core_note, "%s (OPENBLAS_CORETYPE)", before);
    } else if (!dyn_init || !dyn_quit || !corename) {
        snprintf(lk_core_note, sizeof lk_core_note, "%s (OpenBLAS without run-time kernel choice)", before);
    } else if (best && lk_is_fallback_core(before)) {
        char was[32];
        snprintf(was, sizeof was, "%s", before);
        setenv("OPENBLAS_CORETYPE", best, 1);
        dyn_quit();
        dyn_init();
        unsetenv("OPENBLAS_CORETYPE");
        snprintf(lk_core_note, sizeof lk_core_note, "%s (OpenBLAS chose %s for this CPU)", corename(), was);
    } else {
        snprintf(lk_core_note, sizeof lk_core_note, "%s", before);
    }
    dlclose(lib);
    return lk_core_note;
}
