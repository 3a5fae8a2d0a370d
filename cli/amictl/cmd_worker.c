/* Worker registry commands: create, list, show, update, start, stop, stop-all, delete. */
#include <stdlib.h>
#include <string.h>
#include "amictl.h"

/* Flags that set one string field of a setWorker body or an update's raw. */
static const struct { const char *flag, *field; } field_flags[] = {
    { "--mode", "executionMode" }, { "--priority", "priority" }, { "--run", "mode" },
    { "--node", "assignedNode" }, { "--scope", "scope" }, { "--note", "note" },
    { "--account", "accountId" }, { "--version", "version" }, { "--language", "language" },
};
#define N_FIELD_FLAGS (sizeof field_flags / sizeof field_flags[0])

/* 1 when argv[*i] is a field flag (value stored into obj), 0 when not, -1 on a missing value. */
static int field_flag(json_t *obj, int argc, char **argv, int *i)
{
    for (size_t m = 0; m < N_FIELD_FLAGS; m++) {
        if (strcmp(argv[*i], field_flags[m].flag)) continue;
        if (*i + 1 >= argc) return -1;
        json_object_set_new(obj, field_flags[m].field, json_string(argv[++*i]));
        return 1;
    }
    return 0;
}

/* Read a script file into obj[field]; AMICTL_OK or AMICTL_FAIL. */
static int load_script(json_t *obj, const char *field, const char *file)
{
    size_t len = 0;
    char *script = amictl_read_file(file, &len);
    if (!script) return AMICTL_FAIL;
    json_t *s = json_stringn(script, len);
    free(script);
    if (!s) return amictl_error("'%s' is not valid UTF-8 text", file);
    json_object_set_new(obj, field, s);
    /* a .ts file is TypeScript whatever its first lines look like */
    size_t flen = strlen(file);
    if (flen > 3 && !strcmp(file + flen - 3, ".ts") && !json_object_get(obj, "language"))
        json_object_set_new(obj, "language", json_string("ts"));
    return AMICTL_OK;
}

static const char *entry_sid(const json_t *entry)
{
    return json_string_value(json_array_get(json_object_get(entry, "key"), 2));
}

/* The template named `name` from listTemplates (so remote mode uses the server's). */
static json_t *fetch_template(const char *name)
{
    json_t *all = NULL, *found = NULL;
    if (amictl_call(&all, NULL, "listTemplates", NULL)) return NULL;
    size_t i;
    json_t *t;
    char known[1024] = "";
    size_t len = 0;
    json_array_foreach(all, i, t) {
        if (!strcmp(amictl_str(t, "name"), name)) found = json_incref(t);
        if (len < sizeof known)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", amictl_str(t, "name"));
    }
    json_decref(all);
    if (!found) amictl_error("no template '%s' (known: %s)", name, known);
    return found;
}

int cmd_create(int argc, char **argv)
{
    const char *file = NULL, *tname = NULL;
    int start = 0;
    json_t *body = json_object();
    for (int i = 1; i < argc; i++) {
        int r = field_flag(body, argc, argv, &i);
        if (r < 0) { json_decref(body); return amictl_usage("create", "%s needs a value", argv[i]); }
        if (r) continue;
        if (!strcmp(argv[i], "--file") && i + 1 < argc) file = argv[++i];
        else if (!strcmp(argv[i], "--template") && i + 1 < argc) tname = argv[++i];
        else if (!strcmp(argv[i], "--start")) start = 1;
        else { json_decref(body); return amictl_usage("create", "unexpected argument '%s'", argv[i]); }
    }
    if (!file && !tname) { json_decref(body); return amictl_usage("create", "--template NAME or --file F|- is required"); }
    if (tname) {
        json_t *t = fetch_template(tname);
        if (!t) { json_decref(body); return AMICTL_FAIL; }
        /* the template's settings, unless a flag said otherwise */
        static const char *const keep[][2] = { { "executionMode", "executionMode" }, { "priority", "priority" },
                                               { "mode", "mode" }, { "title", "note" } };
        for (size_t k = 0; k < 4; k++)
            if (!json_object_get(body, keep[k][1])) json_object_set(body, keep[k][1], json_object_get(t, keep[k][0]));
        json_object_set(body, "scriptContent", json_object_get(t, "script"));
        json_decref(t);
    }
    if (file && load_script(body, "scriptContent", file)) { json_decref(body); return AMICTL_FAIL; }
    if (start) json_object_set_new(body, "active", json_true());
    json_t *entry = NULL;
    if (amictl_call(&entry, NULL, "setWorker", body)) return AMICTL_FAIL;
    if (amictl_opts.json) {
        amictl_print_json(entry);
    } else {
        json_t *raw = json_object_get(json_object_get(entry, "value"), "raw");
        printf("created %s%s%s (%s, %s, %s)%s\n", C_BOLD, entry_sid(entry), C_RESET, amictl_str(raw, "executionMode"),
               amictl_str(raw, "priority"), amictl_str(raw, "mode"),
               start ? " active" : "; inactive: start it with 'amictl start SID'");
    }
    json_decref(entry);
    return AMICTL_OK;
}

int cmd_list(int argc, char **argv)
{
    int filter = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--active")) filter = 1;
        else if (!strcmp(argv[i], "--inactive")) filter = 0;
        else return amictl_usage("list", "unexpected argument '%s'", argv[i]);
    }
    json_t *all = NULL;
    if (amictl_call(&all, NULL, "listWorkers", NULL)) return AMICTL_FAIL;
    if (filter >= 0) {
        json_t *kept = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(all, i, e)
            if (json_is_true(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "active")) == filter)
                json_array_append(kept, e);
        json_decref(all);
        all = kept;
    }
    if (amictl_opts.json) amictl_print_json(all);
    else {
        /* docs/design.md §5: an exclusive worker whose assigned node is not live is reported as such. */
        json_t *nodes = NULL;
        if (amictl_call(&nodes, NULL, "listNodes", NULL)) nodes = NULL;
        amictl_print_worker_table(all, nodes);
        json_decref(nodes);
    }
    json_decref(all);
    return AMICTL_OK;
}

/* Shared shape of the commands that take exactly one worker id. */
static int with_worker(const char *cmd, int argc, char **argv, int (*fn)(const char *sid))
{
    if (argc < 2) return amictl_usage(cmd, "a worker id is required");
    if (argc > 2) return amictl_usage(cmd, "unexpected argument '%s'", argv[2]);
    char *sid = amictl_resolve_sid(argv[1]);
    int rc = sid ? fn(sid) : AMICTL_FAIL;
    free(sid);
    return rc;
}

static int show_one(const char *sid)
{
    json_t *e = NULL;
    if (amictl_call(&e, NULL, "getWorker", json_pack("{s:s}", "sid", sid))) return AMICTL_FAIL;
    if (amictl_opts.json) amictl_print_json(e);
    else amictl_print_worker(e);
    json_decref(e);
    return AMICTL_OK;
}

static int update(const char *sid, json_t *raw, const char *versionstamp, const char *verb)
{
    char channel[300];
    snprintf(channel, sizeof channel, "ami.worker.%s", sid);
    json_t *body = json_pack("{s:s,s:o}", "channel", channel, "raw", raw);
    if (versionstamp) json_object_set_new(body, "versionstamp", json_string(versionstamp));
    json_t *e = NULL;
    if (amictl_call(&e, NULL, "updateWorker", body)) return AMICTL_FAIL;
    if (amictl_opts.json) amictl_print_json(e);
    else printf("%s %s (versionstamp %s)\n", verb, sid, amictl_str(e, "versionstamp"));
    json_decref(e);
    return AMICTL_OK;
}

static int start_one(const char *sid) { return update(sid, json_pack("{s:b}", "active", 1), NULL, "started"); }
static int stop_one(const char *sid) { return update(sid, json_pack("{s:b}", "active", 0), NULL, "stopped"); }

static int delete_one(const char *sid)
{
    json_t *r = NULL;
    if (amictl_call(&r, NULL, "deleteWorker", json_pack("{s:s}", "sid", sid))) return AMICTL_FAIL;
    if (amictl_opts.json) amictl_print_json(r);
    else printf("deleted %s\n", sid);
    json_decref(r);
    return AMICTL_OK;
}

int cmd_show(int argc, char **argv) { return with_worker("show", argc, argv, show_one); }
int cmd_start(int argc, char **argv) { return with_worker("start", argc, argv, start_one); }
int cmd_stop(int argc, char **argv) { return with_worker("stop", argc, argv, stop_one); }
int cmd_delete(int argc, char **argv) { return with_worker("delete", argc, argv, delete_one); }

int cmd_update(int argc, char **argv)
{
    json_t *raw = json_object();
    const char *file = NULL, *vs = NULL, *prefix = NULL;
    int rc = AMICTL_USAGE;
    for (int i = 1; i < argc; i++) {
        int r = field_flag(raw, argc, argv, &i);
        if (r < 0) { amictl_usage("update", "%s needs a value", argv[i]); goto out; }
        if (r) continue;
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--clear-node")) json_object_set_new(raw, "assignedNode", json_null());
        else if (!strcmp(a, "--clear-account")) json_object_set_new(raw, "accountId", json_null());
        else if (!strcmp(a, "--file") && v) { file = v; i++; }
        else if (!strcmp(a, "--versionstamp") && v) { vs = v; i++; }
        else if (!strcmp(a, "--active") && v && (!strcmp(v, "true") || !strcmp(v, "false"))) {
            json_object_set_new(raw, "active", json_boolean(!strcmp(v, "true")));
            i++;
        } else if (!strcmp(a, "--deps") && v) {
            json_t *deps = json_array();
            char *copy = strdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                if (*t) json_array_append_new(deps, json_string(t));
            free(copy);
            json_object_set_new(raw, "dependencies", deps);
            i++;
        } else if (a[0] != '-' && !prefix) {
            prefix = a;
        } else {
            amictl_usage("update", v || !strncmp(a, "--", 2) ? "unexpected argument '%s'" : "%s needs a value", a);
            goto out;
        }
    }
    if (!prefix) { amictl_usage("update", "a worker id is required"); goto out; }
    if (file && load_script(raw, "script", file)) { rc = AMICTL_FAIL; goto out; }
    if (json_object_size(raw) == 0) { amictl_usage("update", "nothing to change: give at least one field option"); goto out; }
    char *sid = amictl_resolve_sid(prefix);
    if (!sid) { rc = AMICTL_FAIL; goto out; }
    rc = update(sid, raw, vs, "updated");
    raw = NULL;
    free(sid);
out:
    json_decref(raw);
    return rc;
}

int cmd_stop_all(int argc, char **argv)
{
    if (argc > 1) return amictl_usage("stop-all", "unexpected argument '%s'", argv[1]);
    json_t *report = NULL;
    int partial = 0;
    if (amictl_call(&report, &partial, "stopAllWorkers", NULL)) return AMICTL_FAIL;
    if (amictl_opts.json) {
        amictl_print_json(report);
    } else {
        printf("%lld workers: %lld stopped, %lld failed\n", (long long)json_integer_value(json_object_get(report, "total")),
               (long long)json_integer_value(json_object_get(report, "stopped")),
               (long long)json_integer_value(json_object_get(report, "failed")));
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(report, "errors"), i, e)
            fprintf(stderr, "amictl stop-all: %s: %s\n", amictl_str(e, "channel"), amictl_str(e, "error"));
    }
    json_decref(report);
    return partial ? AMICTL_FAIL : AMICTL_OK;
}
