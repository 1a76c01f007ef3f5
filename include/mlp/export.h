/**
 * @file mlp/export.h
 * @brief libmlp: the standalone C export.
 *
 * A part of <mlp.h>, which includes every part in order: include <mlp.h>, not
 * this file.
 */
#ifndef MLP_H_EXPORT
#define MLP_H_EXPORT

/**
 * @defgroup libmlp_export C export (since 1.2)
 * @{
 */

/**
 * Write the network as one standalone C source file that needs nothing but
 * <math.h> and compiles warning-free as C89, C99 or C11 (`-pedantic -Wall -Wextra`;
 * since 1.6, C99 before): its parameters as `static const double` arrays (decimal
 * with 17 digits, which gcc and clang read back to every bit; float arrays for a
 * float32 network, below) and
 * `void NAME_predict(const double *x, double *y)` with the model's
 * preprocessing inside (raw rows in, outputs in the targets' units); with class
 * labels, also `NAME_classes[]` and `int NAME_predict_class(const double *x)`. The
 * provenance (the epoch whose weights it holds, and its losses) and the input columns
 * are in a comment at the top; mlp_net_export_c_header() writes the declarations for
 * the programs that call it. Compiled, it agrees with mlp_net_predict() to about 1e-12
 * (its sums run in another order than the BLAS's). Class labels and column names are
 * the user's bytes and reach the file escaped (octal escapes in strings, hexadecimal in
 * comments, `?` always escaped so no trigraph forms; a label longer than C90's 509
 * characters as an array of characters), so that `NAME_classes[]` holds the model's
 * labels byte for byte whatever they contain (since 1.6). A float32 network's file
 * computes in float, as the library does (since 1.7): `static const float` arrays
 * (9 digits and the suffix f, every bit), float buffers and sums, float math (expf,
 * tanhf, ..., declared by the file for C89, every C99 libm has them), the scaling in
 * double around the network; it agrees with mlp_net_predict() to float's rounding,
 * not bit for bit (its sums run in another order than sgemm's, its exponentials are
 * libm's, not the vector library's): within 64 ε of float of the larger of the value
 * and 1, the tests' bound (measured: 7.8e-7 relative; a small probability, where a
 * softmax's exponential of a large negative value multiplies the rounding, 2e-6 of
 * itself). `NAME_predict` still takes and gives doubles.
 * @param net   the network.
 * @param out   where to write (not closed).
 * @param name  a C identifier of at most 64 characters: the prefix of every symbol.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, a name that is not an identifier, a
 *         network holding a number that is not finite), ::MLP_ERR_IO (a write error).
 *         Layer normalizations are written with the library's own order of sums,
 *         batch normalizations as the per-column scale and shift their running
 *         values make (the library's own arithmetic when predicting); dropouts, the
 *         identity when predicting, are left out.
 */
MLP_API mlp_status mlp_net_export_c(const mlp_net *net, FILE *out, const char *name);

/**
 * Write the header that goes with mlp_net_export_c()'s file of the same name: include
 * guards, `NAME_N_INPUTS`, `NAME_N_OUTPUTS` (and `NAME_N_CLASSES`) as enum constants,
 * and the declarations of `NAME_predict()` and, with class labels,
 * `NAME_predict_class()` and `NAME_classes[]`, usable from C89 and later and C++ (since
 * 1.5).
 * @param net   the network.
 * @param out   where to write (not closed).
 * @param name  the name given to mlp_net_export_c().
 * @return as mlp_net_export_c().
 */
MLP_API mlp_status mlp_net_export_c_header(const mlp_net *net, FILE *out, const char *name);

/** @} */

#endif /* MLP_H_EXPORT */
