/* Claim: a Deno.serve handler may answer with the Response a fetch gave it,
 * headers unread: the client gets the upstream's status, headers (read from
 * the fetched bytes only when the answer goes out) and body; a fetched
 * response's headers read in the script are the upstream's, lowercase and
 * immutable. */
#define _GNU_SOURCE 1
#include "rt.h"
#include "net_harness.h"

static void *pump_main(void *p)
{
    ami_runtime *inst = p;
    while (!ami_runtime_stop_requested(inst)) ami_runtime_pump(inst, 100);
    return NULL;
}

int main(void)
{
    ami_store *net, *local;
    rt_stores(&net, &local);
    int up = net_free_port(), front = net_free_port();
    while (front == up) front = net_free_port();
    char script[2048], listen[32];
    snprintf(listen, sizeof listen, "%d,%d", up, front);
    snprintf(script, sizeof script,
             "Deno.serve({ port: %d, hostname: '127.0.0.1', onListen() {} }, () =>\n"
             "  new Response('upstream body', { status: 203, headers: { 'X-Up': 'yes', 'content-type': 'text/x-up' } }));\n"
             "const r = await fetch('http://127.0.0.1:%d/');\n"
             "if (r.headers.get('x-up') !== 'yes' || !r.headers.has('X-UP')) throw new Error('headers ' + JSON.stringify([...r.headers]));\n"
             "let immutable = false;\n"
             "try { r.headers.set('x-up', 'no'); } catch (e) { immutable = e instanceof TypeError; }\n"
             "if (!immutable || await r.text() !== 'upstream body') throw new Error('not the upstream response');\n"
             "Deno.serve({ port: %d, hostname: '127.0.0.1', onListen() {} }, () => fetch('http://127.0.0.1:%d/'));\n",
             up, up, front, up);
    json_t *w = rt_worker("sid-serve-proxy", script);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    o.allow_listen = listen;
    o.allow_net = "127.0.0.1";
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    ami_runtime_result res;
    CHECK_INT(ami_runtime_run(inst, &res), 0);
    if (res.message) fprintf(stderr, "  (%s: %s)\n", res.name, res.message);
    ami_runtime_result_dispose(&res);
    pthread_t t;
    pthread_create(&t, NULL, pump_main, inst);
    char cmd[256], out[4096];
    snprintf(cmd, sizeof cmd, "curl -s -i -m 10 'http://127.0.0.1:%d/'", front);
    int rc = 0;
    check_run(out, sizeof out, &rc, cmd);
    CHECK(strstr(out, "HTTP/1.1 203") == out);
    CHECK(strcasestr(out, "\r\nx-up: yes\r\n") != NULL);
    CHECK(strcasestr(out, "\r\ncontent-type: text/x-up\r\n") != NULL);
    CHECK(strstr(out, "\r\n\r\nupstream body") != NULL);
    ami_runtime_stop(inst);
    pthread_join(t, NULL);
    ami_runtime_free(inst);
    ami_store_free(local);
    ami_store_free(net);
    return check_done();
}
