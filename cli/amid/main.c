/*
 * amid: run a libami node in the foreground.  Worker log lines go to stderr
 * with their sid; SIGTERM/SIGINT shut down gracefully (leases released,
 * final stats written, heartbeat removed) and exit 0.
 */
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

static void usage(FILE *f)
{
    fprintf(f,
        "usage: amid --nid NID --db PATH [--network NAME] [--lease-ms N] [--renew-ms N]\n"
        "            [--retry-ms N] [--heartbeat-ms N] [--capacity N] [--config FILE] [--KEY VALUE]...\n\n"
        "Run a libami node in the foreground: it runs its share of the workers in the\n"
        "store at PATH, logs to stderr, and shuts down gracefully on SIGTERM/SIGINT.\n"
        "Every config-file key can also be given as --key value (dashes or underscores);\n"
        "the command line wins over the file.  See docs/amid.conf for every key.\n\n"
        "exit status: 0 after a clean shutdown, 1 failure, 2 usage error\n");
}

static void log_line(const ami_node_log_record *rec, void *payload)
{
    (void)payload;
    time_t s = (time_t)(rec->ts / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    flockfile(stderr);
    fprintf(stderr, "%s.%03dZ %s [%.8s] %s: %s\n", when, (int)(rec->ts % 1000), rec->nid, rec->sid,
            rec->level, rec->msg);
    funlockfile(stderr);
}

/* Integer option: absent keeps *dst; a bad value is a usage error. */
static int int_opt(amid_config *cfg, const char *key, int *dst)
{
    long long v;
    amid_config_claim(cfg, key);
    int r = amid_config_int(cfg, key, &v);
    if (r < 0 || (r > 0 && (v < 0 || v > 0x7fffffff))) {
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

int main(int argc, char **argv)
{
    amid_config *cfg = amid_config_new();
    amid_config *cli = amid_config_new();
    if (!cfg || !cli) return 1;
    const char *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--version")) { printf("amid %s\n", ami_version()); return 0; }
        if (strncmp(a, "--", 2) || !a[2]) {
            fprintf(stderr, "amid: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        char key[128];
        const char *val = NULL;
        const char *eq = strchr(a + 2, '=');
        size_t kl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (kl >= sizeof key) { fprintf(stderr, "amid: option too long: '%s'\n", a); return 2; }
        memcpy(key, a + 2, kl);
        key[kl] = '\0';
        for (char *p = key; *p; p++) if (*p == '-') *p = '_';
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else { fprintf(stderr, "amid: option --%s needs a value\n", a + 2); usage(stderr); return 2; }
        if (!strcmp(key, "config")) config_path = val;
        else amid_config_set(cli, key, val);
    }
    char err[512];
    if (config_path && amid_config_load(cfg, config_path, err, sizeof err)) {
        fprintf(stderr, "amid: %s\n", err);
        return 2;
    }
    /* the command line wins over the file */
    if (amid_config_merge(cfg, cli)) { fprintf(stderr, "amid: out of memory\n"); return 1; }
    ami_node_options o = AMI_NODE_OPTIONS_INIT;
    const char *db = NULL;
    /* ---- HTTP (cli/amid/http.c): its keys are merged and claimed in the HTTP block below ---- */

    o.nid = str_opt(cfg, "nid");
    db = str_opt(cfg, "db");
    o.local_store_uri = str_opt(cfg, "local_db");
    if (str_opt(cfg, "network")) o.network = str_opt(cfg, "network");
    int heap_mb = (int)(o.heap_bytes >> 20);
    if (int_opt(cfg, "capacity", &o.capacity) || int_opt(cfg, "lease_ms", &o.lease_ms) ||
        int_opt(cfg, "renew_ms", &o.renew_ms) || int_opt(cfg, "retry_ms", &o.retry_ms) ||
        int_opt(cfg, "heartbeat_ms", &o.heartbeat_ms) || int_opt(cfg, "graceful_shutdown_ms", &o.graceful_shutdown_ms) ||
        int_opt(cfg, "stats_ms", &o.stats_ms) || int_opt(cfg, "resync_ms", &o.resync_ms) ||
        int_opt(cfg, "heap_mb", &heap_mb) || int_opt(cfg, "slice_ms", &o.slice_ms) ||
        int_opt(cfg, "log_ring", &o.log_ring))
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
    snprintf(uri, sizeof uri, "%s%s", strncmp(db, "sqlite:", 7) && strncmp(db, "etcd:", 5) ? "sqlite:" : "", db);
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

    for (const char *unknown; (unknown = amid_config_unknown(cfg));) {
        fprintf(stderr, "amid: warning: unknown config key '%s' (ignored)\n", unknown);
        amid_config_claim(cfg, unknown);
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

    if (ami_init() < 0) { fprintf(stderr, "amid: ami_init failed\n"); return 1; }
    ami_node *node = NULL;
    int rc = ami_node_open(&node, &o);
    if (rc) {
        fprintf(stderr, "amid: %s\n", ami_error_last());
        ami_shutdown();
        return rc == AMI_EINVAL ? 2 : 1;
    }
    if (ami_node_start(node)) {
        fprintf(stderr, "amid: %s\n", ami_error_last());
        ami_node_free(node);
        ami_shutdown();
        return 1;
    }
    fprintf(stderr, "amid: node %s started on %s (network %s, capacity %d, lease %d/%d/%d ms, pid %ld)\n",
            o.nid, uri, o.network, o.capacity, o.lease_ms, o.renew_ms, o.retry_ms, (long)getpid());

    if (amid_http_launch(&http, node, err, sizeof err)) {
        fprintf(stderr, "amid: %s\n", err);
        amid_http_teardown(&http);
        ami_node_stop(node);
        ami_node_free(node);
        ami_shutdown();
        amid_config_free(cfg);
        amid_config_free(cli);
        return 1;
    }

    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "amid: %s: shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");

    amid_http_teardown(&http);   /* before the node: the dispatcher borrows it */

    ami_node_stop(node);
    ami_node_free(node);
    ami_shutdown();
    amid_config_free(cfg);
    amid_config_free(cli);
    fprintf(stderr, "amid: stopped\n");
    return 0;
}
