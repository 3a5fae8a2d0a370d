/* amictl: manage libami workers from a shell. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "amictl.h"

amictl_options amictl_opts;

static const struct {
    const char *name;
    amictl_cmd_fn fn;
    const char *summary;
} commands[] = {
    { "create",   cmd_create,   "create a worker: create --file F|- [--mode M] [--priority P] [--run loop|single] [--node N] [--scope S] [--note T] [--start]" },
    { "list",     cmd_list,     "list workers" },
    { "show",     cmd_show,     "show one worker: show SID" },
    { "start",    cmd_start,    "activate a worker: start SID" },
    { "stop",     cmd_stop,     "deactivate a worker: stop SID" },
    { "stop-all", cmd_stop_all, "deactivate every worker" },
    { "delete",   cmd_delete,   "delete a worker: delete SID" },
    { "keygen",   cmd_keygen,   "write a secp256k1 key for amid login: keygen --out FILE (prints the public key)" },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: amictl [--db PATH] [--nid NID] [--json] COMMAND [ARGS]\n\n"
               "Manage libami workers in a store (--db, or $AMI_DB, default ./ami.db).\n"
               "Worker ids may be given as unique prefixes.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexit status: 0 ok, 1 failure, 2 usage error\n");
}

int main(int argc, char **argv)
{
    amictl_opts.db = getenv("AMI_DB") && *getenv("AMI_DB") ? getenv("AMI_DB") : "./ami.db";
    amictl_opts.nid = getenv("AMI_NID") && *getenv("AMI_NID") ? getenv("AMI_NID") : "s-0001";
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--json")) amictl_opts.json = 1;
        else if (!strcmp(argv[i], "--db") && i + 1 < argc) amictl_opts.db = argv[++i];
        else if (!strcmp(argv[i], "--nid") && i + 1 < argc) amictl_opts.nid = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return AMICTL_OK; }
        else { fprintf(stderr, "amictl: unknown option '%s'\n", argv[i]); usage(stderr); return AMICTL_USAGE; }
    }
    if (i >= argc) { usage(stderr); return AMICTL_USAGE; }
    const char *name = argv[i];
    if (!strcmp(name, "help")) {
        if (i + 1 < argc) {
            for (size_t c = 0; c < N_COMMANDS; c++)
                if (!strcmp(commands[c].name, argv[i + 1])) { printf("amictl %s\n", commands[c].summary); return AMICTL_OK; }
            fprintf(stderr, "amictl: no such command '%s'\n", argv[i + 1]);
            return AMICTL_USAGE;
        }
        usage(stdout);
        return AMICTL_OK;
    }
    for (size_t c = 0; c < N_COMMANDS; c++) {
        if (strcmp(commands[c].name, name)) continue;
        if (amictl_wants_help(argc - i, argv + i)) { printf("amictl %s\n", commands[c].summary); return AMICTL_OK; }
        ami_init();
        int rc = commands[c].fn(argc - i, argv + i);
        ami_shutdown();
        return rc;
    }
    fprintf(stderr, "amictl: unknown command '%s' (see 'amictl help')\n", name);
    return AMICTL_USAGE;
}

int amictl_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

ami_store *amictl_open_store(void)
{
    ami_store *s = NULL;
    if (ami_store_open(&s, amictl_opts.db)) {
        fprintf(stderr, "amictl: cannot open store '%s': %s\n", amictl_opts.db, ami_error_last());
        return NULL;
    }
    return s;
}

int amictl_fail(const char *what)
{
    fprintf(stderr, "amictl: %s: %s\n", what, ami_error_last()[0] ? ami_error_last() : "failed");
    return AMICTL_FAIL;
}

int amictl_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "amictl %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'amictl help %s')\n", cmd);
    va_end(ap);
    return AMICTL_USAGE;
}

void amictl_print_json(const json_t *j)
{
    size_t flags = JSON_ENCODE_ANY | (isatty(1) ? JSON_INDENT(2) : JSON_COMPACT);
    char *s = json_dumps(j, flags);
    if (s) { puts(s); free(s); }
}

char *amictl_resolve_sid(ami_store *store, const char *prefix)
{
    char *sid = NULL;
    if (ami_registry_resolve(&sid, store, prefix)) {
        fprintf(stderr, "amictl: %s\n", ami_error_last());
        return NULL;
    }
    return sid;
}

char *amictl_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) { fprintf(stderr, "amictl: cannot read '%s': %m\n", path); return NULL; }
    size_t cap = 4096, n = 0;
    char *p = malloc(cap);
    size_t r;
    while (p && (r = fread(p + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) { char *q = realloc(p, cap *= 2); if (!q) { free(p); p = NULL; } else p = q; }
    }
    if (f != stdin) fclose(f);
    if (!p) { fprintf(stderr, "amictl: out of memory reading '%s'\n", path); return NULL; }
    p[n] = '\0';
    if (len) *len = n;
    return p;
}
