/**
 * @file mlp/core.h
 * @brief libmlp: the version, status codes and errors, and what the library runs on.
 *
 * A part of <mlp.h>, which includes every part in order: include <mlp.h>, not
 * this file.
 */
#ifndef MLP_H_CORE
#define MLP_H_CORE

/**
 * @defgroup libmlp_version Version
 * Compile-time and run-time versions.
 * @{
 */

#define MLP_VERSION_MAJOR 1 /**< incremented for changes that break the ABI (new soname) */
#define MLP_VERSION_MINOR 7 /**< incremented for additions that keep the ABI */
#define MLP_VERSION_PATCH 0 /**< incremented for fixes */
/** MAJOR * 10000 + MINOR * 100 + PATCH, for compile-time comparisons. */
#define MLP_VERSION_NUMBER \
    (MLP_VERSION_MAJOR * 10000 + MLP_VERSION_MINOR * 100 + MLP_VERSION_PATCH)
/** The header's version as a string. */
#define MLP_VERSION_STRING "1.7.0"

/**
 * The version of the library actually loaded.
 * @return "MAJOR.MINOR.PATCH", a static string.
 */
MLP_API const char *mlp_version(void);

/**
 * The version of the library actually loaded, as a number.
 * @return MAJOR * 10000 + MINOR * 100 + PATCH, as ::MLP_VERSION_NUMBER gives it.
 */
MLP_API int mlp_version_number(void);

/**
 * True when the struct `*ptr` is large enough to hold `field`: use it before
 * reading a field added after the oldest libmlp your program supports, in a
 * struct the library filled (the library sets `struct_size` to its own size there).
 */
#define MLP_HAS_FIELD(ptr, field)                                                                  \
    ((size_t)((const char *)&(ptr)->field - (const char *)(ptr)) + sizeof((ptr)->field) <=         \
     (ptr)->struct_size)

/** @} */

/**
 * @defgroup libmlp_status Status codes and errors
 * What every fallible call returns, and the detail of the last failure.
 * @{
 */

/** Result of every fallible call. Values are stable: never renumbered, only appended. */
typedef enum mlp_status {
    MLP_OK = 0,                /**< success */
    MLP_ERR_INVALID_ARG = 1,   /**< NULL pointer, zero or out-of-range size, unknown enum value */
    MLP_ERR_SHAPE = 2,         /**< sizes that do not fit together (layer sizes, batch, buffer length) */
    MLP_ERR_NOMEM = 3,         /**< an allocation failed or a size computation would overflow */
    MLP_ERR_IO = 4,            /**< a read or write failed */
    MLP_ERR_FORMAT = 5,        /**< a file or buffer is not a valid libmlp model */
    MLP_ERR_NUMERIC = 6,       /**< NaN or infinity where a finite number is required */
    MLP_ERR_UNSUPPORTED = 7    /**< what was asked needs what this build or CPU lacks (since
                                    1.7: a bfloat16 predictor without oneDNN or without
                                    AVX512-BF16 or AMX) */
} mlp_status;

/**
 * A fixed message for a status.
 * @param status  any value.
 * @return "success", "invalid argument", ...; "unknown status" for a value that
 *         is not an ::mlp_status. Never NULL; static storage.
 */
MLP_API const char *mlp_strerror(mlp_status status);

/**
 * Detail of the last failure in the calling thread, for example
 * "mlp_net_predict: workspace layer 1 has 3 nodes, the network's has 4".
 * Valid right after a call returned a status other than ::MLP_OK; successful
 * calls do not clear it.
 * @return never NULL (an empty string when nothing failed yet). The pointer stays
 *         valid for the life of the thread; its contents change at the next failure.
 */
MLP_API const char *mlp_error_detail(void);

/** @} */

/**
 * @defgroup libmlp_machine What the library runs on
 * The CBLAS provider, its kernel and threads, and the CPU.
 * @{
 */

/** The CBLAS provider and machine libmlp runs on, for reports and diagnosis. */
typedef struct mlp_blas_info {
    /** sizeof(mlp_blas_info), set by mlp_blas_info_init() */
    size_t struct_size;
    /** the BLAS's thread count; -1 when it does not say */
    int threads;
    /** the CBLAS provider libmlp was built with ("openblas", "blis", ...) */
    char provider[32];
    /** its version, when it says ("0.3.21"); else "" */
    char version[32];
    /** OpenBLAS's kernel (openblas_get_corename(), "Haswell"); else "" */
    char kernel[32];
    /** the best OpenBLAS kernel this CPU can run ("SkylakeX", "Zen") */
    char best_kernel[32];
    /** what runs tanh, sigmoid, exp: "glibc libmvec, AVX2, 4 lanes" */
    char vector_math[48];
    /** the CPU's model name */
    char cpu[100];
    /** "" when all is well; else what to change, for instance when OpenBLAS runs SSE3
     *  kernels on a CPU with AVX-512 */
    char advice[256];
} mlp_blas_info;

/**
 * Set a BLAS info's struct_size and empty it.
 * @param[out] info         the struct to fill.
 * @param      struct_size  sizeof(mlp_blas_info) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_blas_info_init(mlp_blas_info *info, size_t struct_size);

/**
 * Describe the CBLAS provider and the machine. Reads /proc/cpuinfo for the CPU's name.
 * @param[out] info  its struct_size must be set (mlp_blas_info_init()).
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_blas_get_info(mlp_blas_info *info);

/** The most threads libmlp runs its own passes on (mlp_set_num_threads()). */
#define MLP_MAX_THREADS 512

/**
 * Set how many threads run libmlp's own passes: the bias and activation after each
 * dgemm, the activations' derivatives, the bias gradients and the optimizers'
 * updates. The dgemm calls themselves run on the BLAS's threads, which the BLAS
 * sets (OPENBLAS_NUM_THREADS, openblas_set_num_threads()).
 *
 * Results never depend on the count: every value is computed from the same inputs
 * in the same order on 1 thread or 64, so predictions, gradients and trained
 * weights are identical to the bit.
 *
 * The setting is the process's (like the BLAS's own), read at every call that
 * runs a pass; the threads are created on first use and kept, and a call made
 * while another thread of the program is using them runs on its calling thread
 * alone. Small batches run on the calling thread whatever the count: below a few
 * thousand values a pass costs less than waking a thread.
 *
 * @param n  1 to ::MLP_MAX_THREADS; 0 for the default: the environment variable
 *           MLP_NUM_THREADS when it holds a positive number (read once), else the
 *           BLAS's thread count when it says (OpenBLAS), else 1.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG when n is out of range.
 */
MLP_API mlp_status mlp_set_num_threads(int n);

/**
 * The thread count libmlp's own passes run on now: what mlp_set_num_threads() set,
 * or its default.
 * @return 1 to ::MLP_MAX_THREADS.
 */
MLP_API int mlp_get_num_threads(void);

/** @} */

#endif /* MLP_H_CORE */
