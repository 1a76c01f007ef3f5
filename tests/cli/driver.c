/* Runs an exported network (tests/cli/check_cli.sh compiles it with the exported file
 * included as MODEL_C) on a CSV of plain numbers, the columns in the model's order:
 * prints every output with %.17g. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include MODEL_C

int main(void)
{
    char line[4096];
    if (fgets(line, sizeof line, stdin) == NULL) return 1; /* the header */
    while (fgets(line, sizeof line, stdin) != NULL) {
        double x[model_N_INPUTS], y[model_N_OUTPUTS];
        char *p = line;
        for (int i = 0; i < model_N_INPUTS; i++) {
            x[i] = strtod(p, &p);
            if (*p == ',') p++;
        }
        model_predict(x, y);
        for (int i = 0; i < model_N_OUTPUTS; i++) printf("%s%.17g", i ? "," : "", y[i]);
        putchar('\n');
    }
    return 0;
}
