/* Claim: a worker's stop hook (Deno.addSignalListener("SIGTERM", fn)) also
 * runs once, with the graceful time, when its instance is stopped by
 * active:false and when it is reloaded (script changed): the old script's
 * hook writes its store key before the instance is torn down. */
#include "node_helpers.h"

static void tweak(ami_node_options *o) { o->graceful_shutdown_ms = 4000; }

static const char *script_of(const char *tag)
{
    static char s[600];
    snprintf(s, sizeof s,
             "Deno.addSignalListener('SIGTERM', async (graceful) => {\\n"
             "  await Stels.net.set(['hook', '%s'], { graceful });\\n"
             "});\\n"
             "setInterval(() => {}, 1000);\\n"
             "Stels.net.set(['up', '%s'], 1);", tag, tag);
    return s;
}

static long long graceful_of(ami_node *node, const char *tag)
{
    char k[100];
    snprintf(k, sizeof k, "[\"hook\", \"%s\"]", tag);
    json_t *key = check_json(k), *e = NULL;
    long long g = -1;
    if (ami_store_get(&e, ami_node_store(node), key) == 0) {
        json_t *raw = json_object_get(json_object_get(e, "value"), "raw");
        if (raw) g = json_integer_value(json_object_get(raw, "graceful"));
    }
    json_decref(e);
    json_decref(key);
    return g;
}

static int wait_key(ami_node *node, const char *keyjson)
{
    json_t *key = check_json(keyjson);
    int found = 0;
    for (int i = 0; i < 200 && !found; i++) {
        json_t *e = NULL;
        if (ami_store_get(&e, ami_node_store(node), key) == 0 && !json_is_null(json_object_get(e, "value"))) found = 1;
        json_decref(e);
        if (!found) nap_ms(50);
    }
    json_decref(key);
    return found;
}

static void hook_runs_on_deactivate_and_reload(void)
{
    char db[500], body[1000];
    snprintf(db, sizeof db, "%s", check_path("hook.db"));
    ami_node *node = open_node(db, "s-0001", tweak);
    CHECK_RC(ami_node_start(node));
    snprintf(body, sizeof body, "{\"scriptContent\":\"%s\",\"active\":true,\"mode\":\"single\"}", script_of("v1"));
    char *sid = make_worker(ami_node_store(node), "s-0001", body);
    CHECK(wait_key(node, "[\"up\", \"v1\"]"));
    CHECK_INT(graceful_of(node, "v1"), -1);
    /* reload: the old script's hook runs, the new script starts */
    snprintf(body, sizeof body, "{\"script\":\"%s\"}", script_of("v2"));
    update_worker(ami_node_store(node), sid, body);
    CHECK(wait_key(node, "[\"up\", \"v2\"]"));
    CHECK_INT(graceful_of(node, "v1"), 4000);
    CHECK_INT(graceful_of(node, "v2"), -1);
    /* active:false: the running script's hook runs */
    update_worker(ami_node_store(node), sid, "{\"active\":false}");
    CHECK(wait_key(node, "[\"hook\", \"v2\"]"));
    CHECK_INT(graceful_of(node, "v2"), 4000);
    CHECK_RC(ami_node_stop(node));
    free(sid);
    ami_node_free(node);
}

int main(void)
{
    RUN(hook_runs_on_deactivate_and_reload);
    return check_done();
}
