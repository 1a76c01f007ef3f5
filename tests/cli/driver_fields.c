/* Runs an exported network on a table's raw rows (tests/cli/check_cli.sh compiles it
 * with the exported file included as MODEL_C): each line of a CSV without quotes, its
 * columns matched to model_columns[] by the header's names, goes through model_encode
 * and model_predict; prints every output with %.17g, and on standard error the count
 * of categories the model did not know. A field that is not a number where the model
 * needs one: its line and column on standard error, exit status 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include MODEL_C

/* Line's fields, split at commas in place (the newline cut). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max; p++) {
        f[n++] = p;
        p += strcspn(p, ",");
        if (*p == '\0') break;
        *p = '\0';
    }
    return n;
}

int main(void)
{
    char header[4096], line[4096];
    char *names[256], *cells[256];
    int where[model_N_COLUMNS]; /* the file's field of each model column */
    long unseen = 0;
    if (fgets(header, sizeof header, stdin) == NULL) return 1;
    const int n = split(header, names, 256);
    for (int j = 0; j < model_N_COLUMNS; j++) {
        where[j] = -1;
        for (int i = 0; i < n; i++)
            if (strcmp(names[i], model_columns[j]) == 0) where[j] = i;
        if (where[j] < 0) {
            fprintf(stderr, "no column %s\n", model_columns[j]);
            return 1;
        }
    }
    for (int row = 1; fgets(line, sizeof line, stdin) != NULL; row++) {
        const char *fields[model_N_COLUMNS];
        double x[model_N_INPUTS], y[model_N_OUTPUTS];
        const int m = split(line, cells, 256);
        for (int j = 0; j < model_N_COLUMNS; j++) fields[j] = where[j] < m ? cells[where[j]] : "";
        const int u = model_encode(fields, x);
        if (u < 0) {
            fprintf(stderr, "row %d: column %s is not a number\n", row, model_columns[-1 - u]);
            return 3;
        }
        unseen += u;
        model_predict(x, y);
        for (int i = 0; i < model_N_OUTPUTS; i++) printf("%s%.17g", i ? "," : "", y[i]);
        putchar('\n');
    }
    fprintf(stderr, "unseen %ld\n", unseen);
    return 0;
}
