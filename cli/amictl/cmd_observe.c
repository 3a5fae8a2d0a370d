/* Observation commands: stats, leader, logs, nodes. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "amictl.h"

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

/* Ctrl-C ends --watch / -f loops cleanly (exit 0). */
static void catch_interrupt(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Sleep ms unless interrupted. */
static void nap(long ms)
{
    while (ms > 0 && !interrupted) {
        long step = ms > 100 ? 100 : ms;
        struct timespec ts = { 0, step * 1000000L };
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static int redraw_in_place(void) { return isatty(1) && !amictl_opts.json; }

int cmd_stats(int argc, char **argv)
{
    const char *prefix = NULL, *nid = NULL;
    int watch = 0;
    long interval = 2, count = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--watch") || !strcmp(a, "-w")) watch = 1;
        else if (!strcmp(a, "--node") && v) { nid = v; i++; }
        else if (!strcmp(a, "--interval") && v) {
            if ((interval = amictl_parse_count(v)) < 1) return amictl_usage("stats", "--interval needs a whole number of seconds >= 1");
            i++;
        } else if (!strcmp(a, "--count") && v) {
            if ((count = amictl_parse_count(v)) < 1) return amictl_usage("stats", "--count needs a number >= 1");
            i++;
        } else if (a[0] != '-' && !prefix) prefix = a;
        else return amictl_usage("stats", "unexpected argument '%s'", a);
    }
    char *sid = NULL;
    if (prefix && !(sid = amictl_resolve_sid(prefix))) return AMICTL_FAIL;
    if (watch) catch_interrupt();
    int rc = AMICTL_OK;
    for (long n = 0; !interrupted; n++) {
        json_t *body = json_object(), *st = NULL;
        if (sid) json_object_set_new(body, "sid", json_string(sid));
        if (nid) json_object_set_new(body, "nid", json_string(nid));
        if (amictl_call(&st, NULL, "getWorkerStats", body)) { rc = AMICTL_FAIL; break; }
        if (redraw_in_place() && watch) printf("\033[H\033[2J");
        if (amictl_opts.json) amictl_print_json(st);
        else {
            if (watch) {
                char t[32];
                amictl_fmt_time(t, sizeof t, (long long)ami_time_now_ms());
                printf("%s%s  every %lds, Ctrl-C to quit%s\n", C_DIM, t, interval, C_RESET);
            }
            amictl_print_stats(st);
            if (watch && !redraw_in_place()) putchar('\n');
        }
        fflush(stdout);
        json_decref(st);
        if (!watch || (count && n + 1 >= count)) break;
        nap(interval * 1000);
    }
    free(sid);
    return rc;
}

int cmd_leader(int argc, char **argv)
{
    const char *prefix = NULL;
    int watch = 0;
    long count = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--watch") || !strcmp(argv[i], "-w")) watch = 1;
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
            if ((count = amictl_parse_count(argv[++i])) < 1) return amictl_usage("leader", "--count needs a number >= 1");
        } else if (argv[i][0] != '-' && !prefix) prefix = argv[i];
        else return amictl_usage("leader", "unexpected argument '%s'", argv[i]);
    }
    if (!prefix) return amictl_usage("leader", "a worker id is required");
    char *sid = amictl_resolve_sid(prefix);
    if (!sid) return AMICTL_FAIL;
    if (watch) catch_interrupt();
    int rc = AMICTL_OK;
    json_t *info = NULL;
    long long fetched = 0;
    for (long n = 0; !interrupted; n++) {
        long long now = (long long)ami_time_now_ms();
        /* re-read the lease every 5 s; in between, count "expires in" down locally */
        if (!info || now - fetched >= 5000 || !watch) {
            json_decref(info);
            info = NULL;
            if (amictl_call(&info, NULL, "getLeaderInfo", json_pack("{s:s}", "workerId", sid))) { rc = AMICTL_FAIL; break; }
            fetched = now;
            if (amictl_opts.json) amictl_print_json(info);
        }
        if (!amictl_opts.json) {
            if (redraw_in_place() && watch) printf("\033[H\033[2J");
            amictl_print_leader(info, now);
            if (watch && !redraw_in_place()) putchar('\n');
            fflush(stdout);
        }
        if (!watch || (count && n + 1 >= count)) break;
        nap(1000);
    }
    json_decref(info);
    free(sid);
    return rc;
}

int cmd_logs(int argc, char **argv)
{
    const char *prefix = NULL;
    int follow = 0;
    long limit = 100, timeout = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-f") || !strcmp(a, "--follow")) follow = 1;
        else if ((!strcmp(a, "-n") || !strcmp(a, "--lines")) && v) {
            if ((limit = amictl_parse_count(v)) < 0) return amictl_usage("logs", "-n needs a number");
            i++;
        } else if (!strcmp(a, "--timeout") && v) {
            if ((timeout = amictl_parse_count(v)) < 1) return amictl_usage("logs", "--timeout needs a number of seconds >= 1");
            i++;
        } else if (a[0] != '-' && !prefix) prefix = a;
        else return amictl_usage("logs", "unexpected argument '%s'", a);
    }
    if (!prefix) return amictl_usage("logs", "a worker id is required");
    char *sid = amictl_resolve_sid(prefix);
    if (!sid) return AMICTL_FAIL;
    if (follow) catch_interrupt();
    long long after = 0, deadline = timeout ? (long long)ami_time_now_ms() + timeout * 1000 : 0;
    int rc = AMICTL_OK, first = 1;
    while (!interrupted) {
        json_t *body = json_pack("{s:s,s:I}", "sid", sid, "limit", (json_int_t)(first ? limit : 10000));
        if (after) json_object_set_new(body, "after", json_integer(after));
        json_t *lines = NULL;
        if (amictl_call(&lines, NULL, "getWorkerLogs", body)) { rc = AMICTL_FAIL; break; }
        if (amictl_opts.json && !follow) {
            amictl_print_json(lines);
        } else {
            size_t i;
            json_t *l;
            json_array_foreach(lines, i, l) {
                if (amictl_opts.json) amictl_print_json(l);   /* one object per line while following */
                else amictl_print_log_line(l);
                long long ts = (long long)json_integer_value(json_object_get(l, "ts"));
                if (ts > after) after = ts;
            }
            fflush(stdout);
        }
        json_decref(lines);
        first = 0;
        if (!follow || (deadline && (long long)ami_time_now_ms() >= deadline)) break;
        nap(500);
    }
    free(sid);
    return rc;
}

int cmd_nodes(int argc, char **argv)
{
    if (argc > 1) return amictl_usage("nodes", "unexpected argument '%s'", argv[1]);
    json_t *nodes = NULL;
    if (amictl_call(&nodes, NULL, "listNodes", NULL)) return AMICTL_FAIL;
    if (amictl_opts.json) amictl_print_json(nodes);
    else amictl_print_nodes(nodes);
    json_decref(nodes);
    return AMICTL_OK;
}
