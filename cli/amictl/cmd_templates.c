/* templates and validate. */
#include <stdlib.h>
#include <string.h>
#include "amictl.h"

int cmd_templates(int argc, char **argv)
{
    if (argc > 2) return amictl_usage("templates", "unexpected argument '%s'", argv[2]);
    json_t *all = NULL;
    if (amictl_call(&all, NULL, "listTemplates", NULL)) return AMICTL_FAIL;
    int rc = AMICTL_OK;
    if (argc == 2) {
        json_t *found = NULL, *t;
        size_t i;
        json_array_foreach(all, i, t) if (!strcmp(amictl_str(t, "name"), argv[1])) found = t;
        if (!found) rc = amictl_error("no template '%s' (see 'amictl templates')", argv[1]);
        else if (amictl_opts.json) amictl_print_json(found);
        else fputs(amictl_str(found, "script"), stdout);
    } else if (amictl_opts.json) {
        amictl_print_json(all);
    } else {
        amictl_print_templates(all);
    }
    json_decref(all);
    return rc;
}

/* "… (line 3, column 7)" → 3, 7; 0 when absent. */
static void position(const char *msg, long *line, long *col)
{
    const char *l = strstr(msg, "line "), *c = strstr(msg, "column ");
    *line = l ? strtol(l + 5, NULL, 10) : 0;
    *col = c ? strtol(c + 7, NULL, 10) : 0;
}

/* Compiles locally in both modes: the check needs no server (same result as WebFIX validateScript). */
int cmd_validate(int argc, char **argv)
{
    if (argc < 2) return amictl_usage("validate", "a script file (or - for stdin) is required");
    if (argc > 2) return amictl_usage("validate", "unexpected argument '%s'", argv[2]);
    size_t len = 0;
    char *script = amictl_read_file(argv[1], &len);
    if (!script) return AMICTL_FAIL;
    int rc = ami_registry_check_script(script, len);
    free(script);
    json_t *res;
    if (!rc) {
        res = json_pack("{s:b}", "valid", 1);
    } else {
        const char *msg = ami_error_last();
        long line, col;
        position(msg, &line, &col);
        res = json_pack("{s:b,s:s,s:o,s:o}", "valid", 0, "error", msg, "line", line > 0 ? json_integer(line) : json_null(),
                        "column", col > 0 ? json_integer(col) : json_null());
        /* compiler style, so editors can jump to it */
        const char *m = strncmp(msg, "Invalid script content: ", 24) ? msg : msg + 24;
        const char *pos = strstr(m, " (line ");   /* the position is already in front */
        const char *name = strcmp(argv[1], "-") ? argv[1] : "<stdin>";
        if (line > 0) fprintf(stderr, "%s:%ld:%ld: %.*s\n", name, line, col > 0 ? col : 1,
                              (int)(pos ? (size_t)(pos - m) : strlen(m)), m);
        else fprintf(stderr, "%s: %s\n", name, m);
    }
    if (amictl_opts.json) amictl_print_json(res);
    else if (!rc) printf("%s: ok\n", argv[1]);
    json_decref(res);
    return rc ? AMICTL_FAIL : AMICTL_OK;
}
