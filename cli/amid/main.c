/*
 * amid: run a libami node in the foreground.  Worker log lines go to stderr
 * with their sid; SIGTERM/SIGINT shut down gracefully (leases released,
 * final stats written, heartbeat removed) and exit 0.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>
#include "ami.h"
#include "ami/node.h"
#include "config.h"
#include "http_setup.h"
#include "log.h"
#include "console.h"
#include <systemd/sd-daemon.h>

/*
 * Every configuration key: its default (as amid --help shows it and as it
 * applies when the key is not given), its kind (how a value is checked before
 * anything starts) and what it does.  The same table parses the command line
 * (--key VALUE, --key=VALUE, dashes or underscores) and checks the file.
 */
typedef enum { K_STR, K_INT, K_BOOL, K_ENUM } key_kind;
static const struct key {
    const char *name;
    key_kind kind;
    const char *def;      /* NULL: none (or computed, see help) */
    long long lo, hi;     /* K_INT range */
    const char *choices;  /* K_ENUM: "a|b" */
    const char *help;
} KEYS[] = {
    { "nid", K_STR, NULL, 0, 0, NULL, "node id, unique in the cluster (required)" },
    { "db", K_STR, NULL, 0, 0, NULL, "shared store: a SQLite file (or sqlite:PATH?sync=full, etcd://…) (required)" },
    { "local_db", K_STR, NULL, 0, 0, NULL, "node-local store (default <db>.<nid>.local)" },
    { "network", K_STR, "localnet", 0, 0, NULL, "network name (Stels.config.network, log keys)" },
    { "capacity", K_INT, "1024", 1, 1000000, NULL, "most workers running at once" },
    { "lease_ms", K_INT, "60000", 100, 86400000, NULL, "leader lease; kill -9 of a leader's node costs up to this" },
    { "renew_ms", K_INT, NULL, 1, 86400000, NULL, "lease renewal interval (default lease_ms/3)" },
    { "retry_ms", K_INT, NULL, 1, 86400000, NULL, "campaign/renew retry (default 2000, at most lease_ms/10)" },
    { "heartbeat_ms", K_INT, "5000", 10, 3600000, NULL, "heartbeat interval (expires after 3x)" },
    { "graceful_shutdown_ms", K_INT, "5000", 0, 3600000, NULL, "on SIGTERM: let iterations finish this long" },
    { "stats_ms", K_INT, "2000", 10, 3600000, NULL, "stats written every" },
    { "resync_ms", K_INT, "5000", 10, 3600000, NULL, "registry check period (a quiet registry is re-listed every 12th)" },
    { "runner_threads", K_INT, "0", 0, 1024, NULL, "threads that run ready instances; 0 = the number of cores" },
    { "heap_mb", K_INT, "64", 1, 65536, NULL, "heap cap per instance (MiB)" },
    { "slice_ms", K_INT, "5000", 1, 3600000, NULL, "longest synchronous slice of a script" },
    { "log_line_bytes", K_INT, "65536", 64, 16777216, NULL, "longest worker log line" },
    { "log_ring", K_INT, "1000", 1, 10000000, NULL, "log lines kept in memory per worker (the local store keeps 5x)" },
    { "loop_delay_ms", K_INT, "-1", -1, 86400000, NULL, "delay between loop iterations; -1 = by priority" },
    { "allow_net", K_STR, NULL, 0, 0, NULL, "hosts workers' fetch/WebSocket may reach: host, host:port, *.domain, * (default none)" },
    { "allow_listen", K_STR, NULL, 0, 0, NULL, "ports workers' Deno.serve may bind: 8080, 9000-9100 (default none)" },
    { "allow_env", K_STR, NULL, 0, 0, NULL, "environment variables workers' Deno.env.get may read (default none)" },
    { "ca_file", K_STR, NULL, 0, 0, NULL, "extra PEM CA certificates for workers' https/wss" },
    { "fetch_timeout_ms", K_INT, "30000", 1, 86400000, NULL, "one fetch request's timeout" },
    { "fetch_body_bytes", K_INT, "16777216", 1, 2147483647, NULL, "a fetch response body's cap" },
    { "fetch_max", K_INT, "32", 1, 100000, NULL, "fetch requests in flight per instance" },
    { "sockets_max", K_INT, "16", 1, 100000, NULL, "open WebSockets per instance" },
    { "log_format", K_ENUM, "text", 0, 0, "text|json", "amid's stderr: text lines or one JSON object per line" },
    { "listen", K_STR, NULL, 0, 0, NULL,
      "WebFIX API address ADDRESS:PORT, [IPV6]:PORT, or off (default 127.0.0.1:3000; if taken, amid runs without HTTP)" },
    { "http_threads", K_INT, "4", 1, 256, NULL, "HTTP thread pool size" },
    { "connection_timeout", K_INT, "30", 1, 86400, NULL, "idle connection timeout (s)" },
    { "max_connections", K_INT, "1024", 1, 1000000, NULL, "connections served at once" },
    { "tls_cert", K_STR, NULL, 0, 0, NULL, "PEM certificate (chain): serve HTTPS (with tls_key)" },
    { "tls_key", K_STR, NULL, 0, 0, NULL, "PEM private key of tls_cert" },
    { "owners", K_STR, NULL, 0, 0, NULL, "owner public keys (66 hex digits), commas or spaces; none = open mode, loopback only" },
    { "allow_viewers", K_BOOL, "false", 0, 0, NULL, "a login by a key that is not an owner gets a read-only session" },
    { "session_ttl", K_INT, "86400", 1, 31536000, NULL, "session lifetime (s)" },
    { "scope", K_ENUM, "cluster", 0, 0, "cluster|node", "getWorkerStats/getWorkerLogs: the whole cluster or this node" },
    { "console", K_STR, NULL, 0, 0, NULL, "web console directory, or off (default: the installed one)" },
    { "codemirror", K_STR, AMID_CODEMIRROR_DIR, 0, 0, NULL, "the console editor's files" },
    { "cex", K_ENUM, "live", 0, 0, "live|paper", "paper: every Stels.runtime.cex connector trades on a paper book" },
};
#define N_KEYS (sizeof KEYS / sizeof KEYS[0])

static const struct key *key_find(const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(KEYS[i].name, name)) return &KEYS[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: amid --nid NID --db PATH [--config FILE] [--KEY VALUE]...\n\n"
        "Run a libami node in the foreground: it runs its share of the workers in the\n"
        "store at PATH, serves the WebFIX API, logs to stderr, and hands its work over\n"
        "at once on SIGTERM/SIGINT.  Every key below may be given in the --config file\n"
        "(key = value) or as --key VALUE / --key=VALUE (dashes or underscores); the\n"
        "command line wins over the file.  Unknown keys and bad values exit 2.\n\n"
        "options:\n  --config FILE              read keys from FILE\n"
        "  -h, --help                 this text\n  -V, --version              amid's and libami's version\n\nkeys (default):\n");
    for (size_t i = 0; i < N_KEYS; i++) {
        char head[64];
        snprintf(head, sizeof head, "--%s%s%s", KEYS[i].name, KEYS[i].kind == K_ENUM ? " " : "",
                 KEYS[i].kind == K_ENUM ? KEYS[i].choices : "");
        for (char *p = head + 2; *p && *p != ' '; p++) if (*p == '_') *p = '-';
        fprintf(f, "  %-26s %s%s%s%s\n", head, KEYS[i].help, KEYS[i].def ? " (" : "", KEYS[i].def ? KEYS[i].def : "",
                KEYS[i].def ? ")" : "");
    }
    fprintf(f, "\nexit status: 0 after a clean shutdown, 1 failure, 2 usage or configuration error\n");
}

/* A value that fits its key's kind, else a message naming the key (exit 2). */
static int check_value(const struct key *k, const char *v, const char *where)
{
    if (k->kind == K_INT) {
        char *end;
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end || x < k->lo || x > k->hi) {
            fprintf(stderr, "amid: %s%s: not a valid number: '%s' (%lld to %lld)\n", where, k->name, v, k->lo, k->hi);
            return -1;
        }
    } else if (k->kind == K_BOOL) {
        static const char *const ok[] = { "true", "false", "yes", "no", "1", "0" };
        int good = 0;
        for (size_t i = 0; i < 6; i++) good |= !strcmp(v, ok[i]);
        if (!good) { fprintf(stderr, "amid: %s%s: expected true or false, got '%s'\n", where, k->name, v); return -1; }
    } else if (k->kind == K_ENUM) {
        size_t n = strlen(v);
        const char *c = k->choices;
        int good = 0;
        while (*c) {
            size_t len = strcspn(c, "|");
            good |= len == n && !strncmp(c, v, n);
            c += len + (c[len] == '|');
        }
        if (!good) { fprintf(stderr, "amid: %s%s: expected %s, got '%s'\n", where, k->name, k->choices, v); return -1; }
    }
    return 0;
}

/* An owner key as amid takes it: 66 hex digits starting 02 or 03 (compressed secp256k1). */
static int check_owners(const char *ow)
{
    for (const char *p = ow; p && *p;) {
        while (*p == ',' || isspace((unsigned char)*p)) p++;
        if (!*p) break;
        size_t n = strcspn(p, ", \t");
        int good = n == 66 && p[0] == '0' && (p[1] == '2' || p[1] == '3');
        for (size_t i = 0; good && i < n; i++) good = isxdigit((unsigned char)p[i]);
        if (!good) {
            fprintf(stderr, "amid: owners: '%.*s' is not a public key (66 hex digits from `amictl keygen`)\n", (int)n, p);
            return -1;
        }
        p += n;
    }
    return 0;
}

static void log_line(const ami_node_log_record *rec, void *payload)
{
    (void)payload;
    amid_log_worker(rec->ts, rec->level, rec->nid, rec->sid, rec->msg);
}

/* Integer option: absent keeps *dst (values were checked against the table already). */
static int int_opt(amid_config *cfg, const char *key, int *dst)
{
    long long v;
    amid_config_claim(cfg, key);
    int r = amid_config_int(cfg, key, &v);
    if (r < 0 || (r > 0 && (v < -1 || v > 0x7fffffff))) {
        fprintf(stderr, "amid: %s: not a valid number: '%s'\n", key, amid_config_get(cfg, key));
        return -1;
    }
    if (r > 0) *dst = (int)v;
    return 0;
}

static const char *str_opt(amid_config *cfg, const char *key)
{
    amid_config_claim(cfg, key);
    const char *v = amid_config_get(cfg, key);
    return v && *v ? v : NULL;
}

/* Command line: getopt_long over the key table (each key as --a_b and --a-b) plus --config/--help/--version. */
static int parse_args(int argc, char **argv, amid_config *cli, const char **config_path)
{
    static struct option lo[2 * N_KEYS + 4];
    static char dashed[N_KEYS][48];
    size_t n = 0;
    for (size_t i = 0; i < N_KEYS; i++) {
        lo[n++] = (struct option){ KEYS[i].name, required_argument, NULL, 1000 + (int)i };
        snprintf(dashed[i], sizeof dashed[i], "%s", KEYS[i].name);
        for (char *p = dashed[i]; *p; p++) if (*p == '_') *p = '-';
        if (strcmp(dashed[i], KEYS[i].name)) lo[n++] = (struct option){ dashed[i], required_argument, NULL, 1000 + (int)i };
    }
    lo[n++] = (struct option){ "config", required_argument, NULL, 'c' };
    lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
    lo[n++] = (struct option){ "version", no_argument, NULL, 'V' };
    lo[n] = (struct option){ NULL, 0, NULL, 0 };
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":hV", lo, NULL)) != -1) {
        if (ch == 'h') { usage(stdout); return 0; }
        if (ch == 'V') { printf("amid %s (libami %s)\n", AMI_VERSION_STRING, ami_version()); return 0; }
        if (ch == 'c') { *config_path = optarg; continue; }
        if (ch == '?' || ch == ':') {
            fprintf(stderr, "amid: %s '%s' (amid --help lists every key)\n",
                    ch == ':' ? "a value is needed after" : "unknown option or key", argv[optind - 1]);
            return 2;
        }
        const struct key *k = &KEYS[ch - 1000];
        if (check_value(k, optarg, "--")) return 2;
        if (amid_config_set(cli, k->name, optarg)) { fprintf(stderr, "amid: out of memory\n"); return 1; }
    }
    if (optind < argc) {
        fprintf(stderr, "amid: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return -1;
}

/* Every key of the merged configuration is known and well-formed; defaults filled in. */
static int check_config(amid_config *cfg, amid_config *file)
{
    for (const char *unknown; (unknown = amid_config_unknown(file));) {
        if (!key_find(unknown)) {
            fprintf(stderr, "amid: unknown config key '%s' (amid --help lists every key)\n", unknown);
            return -1;
        }
        amid_config_claim(file, unknown);
    }
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *v = amid_config_get(cfg, KEYS[i].name);
        if (v && check_value(&KEYS[i], v, "")) return -1;
    }
    if (check_owners(amid_config_get(cfg, "owners"))) return -1;
    /* the table's defaults are what applies when a key is not given */
    for (size_t i = 0; i < N_KEYS; i++)
        if (KEYS[i].def && !amid_config_get(cfg, KEYS[i].name) && amid_config_set(cfg, KEYS[i].name, KEYS[i].def)) return -1;
    return 0;
}

int main(int argc, char **argv)
{
    amid_config *cfg = amid_config_new();
    amid_config *cli = amid_config_new();
    if (!cfg || !cli) return 1;
    const char *config_path = NULL;
    int prc = parse_args(argc, argv, cli, &config_path);
    if (prc >= 0) { amid_config_free(cfg); amid_config_free(cli); return prc; }
    char err[512];
    if (config_path && amid_config_load(cfg, config_path, err, sizeof err)) {
        fprintf(stderr, "amid: %s\n", err);
        return 2;
    }
    amid_config *file = amid_config_new();
    if (!file || amid_config_merge(file, cfg)) { fprintf(stderr, "amid: out of memory\n"); return 1; }
    /* the command line wins over the file */
    if (amid_config_merge(cfg, cli)) { fprintf(stderr, "amid: out of memory\n"); return 1; }
    int bad_config = check_config(cfg, file);
    amid_config_free(file);
    if (bad_config) { amid_config_free(cfg); amid_config_free(cli); return 2; }
    amid_config_claim(cfg, "log_format");
    const char *lf = amid_config_get(cfg, "log_format");
    amid_log_set_format(lf && !strcmp(lf, "json") ? AMID_LOG_JSON : AMID_LOG_TEXT);
    ami_node_options o = AMI_NODE_OPTIONS_INIT;
    const char *db = NULL;
    /* ---- HTTP (cli/amid/http.c): its keys are merged and claimed in the HTTP block below ---- */

    o.nid = str_opt(cfg, "nid");
    db = str_opt(cfg, "db");
    if (!db) db = str_opt(cfg, "store");   /* `store = etcd://…` reads better in a config file */
    else str_opt(cfg, "store");
    o.local_store_uri = str_opt(cfg, "local_db");
    if (str_opt(cfg, "network")) o.network = str_opt(cfg, "network");
    int heap_mb = (int)(o.heap_bytes >> 20);
    if (int_opt(cfg, "capacity", &o.capacity) || int_opt(cfg, "lease_ms", &o.lease_ms) ||
        int_opt(cfg, "renew_ms", &o.renew_ms) || int_opt(cfg, "retry_ms", &o.retry_ms) ||
        int_opt(cfg, "heartbeat_ms", &o.heartbeat_ms) || int_opt(cfg, "graceful_shutdown_ms", &o.graceful_shutdown_ms) ||
        int_opt(cfg, "stats_ms", &o.stats_ms) || int_opt(cfg, "resync_ms", &o.resync_ms) ||
        int_opt(cfg, "heap_mb", &heap_mb) || int_opt(cfg, "slice_ms", &o.slice_ms) ||
        int_opt(cfg, "log_ring", &o.log_ring) || int_opt(cfg, "runner_threads", &o.runner_threads))
        return 2;
    int line_bytes = (int)o.log_line_bytes;
    if (int_opt(cfg, "log_line_bytes", &line_bytes)) return 2;
    o.log_line_bytes = (size_t)line_bytes;
    o.heap_bytes = (size_t)heap_mb << 20;
    /* worker network I/O: permissions and limits */
    o.allow_net = str_opt(cfg, "allow_net");
    o.allow_listen = str_opt(cfg, "allow_listen");
    o.allow_env = str_opt(cfg, "allow_env");
    o.ca_file = str_opt(cfg, "ca_file");
    o.cex = str_opt(cfg, "cex");
    int body_bytes = 0;
    if (int_opt(cfg, "fetch_timeout_ms", &o.fetch_timeout_ms) || int_opt(cfg, "fetch_body_bytes", &body_bytes) ||
        int_opt(cfg, "fetch_max", &o.fetch_max) || int_opt(cfg, "sockets_max", &o.sockets_max))
        return 2;
    o.fetch_body_bytes = (size_t)body_bytes;
    {
        int d = o.loop_delay_ms;
        long long v;
        amid_config_claim(cfg, "loop_delay_ms");
        if (amid_config_int(cfg, "loop_delay_ms", &v) > 0) d = (int)v;
        o.loop_delay_ms = d;
    }
    /* a renew interval left at its default follows a shorter lease (lease/3) */
    if (!amid_config_get(cfg, "renew_ms") && o.renew_ms >= o.lease_ms) o.renew_ms = o.lease_ms / 3 > 0 ? o.lease_ms / 3 : 1;
    if (!amid_config_get(cfg, "retry_ms") && o.retry_ms >= o.lease_ms) o.retry_ms = o.lease_ms / 10 > 0 ? o.lease_ms / 10 : 1;
    if (!o.nid || !db) {
        fprintf(stderr, "amid: --nid and --db are required (or nid/db in the config file)\n");
        usage(stderr);
        return 2;
    }
    char uri[4096];
    snprintf(uri, sizeof uri, "%s%s", strncmp(db, "sqlite:", 7) && strncmp(db, "etcd:", 5) && strncmp(db, "etcds:", 6) ? "sqlite:" : "", db);
    o.store_uri = uri;
    o.log_fn = log_line;

    amid_http_setup http;
    if (amid_http_configure(&http, cfg, err, sizeof err)) {
        fprintf(stderr, "amid: %s\n", err);
        amid_http_teardown(&http);
        amid_config_free(cfg);
        amid_config_free(cli);
        return 2;
    }


    /* Block the shutdown signals in every thread; the main thread waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* a shell starts background jobs with SIGINT ignored; an ignored signal never reaches sigwait */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);

    if (ami_init() < 0) { amid_log("error", "ami_init failed"); return 1; }
    ami_node *node = NULL;
    int rc = ami_node_open(&node, &o);
    if (rc) {
        amid_log("error", "%s", ami_error_last());
        ami_shutdown();
        return rc == AMI_EINVAL ? 2 : 1;
    }
    if (ami_node_start(node)) {
        amid_log("error", "%s", ami_error_last());
        ami_node_free(node);
        ami_shutdown();
        return 1;
    }
    amid_log("info", "node %s started on %s (network %s, capacity %d, lease %d/%d/%d ms, pid %ld)",
            o.nid, uri, o.network, o.capacity, o.lease_ms, o.renew_ms, o.retry_ms, (long)getpid());

    http.store_uri = uri;
    if (amid_http_launch(&http, node, err, sizeof err)) {
        amid_log("error", "%s", err);
        amid_http_teardown(&http);
        ami_node_stop(node);
        ami_node_free(node);
        ami_shutdown();
        amid_config_free(cfg);
        amid_config_free(cli);
        return 1;
    }

    sd_notify(0, "READY=1");   /* Type=notify units: serving now (a no-op without systemd) */
    int sig = 0;
    sigwait(&set, &sig);
    sd_notify(0, "STOPPING=1");
    amid_log("info", "%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");

    amid_http_teardown(&http);   /* before the node: the dispatcher borrows it */

    ami_node_stop(node);
    ami_node_free(node);
    ami_shutdown();
    amid_config_free(cfg);
    amid_config_free(cli);
    amid_log("info", "stopped");
    return 0;
}
