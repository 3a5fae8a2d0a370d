/*
 * amictl run FILE: execute a worker script now, in this process, against the
 * store — the way to try a script before deploying it.
 *
 * Stels.net is the --db store; Stels.local is the node-local store a node
 * with the same --nid uses: "<db>.<nid>.local" next to it (or --local PATH).
 * Log lines go to stdout ("TIME LEVEL message", or one JSON record per line
 * with --json); errors to stderr.  Exit 1 when the script fails to compile or
 * throws (the first failing iteration ends the command), 2 on usage errors.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "amictl.h"

#define RUN_USAGE "run FILE|- [--iterations N] [--delay MS] [--wait MS] [--local PATH] [--db PATH] [--nid N] [--network NET]" \
                  " [--allow-net HOSTS] [--allow-listen PORTS] [--allow-env NAMES] [--ca-file PEM]" \
                  " [--fetch-timeout MS] [--cex paper|live]"

static void print_log(const ami_log_record *rec, void *payload)
{
    (void)payload;
    if (amictl_opts.json) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s%}", "ts", (json_int_t)rec->ts, "level", rec->level_name,
                              "nid", rec->nid, "sid", rec->sid, "msg", rec->msg, rec->msg_len);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (s) puts(s);
        free(s);
        json_decref(j);
    } else {
        char when[32];
        time_t secs = (time_t)(rec->ts / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        printf("%s.%03dZ %-5s %.*s\n", when, (int)(rec->ts % 1000), rec->level_name, (int)rec->msg_len, rec->msg);
    }
    fflush(stdout);
}

/* SIGINT/SIGTERM stop the instance (a thread waits for them: ami_runtime_stop is not async-signal-safe). */
typedef struct { sigset_t set; ami_runtime *inst; int got; } signal_waiter;

static void *wait_signals(void *p)
{
    signal_waiter *w = p;
    int sig = 0;
    if (sigwait(&w->set, &sig) == 0 && sig != SIGUSR2) {
        w->got = sig;
        ami_runtime_stop(w->inst);
    }
    return NULL;
}

static int parse_int(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0) return -1;
    *out = v;
    return 0;
}

static int report(const char *file, const ami_runtime_result *res, int iteration, int iterations)
{
    if (iterations > 1) fprintf(stderr, "amictl run: %s: iteration %d: ", file, iteration);
    else fprintf(stderr, "amictl run: %s: ", file);
    fprintf(stderr, "%s: %s", res->name ? res->name : "Error", res->message ? res->message : "");
    if (res->line > 0) fprintf(stderr, " (line %d)", res->line);
    fputc('\n', stderr);
    if (res->stack && res->code == AMI_ESCRIPT) fprintf(stderr, "%s\n", res->stack);
    return AMICTL_FAIL;
}

int cmd_run(int argc, char **argv)
{
    const char *file = NULL, *db = amictl_opts.db, *nid = amictl_opts.nid, *network = amictl_opts.network, *local_path = NULL;
    const char *allow_net = NULL, *allow_listen = NULL, *allow_env = NULL, *ca_file = NULL, *cex = NULL;
    long fetch_timeout = 0;
    long iterations = 1, delay = 0, wait_ms = -1;
    /* the script runs in this process against a store: there is no remote form */
    if (amictl_remote()) return amictl_usage("run", "runs on a store directly (--db PATH), not through amid (--url)");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "--db") && has) db = argv[++i];
        else if (!strcmp(a, "--nid") && has) nid = argv[++i];
        else if (!strcmp(a, "--network") && has) network = argv[++i];
        else if (!strcmp(a, "--local") && has) local_path = argv[++i];
        else if (!strcmp(a, "--allow-net") && has) allow_net = argv[++i];
        else if (!strcmp(a, "--allow-listen") && has) allow_listen = argv[++i];
        else if (!strcmp(a, "--allow-env") && has) allow_env = argv[++i];
        else if (!strcmp(a, "--ca-file") && has) ca_file = argv[++i];
        else if (!strcmp(a, "--cex") && has) {
            cex = argv[++i];
            if (strcmp(cex, "paper") && strcmp(cex, "live")) return amictl_usage("run", "--cex needs paper or live");
        } else if (!strcmp(a, "--fetch-timeout") && has) {
            if (parse_int(argv[++i], &fetch_timeout) || fetch_timeout < 0) return amictl_usage("run", "--fetch-timeout needs milliseconds");
        }
        else if (!strcmp(a, "--iterations") && has) {
            if (parse_int(argv[++i], &iterations) || iterations < 1) return amictl_usage("run", "--iterations needs a positive number");
        } else if (!strcmp(a, "--delay") && has) {
            if (parse_int(argv[++i], &delay)) return amictl_usage("run", "--delay needs milliseconds");
        } else if (!strcmp(a, "--wait") && has) {
            if (parse_int(argv[++i], &wait_ms)) return amictl_usage("run", "--wait needs milliseconds");
        } else if (a[0] == '-' && a[1]) return amictl_usage("run", "unknown or incomplete option '%s'", a);
        else if (!file) file = a;
        else return amictl_usage("run", "unexpected argument '%s'", a);
    }
    if (!file) return amictl_usage("run", "a script FILE (or - for stdin) is required: " RUN_USAGE);

    size_t len = 0;
    char *script = amictl_read_file(file, &len);
    if (!script) return AMICTL_FAIL;
    char sid[37] = "run-";
    json_t *w = json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s}", "sid", "", "script", script, len, "nid", nid,
                          "executionMode", "parallel", "mode", iterations > 1 ? "loop" : "single", "priority", "normal");
    free(script);
    if (!w || !json_string_value(json_object_get(w, "script"))) {
        json_decref(w);
        fprintf(stderr, "amictl run: %s: the script is not valid UTF-8\n", file);
        return AMICTL_FAIL;
    }
    size_t flen = strlen(file);   /* a .ts file is TypeScript from its first line */
    if (flen > 3 && !strcmp(file + flen - 3, ".ts")) json_object_set_new(w, "language", json_string("ts"));
    /* a fresh id per try, so its logs and keys do not mix with a deployed worker's */
    snprintf(sid + 4, sizeof sid - 4, "%08lx", (unsigned long)((unsigned long)getpid() ^ (unsigned long)ami_time_now_ms()));
    json_object_set_new(w, "sid", json_string(sid));

    char *lpath = NULL;
    if (!local_path && !ami_node_local_uri(&lpath, db, nid)) local_path = lpath;   /* the node's own */
    ami_store *net = NULL, *local = NULL;
    int rc = AMICTL_FAIL;
    if (ami_store_open(&net, db)) {
        fprintf(stderr, "amictl run: cannot open store '%s': %s\n", db, ami_error_last());
        goto out;
    }
    if (!local_path || ami_store_open(&local, local_path)) {
        fprintf(stderr, "amictl run: cannot open local store '%s': %s\n", local_path ? local_path : "?", ami_error_last());
        goto out;
    }

    ami_runtime_options o = AMI_RUNTIME_OPTIONS_INIT;
    o.net = net;
    o.local = local;
    o.worker = w;
    o.nid = nid;
    o.network = network;
    o.log = print_log;
    o.allow_net = allow_net;
    o.allow_listen = allow_listen;
    o.allow_env = allow_env;
    o.ca_file = ca_file;
    o.cex = cex;
    o.fetch_timeout_ms = (int)fetch_timeout;
    ami_runtime *inst = NULL;
    if (ami_runtime_new(&inst, &o)) {
        fprintf(stderr, "amictl run: %s: %s\n", file, ami_error_last());
        goto out;
    }

    signal_waiter sw;
    memset(&sw, 0, sizeof sw);
    sw.inst = inst;
    sigemptyset(&sw.set);
    sigaddset(&sw.set, SIGINT);
    sigaddset(&sw.set, SIGTERM);
    sigaddset(&sw.set, SIGUSR2);   /* how this command wakes the waiter at the end */
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &sw.set, &old);
    pthread_t waiter;
    int have_waiter = pthread_create(&waiter, NULL, wait_signals, &sw) == 0;

    rc = AMICTL_OK;
    for (long it = 1; it <= iterations; it++) {
        ami_runtime_result res;
        if (ami_runtime_run(inst, &res)) rc = report(file, &res, (int)it, (int)iterations);
        ami_runtime_result_dispose(&res);
        if (rc) break;
        if (it < iterations && delay > 0) {
            /* sleep through pump so subscriptions keep being served and a signal ends it */
            int64_t until = ami_time_mono_ms() + delay;
            while (!ami_runtime_stop_requested(inst) && ami_time_mono_ms() < until) {
                if (ami_runtime_handles(inst)) ami_runtime_pump(inst, (int)(until - ami_time_mono_ms()));
                else usleep(10000);
            }
        }
        if (ami_runtime_stop_requested(inst)) { fprintf(stderr, "amictl run: stopped\n"); rc = AMICTL_FAIL; break; }
    }
    if (rc == AMICTL_OK && ami_runtime_handles(inst) && wait_ms != 0) {
        if (ami_runtime_pump(inst, (int)wait_ms) == AMI_ESTOPPED && sw.got) fprintf(stderr, "amictl run: stopped\n");
    }
    if (have_waiter) {
        pthread_kill(waiter, SIGUSR2);
        pthread_join(waiter, NULL);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    ami_runtime_free(inst);
out:
    ami_store_free(local);
    ami_store_free(net);
    json_decref(w);
    ami_free(lpath);
    return rc;
}
