/* Claim: a worker's stop hook (Deno.addSignalListener("SIGTERM", fn)) runs
 * once when its node shuts down, with the graceful-shutdown time as its
 * argument; a Deno.serve worker that shuts its server down there ends at
 * once (not at the graceful deadline), its store writes from the hook are
 * kept, and its port is free afterwards. */
#include "node_helpers.h"
#include "net_harness.h"

static int port;

static void tweak(ami_node_options *o)
{
    static char listen[16];
    snprintf(listen, sizeof listen, "%d", port);
    o->allow_listen = listen;
    o->graceful_shutdown_ms = 8000;
}

static void hook_runs_on_shutdown(void)
{
    char db[500];
    snprintf(db, sizeof db, "%s", check_path("hook.db"));
    ami_node *node = open_node(db, "s-0001", tweak);
    CHECK_RC(ami_node_start(node));
    char body[1200];
    snprintf(body, sizeof body,
             "{\"scriptContent\":\"const srv = Deno.serve({ port: %d, hostname: '127.0.0.1', onListen() {} }, () => new Response('up'));\\n"
             "Deno.addSignalListener('SIGTERM', async (graceful) => {\\n"
             "  await Stels.net.set(['hook', 'ran'], { graceful });\\n"
             "  await srv.shutdown();\\n"
             "});\\n"
             "logger.info('serving');\",\"active\":true,\"mode\":\"single\"}", port);
    char *sid = make_worker(ami_node_store(node), "s-0001", body);
    char out[256], cmd[200];
    int rc = 0;
    snprintf(cmd, sizeof cmd, "curl -s -m 2 http://127.0.0.1:%d/", port);
    int up = 0;
    for (int i = 0; i < 200 && !up; i++) {
        check_run(out, sizeof out, &rc, cmd);
        up = !strcmp(out, "up");
        if (!up) nap_ms(50);
    }
    CHECK(up);
    int64_t t0 = ami_time_mono_ms();
    CHECK_RC(ami_node_stop(node));
    CHECK(ami_time_mono_ms() - t0 < 6000);   /* the hook ended it, not the 8 s deadline */
    json_t *key = check_json("[\"hook\", \"ran\"]"), *e = NULL;
    CHECK_RC(ami_store_get(&e, ami_node_store(node), key));
    CHECK_INT(json_integer_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "graceful")), 8000);
    json_decref(e);
    json_decref(key);
    check_run(out, sizeof out, &rc, cmd);
    CHECK(strcmp(out, "up"));
    free(sid);
    ami_node_free(node);
}

int main(void)
{
    port = net_free_port();
    RUN(hook_runs_on_shutdown);
    return check_done();
}
