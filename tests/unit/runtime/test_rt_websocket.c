/* Claim: WebSocket in a worker against a real echo server: open, text and
 * binary messages both ways, close with code and reason (ours and the
 * server's), readyState through CONNECTING/OPEN/CLOSING/CLOSED, on* handlers
 * and addEventListener alike; messages arrive while the script sleeps; a
 * refused connection fires error then close 1006; hosts outside allow_net
 * throw PermissionDenied and sockets_max is a clear error. */
#define _GNU_SOURCE 1
#include "rt.h"
#include "net_harness.h"

static ami_store *net, *local;
static net_server srv;

static int run_ws(const char *script, const char *allow_net, int sockets_max)
{
    char *full = NULL;
    if (asprintf(&full, "const WS = 'ws://127.0.0.1:%d/ws';\n%s", srv.port, script) < 0) abort();
    json_t *w = rt_worker("sid-ws", full);
    free(full);
    rt_logs logs;
    rt_logs_init(&logs);
    ami_runtime_options o = rt_options(net, local, w, &logs);
    o.allow_net = allow_net;
    o.sockets_max = sockets_max;
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    ami_runtime_result res;
    int rc = ami_runtime_run(inst, &res);
    if (rc) fprintf(stderr, "  (run: %s: %s, line %d)\n", res.name, res.message, res.line);
    for (size_t i = 0; i < json_array_size(logs.lines); i++) fprintf(stderr, "  log: %s\n", rt_log_msg(&logs, i));
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
    rt_logs_dispose(&logs);
    return rc;
}

static void echo_both_ways(void)
{
    CHECK_INT(run_ws(RT_EQ_JS
        "const ws = new WebSocket(WS);\n"
        "const seen = [ws.readyState, ws.url];\n"
        "const got = [];\n"
        "ws.onopen = () => { seen.push('open', ws.readyState); ws.send('hello'); ws.send('wörld 𝄞'); ws.send(new Uint8Array([1, 2, 255]).buffer); ws.send(new Uint8Array([7])); };\n"
        "ws.addEventListener('message', (ev) => {\n"
        "  got.push(typeof ev.data === 'string' ? ev.data : Array.from(new Uint8Array(ev.data)).join('+'));\n"
        "  if (got.length === 4) { ws.close(4001, 'enough'); seen.push(ws.readyState); }\n"
        "});\n"
        "const ev = await new Promise((res) => { ws.onclose = res; });\n"
        "eq(seen, [0, WS, 'open', 1, 2], 'states');\n"
        "eq(got, ['hello', 'wörld 𝄞', '1+2+255', '7'], 'echoed');\n"
        "eq([ev.code, ev.reason, ev.wasClean, ws.readyState], [4001, 'enough', true, 3], 'our close');\n"
        "const ws2 = new WebSocket(WS);\n"
        "ws2.onopen = () => ws2.send('close');\n"
        "const ev2 = await new Promise((res) => ws2.addEventListener('close', res));\n"
        "eq([ev2.code, ev2.reason], [1000, 'bye'], 'server close');\n",
        "127.0.0.1", 0), 0);
}

static void delivered_while_sleeping(void)
{
    CHECK_INT(run_ws(RT_EQ_JS
        "const ws = new WebSocket(WS);\n"
        "const got = [];\n"
        "ws.onopen = () => ws.send('ping');\n"
        "ws.onmessage = (ev) => got.push(ev.data);\n"
        "await Stels.sleep(1000);\n"
        "eq(got, ['ping'], 'message during a sleep');\n"
        "ws.close();\n",
        "127.0.0.1", 0), 0);
}

static void failures_and_limits(void)
{
    int closed = net_free_port();
    char script[2048];
    snprintf(script, sizeof script, RT_EQ_JS
        "const ws = new WebSocket('ws://127.0.0.1:%d/ws');\n"
        "const order = [];\n"
        "ws.onerror = () => order.push('error');\n"
        "const ev = await new Promise((res) => ws.onclose = (e) => { order.push('close'); res(e); });\n"
        "eq([order, ev.code, ev.wasClean], [['error', 'close'], 1006, false], 'refused');\n"
        "let e = null; try { new WebSocket('ws://localhost:%d/'); } catch (x) { e = [x.name, x.message.indexOf('allow_net=localhost') > 0]; }\n"
        "eq(e, ['PermissionDenied', true], 'allow_net');\n"
        "e = null; try { new WebSocket('ftp://127.0.0.1/'); } catch (x) { e = x.name; }\n"
        "eq(e, 'SyntaxError', 'scheme');\n"
        "const a = new WebSocket(WS), b = new WebSocket(WS);\n"
        "e = null; try { new WebSocket(WS); } catch (x) { e = [x.name, x.message.indexOf('sockets_max') > 0]; }\n"
        "eq(e, ['RangeError', true], 'sockets_max');\n"
        "a.close(); b.close();\n", closed, closed);
    CHECK_INT(run_ws(script, "127.0.0.1", 2), 0);
}

int main(void)
{
    rt_stores(&net, &local);
    srv = net_server_start("ws.port", NULL, NULL);
    RUN(echo_both_ways);
    RUN(delivered_while_sleeping);
    RUN(failures_and_limits);
    net_server_stop(&srv);
    ami_store_free(local);
    ami_store_free(net);
    return check_done();
}
