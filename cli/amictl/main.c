/* amictl: manage libami workers from a shell, on the store directly or through amid. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "amictl.h"

amictl_options amictl_opts;

static const struct command {
    const char *name;
    amictl_cmd_fn fn;
    const char *summary;
    const char *usage;
    const char *help;   /* options, one per line */
} commands[] = {
    { "create", cmd_create, "create a worker from a template or a script file",
      "create (--template NAME | --file F|-) [options]",
      "  --template NAME     start from a built-in template (see 'amictl templates'); its\n"
      "                      mode, priority and run mode apply unless given below\n"
      "  --file F|-          the script (JavaScript; - reads stdin); with --template, replaces its script\n"
      "  --mode M            executionMode: parallel | leader | exclusive (default parallel)\n"
      "  --priority P        critical | high | normal | low (default normal)\n"
      "  --run R             loop | single (default loop)\n"
      "  --node NID          assignedNode (required by --mode exclusive)\n"
      "  --scope S           network | local (default network)\n"
      "  --note TEXT         a description (default: the template's title, or a generated note)\n"
      "  --account ID        accountId\n"
      "  --version V         runtime version string (default 1.19.2)\n"
      "  --start             create it active (running)\n" },
    { "list", cmd_list, "list workers", "list [--active | --inactive]",
      "  --active            only running workers\n"
      "  --inactive          only stopped workers\n"
      "Columns: short sid, status, execution mode, run mode, priority, node (assigned or creator), age, note.\n" },
    { "show", cmd_show, "show one worker with its script", "show SID", "" },
    { "update", cmd_update, "change a worker's fields or script", "update SID [options]",
      "  --file F|-          a new script\n"
      "  --mode M            executionMode: parallel | leader | exclusive\n"
      "  --priority P        critical | high | normal | low\n"
      "  --run R             loop | single\n"
      "  --node NID          assignedNode          --clear-node     remove assignedNode\n"
      "  --scope S           network | local\n"
      "  --note TEXT         note\n"
      "  --account ID        accountId             --clear-account  remove accountId\n"
      "  --version V         runtime version string\n"
      "  --deps A,B          dependencies (comma-separated; \"\" for none)\n"
      "  --active true|false start or stop\n"
      "  --versionstamp VS   only update if the worker is still at this versionstamp (else exit 1)\n"
      "Fields not given keep their value.\n" },
    { "start", cmd_start, "activate a worker", "start SID", "" },
    { "stop", cmd_stop, "deactivate a worker", "stop SID", "" },
    { "stop-all", cmd_stop_all, "deactivate every worker", "stop-all",
      "Exit status 1 when some worker could not be stopped.\n" },
    { "delete", cmd_delete, "delete a worker", "delete SID", "" },
    { "stats", cmd_stats, "execution statistics per node and worker", "stats [SID] [--node NID] [--watch] [--interval S]",
      "  --node NID          only this node's workers\n"
      "  --watch             refresh every --interval seconds (default 2) until interrupted;\n"
      "                      redraws in place on a terminal\n"
      "  --count N           with --watch: stop after N refreshes\n"
      "Embedded mode reads the stats every node writes to the store (every few seconds);\n"
      "remote mode shows the stats of the node amictl talks to.\n" },
    { "leader", cmd_leader, "leader election status of a leader-mode worker", "leader SID [--watch] [--count N]",
      "  --watch             refresh every second until interrupted (live \"expires in\")\n"
      "  --count N           with --watch: stop after N refreshes\n" },
    { "logs", cmd_logs, "a worker's log lines", "logs SID [-n N] [-f]",
      "  -n N                the last N lines (default 100)\n"
      "  -f, --follow        keep printing new lines until interrupted\n"
      "  --timeout S         with -f: stop after S seconds\n"
      "Embedded mode reads every node's local store next to the shared one (<db>.<nid>.local).\n" },
    { "nodes", cmd_nodes, "live nodes (from their heartbeats)", "nodes", "" },
    { "templates", cmd_templates, "list the built-in templates, or print one's script", "templates [NAME]",
      "With NAME, prints the template's script (save it, edit it, create --file it).\n" },
    { "run", cmd_run, "execute a script now, in this process, against the store", "run FILE|- [options]",
      "  --iterations N      run the body N times (default 1); the first failure ends the command\n"
      "  --delay MS          pause between iterations (default 0)\n"
      "  --wait MS           afterwards, serve live subscriptions this long (default: until interrupted)\n"
      "  --local PATH        Stels.local store (default <db>.<nid>.local, the node's own)\n"
      "  --db, --nid, --network may also follow the command.\n"
      "Log lines go to stdout (JSON records with --json); a throw or a syntax error exits 1.\n" },
    { "validate", cmd_validate, "check that a script compiles", "validate FILE|-",
      "Lowers modern JavaScript and compiles it as a worker body without running it.\n"
      "Errors are reported as FILE:LINE:COLUMN: message, with exit status 1.\n" },
    { "keygen", cmd_keygen, "write a secp256k1 key pair for amid login", "keygen --out FILE",
      "  --out FILE          where the private key goes (PEM, mode 0600; an existing file is refused)\n"
      "Prints the public key (66 hex digits): list it as an owner in amid's configuration\n"
      "(owners = KEY), then use --key FILE with --url.\n" },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: amictl [--db PATH | --url URL --key FILE] [--json] COMMAND [ARGS]\n\n"
               "Manage libami workers: on a store directly (--db, $AMI_DB, default ./ami.db)\n"
               "or through amid's WebFIX API (--url, $AMI_URL, with --key or $AMI_KEY).\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nglobal options:\n"
               "  --db PATH       store: a SQLite file path or URI (sqlite:PATH?sync=full)\n"
               "  --url URL       talk to amid at URL instead (remote mode)\n"
               "  --key FILE      PEM secp256k1 private key for the signed login (remote mode);\n"
               "                  the session is cached under $XDG_CACHE_HOME/ami (mode 0600)\n"
               "  --nid NID       node id recorded as a new worker's creator (embedded; default s-0001)\n"
               "  --network NAME  network of the log keys (embedded; default localnet)\n"
               "  --json          exact JSON on stdout (same in both modes)\n"
               "\nWorker ids (SID) may be given as unique prefixes.\n"
               "'amictl help COMMAND' or 'amictl COMMAND --help' describes a command.\n"
               "Exit status: 0 ok, 1 failure, 2 usage error.  NO_COLOR turns colour off.\n");
}

static void command_help(const struct command *c)
{
    /* entries added with only {name, fn, summary} still get a usable help */
    printf("usage: amictl [global options] %s\n\n%s%s\n", c->usage ? c->usage : c->name, c->summary,
           c->usage ? "." : "");
    if (c->help && c->help[0]) printf("\n%s", c->help);
}

static const struct command *find(const char *name)
{
    for (size_t c = 0; c < N_COMMANDS; c++)
        if (!strcmp(commands[c].name, name)) return &commands[c];
    return NULL;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int main(int argc, char **argv)
{
    amictl_opts.db = env("AMI_DB") ? env("AMI_DB") : "./ami.db";
    amictl_opts.url = env("AMI_URL");
    amictl_opts.key = env("AMI_KEY");
    amictl_opts.nid = env("AMI_NID") ? env("AMI_NID") : "s-0001";
    amictl_opts.network = env("AMI_NETWORK") ? env("AMI_NETWORK") : "localnet";
    amictl_opts.color = isatty(1) && !getenv("NO_COLOR");
    amictl_opts.cmd = NULL;
    int i = 1, db_given = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        const char **target = !strcmp(a, "--db") ? &amictl_opts.db : !strcmp(a, "--url") ? &amictl_opts.url
                            : !strcmp(a, "--key") ? &amictl_opts.key : !strcmp(a, "--nid") ? &amictl_opts.nid
                            : !strcmp(a, "--network") ? &amictl_opts.network : NULL;
        if (target) {
            if (i + 1 >= argc || !*argv[i + 1]) { fprintf(stderr, "amictl: %s needs a value\n", a); return AMICTL_USAGE; }
            *target = argv[++i];
            if (target == &amictl_opts.db) db_given = 1;
        } else if (!strcmp(a, "--json")) {
            amictl_opts.json = 1;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return AMICTL_OK;
        } else {
            fprintf(stderr, "amictl: unknown option '%s' (see 'amictl help')\n", a);
            return AMICTL_USAGE;
        }
    }
    if (i >= argc) { usage(stderr); return AMICTL_USAGE; }
    const char *name = argv[i];
    if (!strcmp(name, "help")) {
        if (i + 1 < argc) {
            const struct command *c = find(argv[i + 1]);
            if (!c) { fprintf(stderr, "amictl: no such command '%s' (see 'amictl help')\n", argv[i + 1]); return AMICTL_USAGE; }
            command_help(c);
            return AMICTL_OK;
        }
        usage(stdout);
        return AMICTL_OK;
    }
    const struct command *c = find(name);
    if (!c) {
        fprintf(stderr, "amictl: unknown command '%s' (see 'amictl help')\n", name);
        return AMICTL_USAGE;
    }
    if (amictl_wants_help(argc - i, argv + i)) { command_help(c); return AMICTL_OK; }
    if (amictl_opts.url && db_given) {
        fprintf(stderr, "amictl: --db and --url exclude each other\n");
        return AMICTL_USAGE;
    }
    amictl_opts.cmd = c->name;
    ami_init();
    int rc = c->fn(argc - i, argv + i);
    amictl_client_close();
    ami_shutdown();
    return rc;
}

int amictl_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

int amictl_fail(const char *what)
{
    fprintf(stderr, "amictl %s: %s: %s\n", amictl_opts.cmd ? amictl_opts.cmd : "", what,
            ami_error_last()[0] ? ami_error_last() : "failed");
    return AMICTL_FAIL;
}

int amictl_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "amictl %s: ", amictl_opts.cmd ? amictl_opts.cmd : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
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
    fflush(stdout);
}

long amictl_parse_count(const char *s)
{
    char *end = NULL;
    long v = s && *s ? strtol(s, &end, 10) : -1;
    return end && !*end && v >= 0 ? v : -1;
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
    int failed = ferror(f);   /* e.g. EISDIR: a directory opens but does not read */
    int err = errno;
    if (f != stdin) fclose(f);
    if (failed) {
        free(p);
        fprintf(stderr, "amictl: cannot read '%s': %s\n", path, strerror(err));
        return NULL;
    }
    if (!p) { fprintf(stderr, "amictl: out of memory reading '%s'\n", path); return NULL; }
    p[n] = '\0';
    if (len) *len = n;
    return p;
}
