/* What the library runs on: the CBLAS provider, its version, kernel and threads,
 * the vector math, the CPU, and advice when OpenBLAS runs kernels far older
 * than the CPU supports (Debian's OpenBLAS 0.3.21 does not recognise every
 * recent CPU and falls back to its generic SSE3 "Prescott" kernels). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "kernels.h"

#ifndef MLP_CBLAS_PROVIDER
#define MLP_CBLAS_PROVIDER "cblas"
#endif

/* OpenBLAS kernels by the instruction sets they use: 1 SSE-era, 2 AVX, 3 AVX2, 4 AVX-512. */
static int kernel_rank(const char *k)
{
    static const struct {
        const char *name;
        int rank;
    } table[] = {
        {"Prescott", 1},   {"Core2", 1},       {"Penryn", 1},     {"Dunnington", 1},
        {"Nehalem", 1},    {"Atom", 1},        {"Opteron", 1},    {"Opteron_SSE3", 1},
        {"Barcelona", 1},  {"Bobcat", 1},      {"Katmai", 1},     {"Coppermine", 1},
        {"Northwood", 1},  {"Banias", 1},      {"Sandybridge", 2}, {"Bulldozer", 2},
        {"Piledriver", 2}, {"Steamroller", 2}, {"Excavator", 2},  {"Haswell", 3},
        {"Zen", 3},        {"SkylakeX", 4},    {"Cooperlake", 4}, {"SapphireRapids", 4},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(k, table[i].name) == 0) return table[i].rank;
    return 0; /* unknown: no advice */
}

/* The best OpenBLAS kernel this CPU can run, by its instruction sets. */
static const char *best_kernel(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return __builtin_cpu_is("amd") ? "Zen" : "Haswell";
    if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
    return "";
}

static void cpu_model(char *dst, size_t cap)
{
    snprintf(dst, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) return;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (v == NULL) break;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(dst, cap, "%s", v);
        dst[strcspn(dst, "\n")] = '\0';
        break;
    }
    fclose(f);
}

mlp_status mlp_blas_info_init(mlp_blas_info *info, size_t struct_size)
{
    const mlp_blas_info empty = {.struct_size = sizeof empty, .threads = -1};
    return mlp__struct_init(info, struct_size, &empty, sizeof empty, __func__, "mlp_blas_info");
}

mlp_status mlp_blas_get_info(mlp_blas_info *out)
{
    MLP_CHECK_PTR(out);
    mlp_status s = mlp__struct_size_ok(out->struct_size, sizeof *out, __func__, "mlp_blas_info");
    if (s != MLP_OK) return s;
    mlp_blas_info all, *info = &all;
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    snprintf(info->provider, sizeof info->provider, "%s", MLP_CBLAS_PROVIDER);
    info->threads = -1;
#if MLP_HAVE_OPENBLAS
    const char *config = openblas_get_config(); /* "OpenBLAS 0.3.21 DYNAMIC_ARCH ..." */
    if (config != NULL && strncmp(config, "OpenBLAS ", 9) == 0) {
        snprintf(info->version, sizeof info->version, "%s", config + 9);
        info->version[strcspn(info->version, " ")] = '\0';
    }
    const char *core = openblas_get_corename();
    snprintf(info->kernel, sizeof info->kernel, "%s", core != NULL ? core : "");
    info->threads = openblas_get_num_threads();
#endif
    snprintf(info->vector_math, sizeof info->vector_math, "%s", mlp__vmath_name());
    cpu_model(info->cpu, sizeof info->cpu);
    snprintf(info->best_kernel, sizeof info->best_kernel, "%s", best_kernel());
    const int have = kernel_rank(info->kernel), could = kernel_rank(info->best_kernel);
    if (have > 0 && could > have)
        snprintf(info->advice, sizeof info->advice,
                 "OpenBLAS runs its %.31s kernels, but this CPU supports %.31s: "
                 "set OPENBLAS_CORETYPE=%.31s for several times the speed",
                 info->kernel, info->best_kernel, info->best_kernel);
    return mlp__struct_out(out, info, sizeof *info, __func__, "mlp_blas_info");
}
