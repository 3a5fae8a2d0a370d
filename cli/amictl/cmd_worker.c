/* Worker registry commands: create, list, show, start, stop, stop-all, delete. */
#include <stdlib.h>
#include <string.h>
#include "amictl.h"

int cmd_create(int argc, char **argv)
{
    const char *file = NULL;
    int start = 0;
    json_t *body = json_object();
    static const struct { const char *flag, *field; } map[] = {
        { "--mode", "executionMode" }, { "--priority", "priority" }, { "--run", "mode" },
        { "--node", "assignedNode" }, { "--scope", "scope" }, { "--note", "note" },
        { "--account", "accountId" }, { "--version", "version" },
    };
    for (int i = 1; i < argc; i++) {
        int matched = 0;
        for (size_t m = 0; m < sizeof map / sizeof map[0]; m++) {
            if (strcmp(argv[i], map[m].flag)) continue;
            if (i + 1 >= argc) { json_decref(body); return amictl_usage("create", "%s needs a value", argv[i]); }
            json_object_set_new(body, map[m].field, json_string(argv[++i]));
            matched = 1;
        }
        if (matched) continue;
        if (!strcmp(argv[i], "--file") && i + 1 < argc) file = argv[++i];
        else if (!strcmp(argv[i], "--start")) start = 1;
        else { json_decref(body); return amictl_usage("create", "unexpected argument '%s'", argv[i]); }
    }
    if (!file) { json_decref(body); return amictl_usage("create", "--file F (or - for stdin) is required"); }
    size_t len = 0;
    char *script = amictl_read_file(file, &len);
    if (!script) { json_decref(body); return AMICTL_FAIL; }
    json_object_set_new(body, "scriptContent", json_stringn(script, len));
    free(script);
    if (!json_string_value(json_object_get(body, "scriptContent"))) {
        json_decref(body);
        fprintf(stderr, "amictl create: the script is not valid UTF-8\n");
        return AMICTL_FAIL;
    }
    if (start) json_object_set_new(body, "active", json_true());
    ami_store *store = amictl_open_store();
    if (!store) { json_decref(body); return AMICTL_FAIL; }
    json_t *entry = NULL;
    int rc = ami_registry_create(&entry, store, amictl_opts.nid, body);
    json_decref(body);
    if (rc) { ami_store_free(store); return amictl_fail("create"); }
    if (amictl_opts.json) amictl_print_json(entry);
    else printf("created %s%s\n", json_string_value(json_array_get(json_object_get(entry, "key"), 2)),
                start ? " (active)" : " (inactive; start it with 'amictl start SID')");
    json_decref(entry);
    ami_store_free(store);
    return AMICTL_OK;
}

int cmd_list(int argc, char **argv)
{
    if (argc > 1) return amictl_usage("list", "unexpected argument '%s'", argv[1]);
    ami_store *store = amictl_open_store();
    if (!store) return AMICTL_FAIL;
    json_t *all = NULL;
    if (ami_registry_list(&all, store)) { ami_store_free(store); return amictl_fail("list"); }
    if (amictl_opts.json) amictl_print_json(all);
    else amictl_print_worker_table(all);
    json_decref(all);
    ami_store_free(store);
    return AMICTL_OK;
}

/* Shared shape of the commands that take exactly one worker id. */
static int with_worker(const char *cmd, int argc, char **argv, int (*fn)(ami_store *, const char *sid))
{
    if (argc != 2) return amictl_usage(cmd, argc < 2 ? "a worker id is required" : "unexpected argument '%s'", argv[argc - 1]);
    ami_store *store = amictl_open_store();
    if (!store) return AMICTL_FAIL;
    char *sid = amictl_resolve_sid(store, argv[1]);
    int rc = sid ? fn(store, sid) : AMICTL_FAIL;
    ami_free(sid);
    ami_store_free(store);
    return rc;
}

static int show_one(ami_store *store, const char *sid)
{
    json_t *e = NULL;
    if (ami_registry_get(&e, store, sid)) return amictl_fail("show");
    if (amictl_opts.json) amictl_print_json(e);
    else amictl_print_worker(e);
    json_decref(e);
    return AMICTL_OK;
}

static int set_active(ami_store *store, const char *sid, int active, const char *cmd)
{
    json_t *e = NULL;
    if (ami_registry_set_active(&e, store, sid, active)) return amictl_fail(cmd);
    if (amictl_opts.json) amictl_print_json(e);
    else printf("%s %s\n", active ? "started" : "stopped", sid);
    json_decref(e);
    return AMICTL_OK;
}
static int start_one(ami_store *store, const char *sid) { return set_active(store, sid, 1, "start"); }
static int stop_one(ami_store *store, const char *sid) { return set_active(store, sid, 0, "stop"); }

static int delete_one(ami_store *store, const char *sid)
{
    if (ami_registry_delete(store, sid)) return amictl_fail("delete");
    if (amictl_opts.json) {
        json_t *j = json_pack("{s:b, s:s}", "deleted", 1, "sid", sid);
        amictl_print_json(j);
        json_decref(j);
    } else {
        printf("deleted %s\n", sid);
    }
    return AMICTL_OK;
}

int cmd_show(int argc, char **argv) { return with_worker("show", argc, argv, show_one); }
int cmd_start(int argc, char **argv) { return with_worker("start", argc, argv, start_one); }
int cmd_stop(int argc, char **argv) { return with_worker("stop", argc, argv, stop_one); }
int cmd_delete(int argc, char **argv) { return with_worker("delete", argc, argv, delete_one); }

int cmd_stop_all(int argc, char **argv)
{
    if (argc > 1) return amictl_usage("stop-all", "unexpected argument '%s'", argv[1]);
    ami_store *store = amictl_open_store();
    if (!store) return AMICTL_FAIL;
    json_t *report = NULL;
    int partial = 0;
    if (ami_registry_stop_all(&report, &partial, store)) { ami_store_free(store); return amictl_fail("stop-all"); }
    if (amictl_opts.json) amictl_print_json(report);
    else printf("%lld workers: %lld stopped, %lld failed\n", (long long)json_integer_value(json_object_get(report, "total")),
                (long long)json_integer_value(json_object_get(report, "stopped")),
                (long long)json_integer_value(json_object_get(report, "failed")));
    json_decref(report);
    ami_store_free(store);
    return partial ? AMICTL_FAIL : AMICTL_OK;
}
