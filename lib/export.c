/* A network as one standalone C99 source file: its weights as `static const double`
 * arrays (printed with %a, so every bit survives), and NAME_predict(x, y) with the
 * model's preprocessing inside. Nothing but <math.h>. */
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlp_internal.h"

/* A name that is a C identifier the file can prefix everything with. */
static int identifier(const char *s)
{
    if (s[0] == '\0' || strlen(s) > 64 || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_')) return 0;
    return 1;
}

static void put_array(FILE *f, const char *name, const char *part, const double *v, size_t n)
{
    fprintf(f, "static const double %s_%s[%zu] = {", name, part, n);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%s%a", i ? "," : "", i % 4 ? " " : "\n    ", v[i]);
    fprintf(f, "\n};\n");
}

/* A comment line of text that cannot end the comment. */
static void put_comment_text(FILE *f, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (p[0] == '*' && p[1] == '/') fputs("* /", f), p++;
        else if (*p == '\n' || *p == '\r') fputc(' ', f);
        else fputc(*p, f);
    }
}

/* A C string literal. */
static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7F) fprintf(f, "\\%03o", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

/* The statement that applies activation `act` to v[0..n). */
static void put_activation(FILE *f, mlp_activation act, const char *v, size_t n)
{
    if (act != MLP_ACT_IDENTITY && act != MLP_ACT_SOFTMAX)
        fprintf(f, "    for (int i = 0; i < %zu; i++) ", n);
    switch (act) {
    case MLP_ACT_IDENTITY:
        break;
    case MLP_ACT_RELU:
        fprintf(f, "%s[i] = %s[i] < 0.0 ? 0.0 : %s[i];\n", v, v, v);
        break;
    case MLP_ACT_LEAKY_RELU:
        fprintf(f, "%s[i] = %s[i] < 0.0 ? %a * %s[i] : %s[i];\n", v, v,
                                     MLP_LEAKY_RELU_SLOPE, v, v);
        break;
    case MLP_ACT_TANH:
        fprintf(f, "%s[i] = tanh(%s[i]);\n", v, v);
        break;
    case MLP_ACT_SIGMOID:
        fprintf(f, "%s[i] = 1.0 / (1.0 + exp(-%s[i]));\n", v, v);
        break;
    case MLP_ACT_ELU:
        fprintf(f, "%s[i] = %s[i] > 0.0 ? %s[i] : expm1(%s[i]);\n", v, v, v, v);
        break;
    case MLP_ACT_SOFTPLUS:
        fprintf(f, "%s[i] = fmax(0.0, %s[i]) + log1p(exp(-fabs(%s[i])));\n", v, v, v);
        break;
    case MLP_ACT_GELU:
        fprintf(f, "%s[i] = 0.5 * %s[i] * erfc(-%s[i] * 0x1.6a09e667f3bcdp-1);\n", v, v, v);
        break;
    case MLP_ACT_GELU_TANH:
        fprintf(f, "%s[i] = %s[i] / (1.0 + exp(-2.0 * 0x1.9884533d43651p-1 * (%s[i] + "
                       "0.044715 * %s[i] * %s[i] * %s[i])));\n",
                    v, v, v, v, v, v);
        break;
    case MLP_ACT_SILU:
        fprintf(f, "%s[i] = %s[i] / (1.0 + exp(-%s[i]));\n", v, v, v);
        break;
    case MLP_ACT_SOFTMAX:
        fprintf(f, "    {\n        double m = %s[0], sum = 0.0;\n", v);
        fprintf(f, "        for (int i = 1; i < %zu; i++) m = fmax(m, %s[i]);\n", n, v);
        fprintf(f, "        for (int i = 0; i < %zu; i++) sum += %s[i] = exp(%s[i] - m);\n", n, v, v);
        fprintf(f, "        for (int i = 0; i < %zu; i++) %s[i] *= 1.0 / sum;\n    }\n", n, v);
        break;
    }
}

/* The checks both writers make. */
static mlp_status export_ok(const mlp_net *net, FILE *out, const char *name, const char *fn)
{
    MLP_CHECK(net != NULL && out != NULL && name != NULL, MLP_ERR_INVALID_ARG, "%s: %s is NULL",
              fn, net == NULL ? "net" : out == NULL ? "out" : "name");
    MLP_CHECK(identifier(name), MLP_ERR_INVALID_ARG,
              "%s: \"%.80s\" is not a C identifier of at most 64 characters", fn, name);
    for (size_t l = 0; l < net->n_layers; l++)
        MLP_CHECK(net->layers[l].out <= INT_MAX && net->layers[l].in <= INT_MAX,
                  MLP_ERR_INVALID_ARG, "%s: layer %zu is too wide for C int loops", fn, l);
    return MLP_OK;
}

/* What the exported file gives a program, one declaration a line: its sizes, its
 * functions and class labels. The source (ahead of its definitions) and the header
 * write them from here, so that they cannot differ. */
static void put_interface(FILE *out, const mlp_net *net, const char *name)
{
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), classes = net->prep.n_classes;
    fprintf(out, "enum { %s_N_INPUTS = %zu, %s_N_OUTPUTS = %zu", name, in, name, k);
    if (classes > 0) fprintf(out, ", %s_N_CLASSES = %zu", name, classes);
    fprintf(out, " };\n");
    fprintf(out, "void %s_predict(const double *x, double *y);\n", name);
    if (classes > 0) {
        fprintf(out, "int %s_predict_class(const double *x);\n", name);
        fprintf(out, "extern const char *const %s_classes[%zu];\n", name, classes);
    }
}

/* The opening comment: what the network is, where it came from, what it takes. */
static void put_about(FILE *out, const mlp_net *net, const char *name, const char *what)
{
    const mlp__prep *p = &net->prep;
    const mlp_record *r = &net->record;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
    fprintf(out, "/* %s: %s exported by libmlp %s.\n *\n", name, what, MLP_VERSION_STRING);
    fprintf(out, " *   void %s_predict(const double x[%zu], double y[%zu]);\n", name, in, k);
    fprintf(out, " *\n * Layers: %zu inputs", in);
    for (size_t l = 0; l < net->n_layers; l++)
        fprintf(out, " -> %zu %s%s", net->layers[l].out, mlp_activation_name(net->layers[l].act),
                net->layers[l].has_bias ? "" : " (no bias)");
    fprintf(out, "; %zu parameters.\n", net->n_params);
    if (r->info.trained) {
        fprintf(out, " * Trained: %zu epochs, loss %s, optimizer %s, batch %zu, seed %llu",
                r->info.epochs, mlp_loss_name(r->info.loss), mlp_optimizer_name(r->opt.kind),
                r->info.batch_size, (unsigned long long)r->info.seed);
        const size_t kept = r->info.kept_epoch;
        if (kept > 0) { /* the weights are this epoch's */
            fprintf(out, ";\n * the weights of epoch %zu (training loss %.6g", kept,
                    r->history[kept - 1]);
            if (!isnan(r->val_history[kept - 1]))
                fprintf(out, ", validation loss %.6g", r->val_history[kept - 1]);
            fprintf(out, ")");
        } else if (r->info.epochs > 0) {
            fprintf(out, ", last loss %.6g", r->history[r->info.epochs - 1]);
        }
        fprintf(out, ".\n");
    } else {
        fprintf(out, " * Not trained.\n");
    }
    if (p->in_names != NULL) {
        fprintf(out, " * Inputs, in order:");
        for (size_t i = 0; i < in; i++) {
            fputs(i ? ", " : " ", out);
            put_comment_text(out, p->in_names[i]);
        }
        fprintf(out, ".\n");
    }
    if (p->in_shift != NULL)
        fprintf(out, " * The inputs are scaled inside (%s), as the model was trained: pass them "
                     "as they come.\n",
                p->in_method == MLP_SCALE_STANDARD ? "standardized" : "min-max");
    if (p->out_shift != NULL) fprintf(out, " * The outputs come back in the targets' units.\n");
    if (p->n_classes > 0)
        fprintf(out, " * Classes: %s_classes[]; %s_predict_class(x) gives the index.\n", name, name);
}

mlp_status mlp_net_export_c_header(const mlp_net *net, FILE *out, const char *name)
{
    mlp_status s = export_ok(net, out, name, __func__);
    if (s != MLP_OK) return s;
    errno = 0;
    put_about(out, net, name, "the declarations of a network");
    fprintf(out, " *\n * The C file exported with this header (mlp_net_export_c(), `mlp export`)\n"
                 " * defines them: compile it with your program and link with -lm.\n */\n");
    fprintf(out, "#ifndef MLP_EXPORT_%s_H\n#define MLP_EXPORT_%s_H\n\n", name, name);
    fprintf(out, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    put_interface(out, net, name);
    fprintf(out, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
    MLP_CHECK(!ferror(out), MLP_ERR_IO, "mlp_net_export_c_header: write error: %s",
              strerror(errno));
    return MLP_OK;
}

mlp_status mlp_net_export_c(const mlp_net *net, FILE *out, const char *name)
{
    mlp_status s = export_ok(net, out, name, __func__);
    if (s != MLP_OK) return s;
    const mlp__prep *p = &net->prep;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
    errno = 0;
    put_about(out, net, name, "a network");
    fprintf(out, " *\n * Standalone C99: it needs only <math.h> (link with -lm). %s.h, from\n"
                 " * mlp_net_export_c_header() or `mlp export`, declares what it defines.\n */\n"
                 "#include <math.h>\n\n",
            name);
    put_interface(out, net, name);
    fputc('\n', out);
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        char part[32];
        snprintf(part, sizeof part, "w%zu", l);
        put_array(out, name, part, net->params + L->w_off, L->in * L->out);
        if (L->has_bias) {
            snprintf(part, sizeof part, "b%zu", l);
            put_array(out, name, part, net->params + L->b_off, L->out);
        }
    }
    if (p->in_shift != NULL) {
        put_array(out, name, "in_shift", p->in_shift, in);
        put_array(out, name, "in_scale", p->in_scale, in);
    }
    if (p->out_shift != NULL) {
        put_array(out, name, "out_shift", p->out_shift, k);
        put_array(out, name, "out_scale", p->out_scale, k);
    }
    if (p->n_classes > 0) {
        fprintf(out, "const char *const %s_classes[%zu] = {", name, p->n_classes);
        for (size_t c = 0; c < p->n_classes; c++) {
            fputs(c ? ", " : "", out);
            put_string(out, p->classes[c]);
        }
        fprintf(out, "};\n");
    }

    /* predict: two buffers of the widest layer, layer after layer */
    size_t wide = in;
    for (size_t l = 0; l < net->n_layers; l++) wide = net->layers[l].out > wide ? net->layers[l].out : wide;
    fprintf(out, "\nvoid %s_predict(const double *x, double *y)\n{\n", name);
    fprintf(out, "    double a[%zu], b[%zu];\n", wide, wide);
    if (p->in_shift != NULL)
        fprintf(out, "    for (int i = 0; i < %zu; i++) a[i] = (x[i] - %s_in_shift[i]) / %s_in_scale[i];\n",
                in, name, name);
    else
        fprintf(out, "    for (int i = 0; i < %zu; i++) a[i] = x[i];\n", in);
    const char *cur = "a", *nxt = "b";
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        fprintf(out, "    for (int j = 0; j < %zu; j++) {\n", L->out);
        if (L->has_bias) fprintf(out, "        double s = %s_b%zu[j];\n", name, l);
        else fprintf(out, "        double s = 0.0;\n");
        fprintf(out, "        for (int i = 0; i < %zu; i++) s += %s_w%zu[j * %zu + i] * %s[i];\n",
                L->in, name, l, L->in, cur);
        fprintf(out, "        %s[j] = s;\n    }\n", nxt);
        put_activation(out, L->act, nxt, L->out);
        const char *t = cur;
        cur = nxt;
        nxt = t;
    }
    if (p->out_shift != NULL)
        fprintf(out, "    for (int i = 0; i < %zu; i++) y[i] = %s[i] * %s_out_scale[i] + %s_out_shift[i];\n",
                k, cur, name, name);
    else
        fprintf(out, "    for (int i = 0; i < %zu; i++) y[i] = %s[i];\n", k, cur);
    fprintf(out, "}\n");
    if (p->n_classes > 0) {
        fprintf(out, "\nint %s_predict_class(const double *x)\n{\n    double y[%zu];\n", name, k);
        fprintf(out, "    %s_predict(x, y);\n", name);
        if (k == 1) {
            fprintf(out, "    return y[0] > 0.5;\n}\n");
        } else {
            fprintf(out, "    int best = 0;\n    for (int i = 1; i < %zu; i++)\n"
                         "        if (y[i] > y[best]) best = i;\n    return best;\n}\n", k);
        }
    }
    MLP_CHECK(!ferror(out), MLP_ERR_IO, "mlp_net_export_c: write error: %s", strerror(errno));
    return MLP_OK;
}
