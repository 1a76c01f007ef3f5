/**
 * @file mlp/export.h
 * @brief libmlp: the standalone C export and ONNX.
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
 * A model that encodes its table's columns (a categorical column, or a missing
 * value's indicator; since 1.7) also gets `NAME_N_COLUMNS`, `NAME_columns[]` (their names, the fields' order) and
 * `int NAME_encode(const char *const *fields, double *x)`, which makes a row's inputs
 * from its text as mlp_net_encode() does, byte for byte (categories one-hot, a
 * category never seen all zeros, missing fields filled; numbers read by the C
 * library's strtod, in the program's numeric locale): it returns the count of
 * categories never seen, or -1 - j when field j of a numeric column is not a finite
 * number (x then unchanged). That file includes <stdlib.h> and <string.h> too; a
 * model whose columns are all plain numbers gets the file of numbers alone.
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
 * guards, `NAME_N_INPUTS`, `NAME_N_OUTPUTS` (and `NAME_N_CLASSES`, `NAME_N_COLUMNS`) as
 * enum constants, and the declarations of `NAME_predict()` and, with class labels,
 * `NAME_predict_class()` and `NAME_classes[]`, with encoded columns `NAME_encode()` and
 * `NAME_columns[]`, usable from C89 and later and C++ (since 1.5).
 * @param net   the network.
 * @param out   where to write (not closed).
 * @param name  the name given to mlp_net_export_c().
 * @return as mlp_net_export_c().
 */
MLP_API mlp_status mlp_net_export_c_header(const mlp_net *net, FILE *out, const char *name);

/** @} */

/**
 * @defgroup libmlp_onnx ONNX (since 1.7)
 * A network as an ONNX model, for ONNX Runtime and every other runtime of the format.
 * @{
 */

/**
 * Write the network as an ONNX model (opset 17, IR version 8) to a file, atomically as
 * mlp_net_save() writes. The graph takes the rows mlp_net_predict() takes and gives
 * what it gives: its input "input" is (N, inputs) and its output "output" (N, outputs),
 * N free, both float32 for a float32 network and float64 for a float64 one. Inside:
 * the model's input scaling (Sub, Div, in double as the library scales; a float32
 * network's graph casts to double and back around it), every layer (dense as `Gemm`
 * with transB = 1 on the (out, in) weights as they are; ::MLP_LAYER_LAYERNORM as
 * `LayerNormalization`; ::MLP_LAYER_BATCHNORM as `BatchNormalization` with its running
 * mean and variance and ONNX's momentum, 1 − ours; ::MLP_LAYER_DROPOUT as `Dropout`,
 * the identity when predicting), every activation (`Relu`, `Tanh`, `Sigmoid`,
 * `Softmax` on the last axis; `LeakyRelu`, `Elu` and `Softplus` in a float32 graph,
 * composed from `Max`, `Mul`, `Exp`, `Log` and `Where` in a float64 one, where ONNX
 * Runtime has no kernel for those three; GELU as `Erf` and arithmetic, as torch.onnx
 * writes it; the tanh GELU as x·Sigmoid(2u); SiLU as x·Sigmoid(x)), then the output
 * scaling. The model's metadata (`metadata_props`) holds what the graph cannot:
 * `libmlp.precision`, `libmlp.input.I` (the input columns' names),
 * `libmlp.target.I`, `libmlp.class.C` (the class labels, in the order of the
 * outputs), `libmlp.input_scaling` and `libmlp.output_scaling` ("standard" or
 * "minmax") and `libmlp.provenance` (how it was trained). ONNX Runtime's results agree
 * with mlp_net_predict()'s to about 1e-6 of the larger of the value and 1 for a
 * float32 network and 1e-12 for a float64 one (docs/onnx.md has the measured figures;
 * ONNX Runtime has no float64 `Erf`, so a float64 network with ::MLP_ACT_GELU is a
 * valid model it cannot run).
 * @param net   the network.
 * @param path  the file to write.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL or an empty path; a class label or
 *         column name that is not UTF-8, which ONNX's strings must be),
 *         ::MLP_ERR_NUMERIC (a value that is not finite), ::MLP_ERR_NOMEM,
 *         ::MLP_ERR_IO (the detail names the file and the system error; a previous
 *         file at `path` is left as it was).
 */
MLP_API mlp_status mlp_net_export_onnx(const mlp_net *net, const char *path);

/**
 * Write the network as an ONNX model into memory, as mlp_net_export_onnx() writes it
 * to a file.
 * @param      net       the network.
 * @param[out] buf       capacity bytes, or NULL to compute the size only.
 * @param      capacity  bytes available at buf.
 * @param[out] size      receives the bytes the model takes.
 * @return as mlp_net_export_onnx(), with ::MLP_ERR_SHAPE for a capacity too small
 *         (nothing written) and no ::MLP_ERR_IO.
 */
MLP_API mlp_status mlp_net_export_onnx_buffer(const mlp_net *net, void *buf, size_t capacity,
                                              size_t *size);

/**
 * Read an ONNX model into a new network: one written by mlp_net_export_onnx() (every
 * layer, setting, scaling, column name and class label back as they were: the same
 * parameters to the bit, the same predictions), or a feed-forward graph of the kind
 * `torch.onnx.export` writes for an `nn.Sequential` of `Linear`, activations (ReLU,
 * Tanh, Sigmoid, Softmax on the last axis, LeakyReLU with slope 0.01, ELU with alpha 1,
 * Softplus, GELU exact and tanh, SiLU), `Dropout`, `LayerNorm`, `BatchNorm1d` (in eval
 * mode) and `Flatten`: `Gemm` (either transB) or `MatMul` and `Add`, constants as
 * initializers (`raw_data` or typed fields), `Constant` nodes or `Identity` of them.
 * The graph must be a chain from one (rows, columns) input of float or double to one
 * output of the same type, each step reading the step before alone; the network
 * computes in the graph's type (float32 or float64). Anything else is refused, naming
 * the node and its operator: other operators, attributes the library would not honour
 * (a LeakyReLU of another slope, Softmax over another axis), skip connections, two
 * activations in a row. The file is untrusted: its nesting, field count and what
 * reading it allocates are bounded before anything is allocated for it, and every
 * value must be finite.
 * @param[out] net   receives the network (NULL on failure); free it with mlp_net_free().
 * @param      path  the .onnx file.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL), ::MLP_ERR_IO (cannot read the file:
 *         the reason), ::MLP_ERR_NOMEM, ::MLP_ERR_FORMAT (not an ONNX model, or a graph
 *         libmlp does not read: the detail names the node and why).
 */
MLP_API mlp_status mlp_net_import_onnx(mlp_net **net, const char *path);

/**
 * Read an ONNX model from memory; as mlp_net_import_onnx().
 * @param[out] net   receives the network (NULL on failure).
 * @param[in]  buf   size bytes.
 * @param      size  bytes at buf.
 * @return as mlp_net_import_onnx(), without ::MLP_ERR_IO.
 */
MLP_API mlp_status mlp_net_import_onnx_buffer(mlp_net **net, const void *buf, size_t size);

/** @} */

#endif /* MLP_H_EXPORT */
