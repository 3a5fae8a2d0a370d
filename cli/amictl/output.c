/* Human output: aligned tables and record views. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "amictl.h"

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "-";
}

static void format_age(char *out, size_t n, long long ms)
{
    long long s = ms / 1000;
    if (s < 60) snprintf(out, n, "%llds", s);
    else if (s < 3600) snprintf(out, n, "%lldm", s / 60);
    else if (s < 86400) snprintf(out, n, "%lldh", s / 3600);
    else snprintf(out, n, "%lldd", s / 86400);
}

void amictl_print_worker_table(const json_t *entries)
{
    if (json_array_size(entries) == 0) { printf("no workers\n"); return; }
    int color = isatty(1) && !getenv("NO_COLOR");
    printf("%-8s  %-8s  %-9s  %-6s  %-8s  %-10s  %-5s  %s\n", "SID", "STATUS", "MODE", "RUN", "PRIORITY", "NODE", "AGE", "NOTE");
    size_t i;
    json_t *e;
    long long now = (long long)ami_time_now_ms();
    json_array_foreach(entries, i, e) {
        json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
        int active = json_is_true(json_object_get(raw, "active"));
        const char *node = json_is_string(json_object_get(raw, "assignedNode")) ? str(raw, "assignedNode") : str(raw, "nid");
        char age[32];
        format_age(age, sizeof age, now - (long long)json_integer_value(json_object_get(raw, "timestamp")));
        char note[48];
        snprintf(note, sizeof note, "%s", str(raw, "note"));
        if (strlen(str(raw, "note")) >= sizeof note) memcpy(note + sizeof note - 4, "...", 4);
        printf("%-8.8s  %s%-8s%s  %-9s  %-6s  %-8s  %-10.10s  %-5s  %s\n", str(raw, "sid"),
               color ? (active ? "\033[32m" : "\033[2m") : "", active ? "active" : "inactive", color ? "\033[0m" : "",
               str(raw, "executionMode"), str(raw, "mode"), str(raw, "priority"), node, age, note);
    }
}

void amictl_print_worker(const json_t *entry)
{
    json_t *raw = json_object_get(json_object_get(entry, "value"), "raw");
    char hash[9];
    const char *script = json_string_value(json_object_get(raw, "script"));
    ami_worker_script_hash(hash, script ? script : "", script ? strlen(script) : 0);
    printf("sid:           %s\n", str(raw, "sid"));
    printf("active:        %s\n", json_is_true(json_object_get(raw, "active")) ? "true" : "false");
    printf("executionMode: %s\n", str(raw, "executionMode"));
    printf("mode:          %s\n", str(raw, "mode"));
    printf("scope:         %s\n", str(raw, "scope"));
    printf("priority:      %s\n", str(raw, "priority"));
    printf("assignedNode:  %s\n", str(raw, "assignedNode"));
    printf("accountId:     %s\n", str(raw, "accountId"));
    printf("nid:           %s\n", str(raw, "nid"));
    printf("note:          %s\n", str(raw, "note"));
    printf("version:       %s\n", str(raw, "version"));
    printf("versionstamp:  %s\n", str(entry, "versionstamp"));
    printf("scriptHash:    %s\n", hash);
    printf("script:\n%s\n", script ? script : "");
}
