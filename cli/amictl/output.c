/* Human output: aligned tables and record views; colour only on a terminal without NO_COLOR. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "amictl.h"

const char *amictl_c(const char *code)
{
    static char buf[8][16];
    static int next;
    if (!amictl_opts.color) return "";
    char *b = buf[next++ % 8];
    snprintf(b, 16, "\033[%sm", code);
    return b;
}

const char *amictl_str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "-";
}

static long long num(const json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

void amictl_fmt_duration(char *out, size_t n, long long ms)
{
    if (ms < 0) ms = 0;
    long long s = ms / 1000;
    if (s < 60) snprintf(out, n, "%llds", s);
    else if (s < 3600) snprintf(out, n, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400) snprintf(out, n, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else snprintf(out, n, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

static void fmt_age(char *out, size_t n, long long ms)
{
    long long s = ms < 0 ? 0 : ms / 1000;
    if (s < 60) snprintf(out, n, "%llds", s);
    else if (s < 3600) snprintf(out, n, "%lldm", s / 60);
    else if (s < 86400) snprintf(out, n, "%lldh", s / 3600);
    else snprintf(out, n, "%lldd", s / 86400);
}

void amictl_fmt_time(char *out, size_t n, long long ms)
{
    if (ms <= 0) { snprintf(out, n, "-"); return; }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Copy s into out (n bytes), cut with "..." when longer than width characters. */
static const char *cut(char *out, size_t n, const char *s, size_t width)
{
    snprintf(out, n, "%s", s);
    if (strlen(s) > width && width >= 3 && width < n) strcpy(out + width - 3, "...");
    for (char *p = out; *p; p++) if (*p == '\n' || *p == '\t') *p = ' ';
    return out;
}

static const char *mode_color(const char *m)
{
    return !strcmp(m, "leader") ? C_YELLOW : !strcmp(m, "exclusive") ? C_MAGENTA : C_BLUE;
}

static const char *prio_color(const char *p)
{
    return !strcmp(p, "critical") ? C_RED : !strcmp(p, "high") ? C_YELLOW : !strcmp(p, "normal") ? C_GREEN : C_BLUE;
}

static int node_is_live(const json_t *nodes, const char *nid)
{
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
        if (!strcmp(amictl_str(n, "nid"), nid)) return 1;
    return 0;
}

void amictl_print_worker_table(const json_t *entries, const json_t *nodes)
{
    if (json_array_size(entries) == 0) { printf("no workers\n"); return; }
    int sw = amictl_opts.wide ? 36 : 8;   /* -o wide: full ids and notes */
    printf("%s%-*s  %-8s  %-9s  %-6s  %-8s  %-10s  %-5s  %s%s\n", C_BOLD, sw, "SID", "STATUS", "MODE", "RUN", "PRIORITY",
           "NODE", "AGE", "NOTE", C_RESET);
    size_t i;
    json_t *e;
    long long now = (long long)ami_time_now_ms();
    size_t active_n = 0, errors_n = 0, orphans = 0;
    json_array_foreach(entries, i, e) {
        json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
        int active = json_is_true(json_object_get(raw, "active"));
        /* stopped by a node's error policy: "error" until started again (docs/design.md §7) */
        int error = json_is_object(json_object_get(raw, "stoppedByPolicy"));
        active_n += active && !error;
        errors_n += error;
        const char *node = json_is_string(json_object_get(raw, "assignedNode")) ? amictl_str(raw, "assignedNode")
                                                                                 : amictl_str(raw, "nid");
        char flagged[48];
        if (nodes && !strcmp(amictl_str(raw, "executionMode"), "exclusive") && !node_is_live(nodes, node)) {
            snprintf(flagged, sizeof flagged, "%.9s!", node);   /* "!": the assigned node is not live */
            node = flagged;
            orphans++;
        }
        char age[32], note[1024];
        fmt_age(age, sizeof age, now - num(raw, "timestamp"));
        const char *em = amictl_str(raw, "executionMode"), *pr = amictl_str(raw, "priority");
        printf("%-*.*s  %s%-8s%s  %s%-9s%s  %-6s  %s%-8s%s  %-10.10s  %-5s  %s\n", sw, sw, amictl_str(raw, "sid"),
               error ? C_RED : active ? C_GREEN : C_DIM, error ? "error" : active ? "active" : "inactive", C_RESET,
               mode_color(em), em, C_RESET,
               amictl_str(raw, "mode"), prio_color(pr), pr, C_RESET, node, age,
               cut(note, sizeof note, amictl_str(raw, "note"), amictl_opts.wide ? 1000 : 50));
    }
    if (errors_n)
        printf("%s%zu workers: %zu active, %zu error, %zu inactive%s\n", C_DIM, json_array_size(entries), active_n,
               errors_n, json_array_size(entries) - active_n - errors_n, C_RESET);
    else
        printf("%s%zu workers: %zu active, %zu inactive%s\n", C_DIM, json_array_size(entries), active_n,
               json_array_size(entries) - active_n, C_RESET);
    if (orphans)
        printf("%s! %zu exclusive worker%s assigned to a node that is not live (no heartbeat): %s not running%s\n",
               C_RED, orphans, orphans == 1 ? "" : "s", orphans == 1 ? "it is" : "they are", C_RESET);
}

void amictl_print_worker(const json_t *entry)
{
    json_t *v = json_object_get(entry, "value"), *raw = json_object_get(v, "raw");
    char hash[9], ts[32];
    const char *script = json_string_value(json_object_get(raw, "script"));
    ami_worker_script_hash(hash, script ? script : "", script ? strlen(script) : 0);
    amictl_fmt_time(ts, sizeof ts, num(raw, "timestamp"));
    int active = json_is_true(json_object_get(raw, "active"));
    printf("sid:           %s%s%s\n", C_BOLD, amictl_str(raw, "sid"), C_RESET);
    printf("active:        %s%s%s\n", active ? C_GREEN : C_DIM, active ? "true" : "false", C_RESET);
    json_t *sbp = json_object_get(raw, "stoppedByPolicy");
    if (json_is_object(sbp)) {
        char at[32];
        amictl_fmt_time(at, sizeof at, num(sbp, "at"));
        printf("state:         %serror%s (%s, on node %s at %s; start it again with 'amictl start')\n", C_RED, C_RESET,
               amictl_str(sbp, "reason"), amictl_str(sbp, "nid"), at);
    }
    printf("executionMode: %s\n", amictl_str(raw, "executionMode"));
    printf("mode:          %s\n", amictl_str(raw, "mode"));
    printf("scope:         %s\n", amictl_str(raw, "scope"));
    printf("priority:      %s\n", amictl_str(raw, "priority"));
    printf("assignedNode:  %s\n", amictl_str(raw, "assignedNode"));
    printf("accountId:     %s\n", amictl_str(raw, "accountId"));
    printf("nid:           %s\n", amictl_str(raw, "nid"));
    printf("note:          %s\n", amictl_str(raw, "note"));
    printf("version:       %s\n", amictl_str(raw, "version"));
    printf("dependencies:  ");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(raw, "dependencies"), i, d) printf("%s%s", i ? ", " : "", json_string_value(d));
    printf("\nchannel:       %s\n", amictl_str(v, "channel"));
    printf("modified:      %s\n", ts);
    printf("versionstamp:  %s\n", amictl_str(entry, "versionstamp"));
    printf("scriptHash:    %s (%zu bytes)\n", hash, script ? strlen(script) : 0);
    printf("%s--- script ---%s\n%s", C_DIM, C_RESET, script ? script : "");
    if (script && *script && script[strlen(script) - 1] != '\n') putchar('\n');
}

static const char *state_color(const char *st)
{
    if (!strcmp(st, "running") || !strcmp(st, "sleeping")) return C_GREEN;
    if (!strcmp(st, "backoff") || !strcmp(st, "paused") || !strcmp(st, "waiting-capacity")) return C_YELLOW;
    if (!strcmp(st, "stopped") || !strcmp(st, "error") || !strcmp(st, "lost")) return C_RED;
    return C_DIM;
}

void amictl_print_stats(const json_t *st)
{
    printf("%sworkers%s %lld (%lld running, %lld stopped)   %sexecutions%s %lld   %serrors%s %lld "
           "(network %lld, critical %lld)\n",
           C_BOLD, C_RESET, num(st, "totalWorkers"), num(st, "runningWorkers"), num(st, "stoppedWorkers"), C_BOLD,
           C_RESET, num(st, "totalExecutions"), C_BOLD, C_RESET, num(st, "totalErrors"), num(st, "totalNetworkErrors"),
           num(st, "totalCriticalErrors"));
    if (json_is_integer(json_object_get(st, "totalInstances")))
        printf("%sinstances%s %lld (%lld running)\n", C_BOLD, C_RESET, num(st, "totalInstances"), num(st, "runningInstances"));
    json_t *ws = json_object_get(st, "workers");
    if (!json_array_size(ws)) { printf("no stats yet (no node has run a worker)\n"); return; }
    int sw = amictl_opts.wide ? 36 : 8;
    printf("\n%s%-*s  %-10s  %-16s  %10s  %7s  %7s  %7s  %8s  %8s  %8s  %s%s\n", C_BOLD, sw, "SID", "NODE", "STATE", "EXECS",
           "ERRORS", "NET", "CRIT", "RATE", "LAST RUN", "UPTIME", "HASH", C_RESET);
    size_t i;
    json_t *s;
    json_array_foreach(ws, i, s) {
        char last[32], up[32];
        json_t *ago = json_object_get(s, "lastRunAgo");
        if (json_is_integer(ago)) { fmt_age(last, sizeof last, json_integer_value(ago)); strcat(last, " ago"); }
        else snprintf(last, sizeof last, "-");
        amictl_fmt_duration(up, sizeof up, num(s, "uptime"));
        const char *state = json_is_string(json_object_get(s, "state")) ? amictl_str(s, "state")
                          : json_is_true(json_object_get(s, "isRunning")) ? "running" : "stopped";
        long long errs = num(s, "errors");
        char term[24] = "";
        if (json_is_integer(json_object_get(s, "term"))) snprintf(term, sizeof term, " t%lld", num(s, "term"));
        char statebuf[40];
        snprintf(statebuf, sizeof statebuf, "%s%s", state, term);
        printf("%-*.*s  %-10.10s  %s%-16s%s  %10lld  %s%7lld%s  %7lld  %7lld  %8s  %8s  %8s  %s\n", sw, sw, amictl_str(s, "sid"),
               amictl_str(s, "nid"), state_color(state), statebuf, C_RESET, num(s, "executions"),
               errs ? C_RED : "", errs, errs ? C_RESET : "", num(s, "networkErrors"), num(s, "criticalErrors"),
               amictl_str(s, "errorRate"), last, up, amictl_str(s, "scriptHash"));
        if (json_is_string(json_object_get(s, "lastError"))) {
            char e[120];
            printf("          %slast error (%s): %s%s\n", C_DIM, amictl_str(s, "lastErrorType"),
                   cut(e, sizeof e, amictl_str(s, "lastError"), 100), C_RESET);
        }
    }
}

void amictl_print_leader(const json_t *info, long long now)
{
    printf("worker:       %s\n", amictl_str(info, "workerId"));
    if (!json_is_true(json_object_get(info, "hasLeader"))) {
        printf("status:       %sno leader%s (%s)\n", C_YELLOW, C_RESET, amictl_str(info, "message"));
        return;
    }
    long long exp = num(info, "expiresAt"), in = exp - now;
    char el[32], rn[32], d1[32], d2[32], d3[32];
    amictl_fmt_time(el, sizeof el, num(info, "timestamp"));
    amictl_fmt_time(rn, sizeof rn, num(info, "renewedAt"));
    amictl_fmt_duration(d1, sizeof d1, now - num(info, "timestamp"));
    amictl_fmt_duration(d2, sizeof d2, now - num(info, "renewedAt"));
    amictl_fmt_duration(d3, sizeof d3, in);
    if (in > 0) printf("status:       %sleader active%s\n", C_GREEN, C_RESET);
    else printf("status:       %slease expired%s (a new leader will be elected)\n", C_RED, C_RESET);
    printf("leader:       %s%s%s\n", C_BOLD, amictl_str(info, "leader"), C_RESET);
    if (json_is_integer(json_object_get(info, "term"))) printf("term:         %lld\n", num(info, "term"));
    printf("elected at:   %s (%s ago)\n", el, d1);
    printf("renewed at:   %s (%s ago)\n", rn, d2);
    if (in > 0) printf("expires in:   %s%s%s\n", in < 15000 ? C_YELLOW : "", d3, in < 15000 ? C_RESET : "");
    else printf("expired:      %s ago\n", (amictl_fmt_duration(d3, sizeof d3, -in), d3));
}

void amictl_print_nodes(const json_t *nodes)
{
    if (!json_array_size(nodes)) { printf("no live nodes\n"); return; }
    printf("%s%-12s  %-10s  %8s  %9s  %-10s  %-14s  %s%s\n", C_BOLD, "NID", "NETWORK", "RUNNING", "CAPACITY", "UPTIME",
           "HEARTBEAT", "VERSION", C_RESET);
    long long now = (long long)ami_time_now_ms();
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n) {
        char up[32], hb[32];
        amictl_fmt_duration(up, sizeof up, now - num(n, "startedAt"));
        fmt_age(hb, sizeof hb, now - num(n, "heartbeatAt"));
        strcat(hb, " ago");
        printf("%-12s  %-10s  %8lld  %9lld  %-10s  %-14s  %s\n", amictl_str(n, "nid"), amictl_str(n, "network"),
               num(n, "running"), num(n, "capacity"), up, hb, amictl_str(n, "version"));
    }
}

void amictl_print_log_line(const json_t *l)
{
    long long ts = num(l, "ts");
    char t[32];
    amictl_fmt_time(t, sizeof t, ts);
    const char *lv = amictl_str(l, "level");
    const char *c = !strcmp(lv, "error") ? C_RED : !strcmp(lv, "warn") ? C_YELLOW : !strcmp(lv, "debug") ? C_DIM : "";
    printf("%s%s.%03lld%s %-8s %s%-5s%s %s\n", C_DIM, t, ts % 1000, C_RESET, amictl_str(l, "nid"), c, lv,
           *c ? C_RESET : "", amictl_str(l, "msg"));
}

void amictl_print_templates(const json_t *templates)
{
    printf("%s%-18s  %-12s  %-9s  %-8s  %-6s  %s%s\n", C_BOLD, "NAME", "CATEGORY", "MODE", "PRIORITY", "RUN",
           "DESCRIPTION", C_RESET);
    size_t i;
    json_t *t;
    json_array_foreach(templates, i, t) {
        char d[80];
        const char *em = amictl_str(t, "executionMode"), *pr = amictl_str(t, "priority");
        printf("%-18s  %-12s  %s%-9s%s  %s%-8s%s  %-6s  %s\n", amictl_str(t, "name"), amictl_str(t, "category"),
               mode_color(em), em, C_RESET, prio_color(pr), pr, C_RESET, amictl_str(t, "mode"),
               cut(d, sizeof d, amictl_str(t, "description"), 70));
    }
}
