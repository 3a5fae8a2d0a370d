/* amictl: manage libami workers from a shell, on the store directly or through amid. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "amictl.h"

amictl_options amictl_opts;

/*
 * The command table: name, function, one-line summary, usage, help text and
 * the command's options as space-separated words "name[|c][:]" (|c: a short
 * form -c; a trailing ':' takes a value).  Options are parsed once, by
 * getopt_long, from this table and the global options below: global options
 * may come anywhere, values as "--opt VALUE", "--opt=VALUE", "-n5" or "-n 5".
 * The completion scripts are generated from it too.
 */
static const struct command {
    const char *name;
    amictl_cmd_fn fn;
    const char *summary;
    const char *usage;
    const char *help;   /* options, one per line */
    const char *opts;
} commands[] = {
    { "create", cmd_create, "create a worker from a template or a script file",
      "create (--template NAME | --file F|-) [options]",
      "  --template NAME     start from a built-in template (see 'amictl templates'); its\n"
      "                      mode, priority and run mode apply unless given below\n"
      "  --file F|-          the script (JavaScript or TypeScript; - reads stdin); with --template, replaces\n"
      "                      its script; a F ending in .ts sets --language ts\n"
      "  --language L        js | ts (default: ts when the script uses TypeScript-only syntax)\n"
      "  --mode M            executionMode: parallel | leader | exclusive (default parallel)\n"
      "  --priority P        critical | high | normal | low (default normal)\n"
      "  --run R             loop | single (default loop)\n"
      "  --node NID          assignedNode (required by --mode exclusive)\n"
      "  --scope S           network | local (default network)\n"
      "  --note TEXT         a description (default: the template's title, or a generated note)\n"
      "  --account ID        accountId\n"
      "  --version V         runtime version string (default 1.19.2)\n"
      "  --start             create it active (running)\n",
      "template: file: language: mode: priority: run: node: scope: note: account: version: start" },
    { "list", cmd_list, "list workers", "list [--active | --inactive]",
      "  --active            only running workers\n"
      "  --inactive          only stopped workers\n"
      "Columns: short sid, status, execution mode, run mode, priority, node (assigned or creator), age, note.\n",
      "active inactive" },
    { "show", cmd_show, "show one worker with its script", "show SID", "",
      "" },
    { "update", cmd_update, "change a worker's fields or script", "update SID [options]",
      "  --file F|-          a new script (a F ending in .ts sets --language ts)\n"
      "  --language L        js | ts (default with --file: what the new script is)\n"
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
      "Fields not given keep their value.\n",
      "file: language: mode: priority: run: node: clear-node scope: note: account: clear-account version: deps: active: versionstamp:" },
    { "start", cmd_start, "activate a worker", "start SID", "",
      "" },
    { "stop", cmd_stop, "deactivate a worker", "stop SID", "",
      "" },
    { "stop-all", cmd_stop_all, "deactivate every worker", "stop-all",
      "Exit status 1 when some worker could not be stopped.\n",
      "" },
    { "delete", cmd_delete, "delete a worker", "delete SID", "",
      "" },
    { "stats", cmd_stats, "execution statistics per node and worker", "stats [SID] [--node NID] [--watch] [--interval S]",
      "  --node NID          only this node's workers\n"
      "  --watch             refresh every --interval seconds (default 2) until interrupted;\n"
      "                      redraws in place on a terminal\n"
      "  --count N           with --watch: stop after N refreshes\n"
      "Both modes show the whole cluster: one row per worker and node (a leader worker on its\n"
      "leader only); a row still 'running' on a node whose heartbeat stopped reads 'lost';\n"
      "rows expire 10 minutes after their node last wrote them.\n"
      "Workers are counted once; instances (rows) separately.\n",
      "node: watch|w interval: count:" },
    { "leader", cmd_leader, "leader election status of a leader-mode worker", "leader SID [--watch] [--count N]",
      "  --watch             refresh every second until interrupted (live \"expires in\")\n"
      "  --count N           with --watch: stop after N refreshes\n",
      "watch|w count:" },
    { "logs", cmd_logs, "a worker's log lines", "logs SID [-n N] [-f]",
      "  -n N                the last N lines (default 100)\n"
      "  -f, --follow        keep printing new lines until interrupted\n"
      "  --timeout S         with -f: stop after S seconds\n"
      "The lines of every node, merged by time (each node keeps them in <db>.<nid>.local).\n",
      "lines|n: follow|f timeout:" },
    { "nodes", cmd_nodes, "live nodes (from their heartbeats)", "nodes", "",
      "" },
    { "templates", cmd_templates, "list the built-in templates, or print one's script", "templates [NAME]",
      "With NAME, prints the template's script (save it, edit it, create --file it).\n",
      "" },
    { "run", cmd_run, "execute a script now, in this process, against the store", "run FILE|- [options]",
      "  --iterations N      run the body N times (default 1); the first failure ends the command\n"
      "  --delay MS          pause between iterations (default 0)\n"
      "  --wait MS           afterwards, serve live subscriptions this long (default: until interrupted)\n"
      "  --local PATH        Stels.local store (default <db>.<nid>.local, the node's own)\n"
      "  --allow-net HOSTS   hosts fetch/WebSocket may reach (host, host:port, *.domain, *; default none)\n"
      "  --allow-listen PORTS  ports Deno.serve may bind (8080, 9000-9100; default none)\n"
      "  --allow-env NAMES   variables Deno.env.get may read (default none)\n"
      "  --ca-file PEM       extra CA certificates for https/wss\n"
      "  --fetch-timeout MS  one HTTP request's timeout (default 30000)\n"
      "  --cex paper         every Stels.runtime.cex connector trades on a paper book\n"
      "  --db, --nid, --network may also follow the command.\n"
      "Log lines go to stdout (JSON records with --json); a throw or a syntax error exits 1.\n",
      "iterations: delay: wait: local: allow-net: allow-listen: allow-env: ca-file: fetch-timeout: cex:" },
    { "validate", cmd_validate, "check that a script compiles", "validate FILE|-",
      "Lowers modern JavaScript and compiles it as a worker body without running it.\n"
      "Errors are reported as FILE:LINE:COLUMN: message, with exit status 1.\n",
      "" },
    { "console", cmd_console, "print a logged-in link to amid's web console", "console [--url URL] [--key FILE] [--open]",
      "  --url URL           amid's address (default $AMI_URL, else http://127.0.0.1:3000/)\n"
      "  --key FILE          sign a fresh login with this key (PEM); without it the node must be in open mode\n"
      "  --open              also open the link with xdg-open (the link is then on its command line)\n"
      "Prints URL#session=TOKEN: the console keeps the session in the tab's sessionStorage and clears\n"
      "the fragment; LOG OUT in the console ends the session on the node. A key that is not an owner\n"
      "gets a read-only viewer session.\n",
      "url: key: open" },
    { "keygen", cmd_keygen, "write a secp256k1 key pair for amid login", "keygen --out FILE",
      "  --out FILE          where the private key goes (PEM, mode 0600; an existing file is refused;\n"
      "                      missing parent directories are created with mode 0700)\n"
      "Prints the public key (66 hex digits): list it as an owner in amid's configuration\n"
      "(owners = KEY), then use --key FILE with --url.\n",
      "out:" },
    { "help", NULL, "describe amictl or one of its commands", "help [COMMAND]", "", "" },
    { "completion", NULL, "print a shell completion script", "completion bash|zsh",
      "  eval \"$(amictl completion bash)\"    (make install puts both in the usual places)\n", "" },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* Global options: "name[|c][:]" words as in the command table. */
static const char GLOBAL_OPTS[] = "db: url: key: nid: network: json output|o: help|h version|V";

static void usage(FILE *f)
{
    fprintf(f, "usage: amictl [--db PATH | --url URL --key FILE] [-o json|table|wide] COMMAND [ARGS]\n\n"
               "Manage libami workers: on a store directly (--db, $AMI_DB, default ./ami.db)\n"
               "or through amid's WebFIX API (--url, $AMI_URL, with --key or $AMI_KEY).\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nglobal options (anywhere on the line; --opt=VALUE works too):\n"
               "  --db PATH       store: a SQLite file path or URI (sqlite:PATH?sync=full),\n                  or etcd://HOST:PORT[,HOST:PORT...][/PREFIX]\n"
               "  --url URL       talk to amid at URL instead (remote mode)\n"
               "  --key FILE      PEM secp256k1 private key for the signed login (remote mode);\n"
               "                  the session is cached under $XDG_CACHE_HOME/ami (mode 0600)\n"
               "  --nid NID       node id recorded as a new worker's creator (embedded; default s-0001)\n"
               "  --network NAME  network of the log keys (embedded; default localnet)\n"
               "  -o, --output F  json (exact JSON, same in both modes), table (default) or wide\n"
               "  --json          same as -o json\n"
               "  -V, --version   print amictl's and libami's version\n"
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

/* ---- option words → struct option ---- */

#define MAX_OPTS 64
typedef struct optset {
    struct option lo[MAX_OPTS + 1];
    char names[MAX_OPTS][32];
    char flags[MAX_OPTS][36];  /* "--name", as handed to the command */
    int global[MAX_OPTS];     /* from GLOBAL_OPTS */
    char shorts[3 * MAX_OPTS + 2];
    int n;
} optset;

/* Add the words of `spec`; a name already present (a command's own) is kept as it is. */
static void optset_add(optset *s, const char *spec, int global)
{
    for (const char *p = spec; p && *p;) {
        size_t len = strcspn(p, " ");
        if (len && s->n < MAX_OPTS && len < sizeof s->names[0]) {
            char word[32];
            memcpy(word, p, len);
            word[len] = '\0';
            int arg = word[len - 1] == ':';
            if (arg) word[len - 1] = '\0';
            char *bar = strchr(word, '|'), sc = 0;
            if (bar) { sc = bar[1]; *bar = '\0'; }
            int dup = 0;
            for (int i = 0; i < s->n; i++) dup |= !strcmp(s->names[i], word);
            if (!dup) {
                strcpy(s->names[s->n], word);
                snprintf(s->flags[s->n], sizeof s->flags[0], "--%s", word);
                s->global[s->n] = global;
                s->lo[s->n] = (struct option){ s->names[s->n], arg ? required_argument : no_argument, NULL,
                                               sc ? sc : 256 + s->n };
                if (sc) {
                    size_t k = strlen(s->shorts);
                    s->shorts[k++] = sc;
                    if (arg) s->shorts[k++] = ':';
                    s->shorts[k] = '\0';
                }
                s->n++;
            }
        }
        p += len;
        while (*p == ' ') p++;
    }
    s->lo[s->n] = (struct option){ NULL, 0, NULL, 0 };
}

static int optset_index(const optset *s, int ch, int longindex)
{
    if (ch >= 256) return ch - 256;
    for (int i = 0; i < s->n; i++)
        if (s->lo[i].val == ch) return i;
    return longindex;
}

/* ---- completion scripts, from the table ---- */

static void completion(const char *shell)
{
    optset g;
    memset(&g, 0, sizeof g);
    optset_add(&g, GLOBAL_OPTS, 1);
    if (!strcmp(shell, "bash")) {
        printf("# bash completion for amictl (generated by 'amictl completion bash')\n_amictl() {\n"
               "    local cur=${COMP_WORDS[COMP_CWORD]} cmd= w\n"
               "    for w in \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"; do case $w in -*) ;; *) cmd=$w; break;; esac; done\n"
               "    local globals=\"");
        for (int i = 0; i < g.n; i++) printf("%s--%s", i ? " " : "", g.names[i]);
        printf("\"\n    case $cmd in\n");
        for (size_t c = 0; c < N_COMMANDS; c++) {
            optset o;
            memset(&o, 0, sizeof o);
            optset_add(&o, commands[c].opts, 0);
            printf("    %s) COMPREPLY=($(compgen -W \"$globals", commands[c].name);
            for (int i = 0; i < o.n; i++) printf(" --%s", o.names[i]);
            if (!strcmp(commands[c].name, "help")) for (size_t k = 0; k < N_COMMANDS; k++) printf(" %s", commands[k].name);
            if (!strcmp(commands[c].name, "completion")) printf(" bash zsh");
            printf("\" -- \"$cur\")); [[ $cur == -* || ${#COMPREPLY[@]} -gt 0 ]] || COMPREPLY=($(compgen -f -- \"$cur\"));;\n");
        }
        printf("    *) COMPREPLY=($(compgen -W \"$globals");
        for (size_t c = 0; c < N_COMMANDS; c++) printf(" %s", commands[c].name);
        printf("\" -- \"$cur\"));;\n    esac\n}\ncomplete -F _amictl amictl\n");
        return;
    }
    printf("#compdef amictl\n# zsh completion for amictl (generated by 'amictl completion zsh')\n_amictl() {\n"
           "  local -a cmds globals opts\n  cmds=(\n");
    for (size_t c = 0; c < N_COMMANDS; c++) {
        printf("    '%s:", commands[c].name);
        for (const char *p = commands[c].summary; *p; p++) printf(*p == '\'' ? "'\\''" : "%c", *p);
        printf("'\n");
    }
    printf("  )\n  globals=(");
    for (int i = 0; i < g.n; i++) printf(" --%s", g.names[i]);
    printf(" )\n  local cmd=${words[(r)[a-z]*~-*]}\n  if (( CURRENT == 2 )) || [[ -z $cmd || $cmd == ${words[CURRENT]} ]]; then\n"
           "    _describe 'command' cmds; compadd -- $globals; return\n  fi\n  case $cmd in\n");
    for (size_t c = 0; c < N_COMMANDS; c++) {
        optset o;
        memset(&o, 0, sizeof o);
        optset_add(&o, commands[c].opts, 0);
        printf("    %s) opts=(", commands[c].name);
        for (int i = 0; i < o.n; i++) printf(" --%s", o.names[i]);
        printf(" );;\n");
    }
    printf("  esac\n  compadd -- $opts $globals\n  _files\n}\n_amictl \"$@\"\n");
}

/*
 * Parse argv with getopt_long over the global options and the command's own
 * (found as the first word that is not an option or a global option's
 * value).  Global options are applied here; the command gets a normalised
 * argv: its name, then each of its options as "--name [VALUE]", then the
 * operands in order.  Returns -1 to go on, else an exit status.
 */
static int parse(int argc, char **argv, const struct command **cmdp, int *nargc, char ***nargv, int *db_given)
{
    optset g;
    memset(&g, 0, sizeof g);
    optset_add(&g, GLOBAL_OPTS, 1);
    const struct command *c = NULL;
    int name_at = 0;
    for (int i = 1; i < argc && !name_at; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { if (i + 1 < argc) name_at = i + 1; break; }
        if (a[0] != '-' || !a[1]) { name_at = i; break; }
        if (a[1] == '-' && !strchr(a, '=')) {
            for (int k = 0; k < g.n; k++)
                if (!strcmp(a + 2, g.names[k]) && g.lo[k].has_arg) i++;
        } else if (a[1] != '-' && !a[2]) {
            for (int k = 0; k < g.n; k++)
                if (g.lo[k].val == a[1] && g.lo[k].has_arg) i++;
        }
    }
    static optset s;   /* the normalised argv points into it */
    memset(&s, 0, sizeof s);
    if (name_at) {
        c = find(argv[name_at]);
        if (!c) {
            fprintf(stderr, "amictl: unknown command '%s' (see 'amictl help')\n", argv[name_at]);
            return AMICTL_USAGE;
        }
        optset_add(&s, c->opts, 0);   /* the command's own first: its --version is not the global one */
    }
    optset_add(&s, GLOBAL_OPTS, 1);
    char **out = calloc((size_t)argc * 2 + 2, sizeof *out);
    char **operands = calloc((size_t)argc + 1, sizeof *operands);
    int n = 0, nops = 0, want_help = 0, rc = -1;
    if (!out || !operands) { free(out); free(operands); fprintf(stderr, "amictl: out of memory\n"); return AMICTL_FAIL; }
    out[n++] = (char *)(c ? c->name : "amictl");
    opterr = 0;
    optind = 1;
    int ch, li = -1;
    /* "-" in front: operands come back in order as option 1 (so getopt never reorders argv) */
    char shorts[sizeof s.shorts + 3] = "-:";
    strcat(shorts, s.shorts);
    while (rc < 0 && (ch = getopt_long(argc, argv, shorts, s.lo, &li)) != -1) {
        if (ch == 1) {
            if (optind - 1 != name_at) operands[nops++] = optarg;
            li = -1;
            continue;
        }
        if (ch == '?' || ch == ':') {
            const char *bad = argv[optind - 1];
            char shortname[3] = { '-', (char)optopt, 0 };
            if (optopt && optopt < 256 && (bad[0] != '-' || bad[1] != '-')) bad = shortname;
            fprintf(stderr, "amictl%s%s: %s '%s' (see 'amictl help%s%s')\n", c ? " " : "", c ? c->name : "",
                    ch == ':' ? "a value is needed after" : "unknown option", bad, c ? " " : "", c ? c->name : "");
            rc = AMICTL_USAGE;
            break;
        }
        int k = optset_index(&s, ch, li);
        li = -1;
        if (k < 0 || k >= s.n) continue;
        const char *name = s.names[k];
        if (!s.global[k]) {
            out[n++] = s.flags[k];
            if (s.lo[k].has_arg) out[n++] = optarg;
            continue;
        }
        if (!strcmp(name, "help")) want_help = 1;
        else if (!strcmp(name, "version")) {
            printf("amictl %s (libami %s)\n", AMI_VERSION_STRING, ami_version());
            rc = AMICTL_OK;
        } else if (!strcmp(name, "json")) amictl_opts.json = 1;
        else if (!strcmp(name, "output")) {
            if (!strcmp(optarg, "json")) amictl_opts.json = 1;
            else if (!strcmp(optarg, "table")) amictl_opts.json = amictl_opts.wide = 0;
            else if (!strcmp(optarg, "wide")) { amictl_opts.json = 0; amictl_opts.wide = 1; }
            else { fprintf(stderr, "amictl: -o takes json, table or wide, not '%s'\n", optarg); rc = AMICTL_USAGE; }
        } else if (!*optarg) {
            fprintf(stderr, "amictl: --%s needs a value\n", name);
            rc = AMICTL_USAGE;
        } else if (!strcmp(name, "db")) { amictl_opts.db = optarg; *db_given = 1; }
        else if (!strcmp(name, "url")) amictl_opts.url = optarg;
        else if (!strcmp(name, "key")) amictl_opts.key = optarg;
        else if (!strcmp(name, "nid")) amictl_opts.nid = optarg;
        else if (!strcmp(name, "network")) amictl_opts.network = optarg;
    }
    for (int i = optind; rc < 0 && i < argc; i++)   /* after "--" */
        if (i != name_at) operands[nops++] = argv[i];
    if (rc < 0 && want_help) {
        if (c && strcmp(c->name, "help")) command_help(c);
        else if (c && nops) {
            const struct command *h = find(operands[0]);
            if (h) command_help(h);
        } else usage(stdout);
        rc = AMICTL_OK;
    }
    if (rc >= 0) {
        free(out);
        free(operands);
        return rc;
    }
    for (int i = 0; i < nops; i++) out[n++] = operands[i];
    out[n] = NULL;
    free(operands);
    *cmdp = c;
    *nargc = n;
    *nargv = out;
    return -1;
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
    amictl_opts.scope = AMI_WEBFIX_SCOPE_CLUSTER;
    const struct command *c = NULL;
    int nargc = 0, db_given = 0;
    char **nargv = NULL;
    int prc = parse(argc, argv, &c, &nargc, &nargv, &db_given);
    if (prc >= 0) return prc;
    if (!c) { usage(stderr); free(nargv); return AMICTL_USAGE; }
    int rc = AMICTL_OK;
    if (!strcmp(c->name, "help")) {
        if (nargc > 1 && !find(nargv[1])) {
            fprintf(stderr, "amictl: no such command '%s' (see 'amictl help')\n", nargv[1]);
            rc = AMICTL_USAGE;
        } else if (nargc > 1) command_help(find(nargv[1]));
        else usage(stdout);
        free(nargv);
        return rc;
    }
    if (!strcmp(c->name, "completion")) {
        if (nargc != 2 || (strcmp(nargv[1], "bash") && strcmp(nargv[1], "zsh"))) {
            free(nargv);
            return amictl_usage("completion", "the shell is bash or zsh");
        }
        completion(nargv[1]);
        free(nargv);
        return AMICTL_OK;
    }
    if (amictl_opts.url && db_given) {
        fprintf(stderr, "amictl: --db and --url exclude each other\n");
        free(nargv);
        return AMICTL_USAGE;
    }
    amictl_opts.cmd = c->name;
    amictl_opts.creates_store = !strcmp(c->name, "create");
    ami_init();
    rc = c->fn(nargc, nargv);
    amictl_client_close();
    ami_shutdown();
    free(nargv);
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
