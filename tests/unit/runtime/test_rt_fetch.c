/* Claim: fetch in a worker against a real local server: responses with
 * status, headers and bodies (text, json, arrayBuffer), request bodies as
 * string / URLSearchParams / Uint8Array / ArrayBuffer, ten 200 ms requests
 * under Promise.all finish well under a second, HTTP 500 is a Response,
 * json() on invalid JSON rejects with SyntaxError, the body cap, the timeout
 * and fetch_max are clear errors, an AbortSignal (abort(), timeout()) rejects
 * with its reason, refused hosts and redirects into them throw
 * PermissionDenied naming host:port and allow_net, and HTTPS verifies with
 * the ca_file option. */
#define _GNU_SOURCE 1
#include "rt.h"
#include "net_harness.h"

static ami_store *net, *local;
static net_server srv;

/* Run `script` (a worker body) with these options; returns the run code, logs in *logs. */
static int run_with(const char *script, const char *allow_net, const char *ca_file, int timeout_ms, int fetch_max, rt_logs *logs)
{
    char *full = NULL;
    if (asprintf(&full, "const BASE = 'http://127.0.0.1:%d';\n%s", srv.port, script) < 0) abort();
    json_t *w = rt_worker("sid-fetch", full);
    free(full);
    ami_runtime_options o = rt_options(net, local, w, logs);
    o.allow_net = allow_net;
    o.ca_file = ca_file;
    o.fetch_timeout_ms = timeout_ms;
    o.fetch_max = fetch_max;
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    ami_runtime_result res;
    int rc = ami_runtime_run(inst, &res);
    if (rc) fprintf(stderr, "  (run: %s: %s, line %d)\n", res.name, res.message, res.line);
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
    return rc;
}

static void ok(const char *script)
{
    rt_logs logs;
    rt_logs_init(&logs);
    CHECK_INT(run_with(script, "127.0.0.1", NULL, 0, 0, &logs), 0);
    for (size_t i = 0; i < json_array_size(logs.lines); i++) fprintf(stderr, "  log: %s\n", rt_log_msg(&logs, i));
    rt_logs_dispose(&logs);
}

static void responses_and_bodies(void)
{
    ok(RT_EQ_JS
       "const r = await fetch(BASE + '/json');\n"
       "eq([r.status, r.ok, r.statusText, r.url, r.redirected, r.headers.get('content-type')], [200, true, 'OK', BASE + '/json', false, 'application/json'], 'json response');\n"
       "eq(await r.json(), { ok: true, n: 42 }, 'json body');\n"
       "eq(r.bodyUsed, true, 'bodyUsed');\n"
       "const t = await fetch(new URL('/json', BASE));\n"
       "eq(await t.text(), '{\"ok\": true, \"n\": 42}', 'text');\n"
       "const b = new Uint8Array(await (await fetch(BASE + '/json')).arrayBuffer());\n"
       "eq(b.length, 21, 'arrayBuffer');\n"
       "const bodies = ['plain text', new URLSearchParams({ a: 'b c', d: 'é' }), new Uint8Array([104, 105]), new Uint8Array([111, 107]).buffer];\n"
       "const got = [];\n"
       "for (const body of bodies) {\n"
       "  const e = await (await fetch(BASE + '/echo?q=1', { method: 'POST', body, headers: { 'X-Test': 'yes' } })).json();\n"
       "  got.push([e.method, e.query, e.body, e.headers['x-test'], e.headers['content-type'] || null]);\n"
       "}\n"
       "eq(got, [['POST', 'q=1', 'plain text', 'yes', 'text/plain;charset=UTF-8'],\n"
       "         ['POST', 'q=1', 'a=b+c&d=%C3%A9', 'yes', 'application/x-www-form-urlencoded;charset=UTF-8'],\n"
       "         ['POST', 'q=1', 'hi', 'yes', null], ['POST', 'q=1', 'ok', 'yes', null]], 'request bodies');\n"
       "const put = await (await fetch(new Request(BASE + '/echo', { method: 'put', body: '{}', headers: { 'content-type': 'application/json' } }))).json();\n"
       "eq([put.method, put.body, put.headers['content-type']], ['PUT', '{}', 'application/json'], 'a Request');\n"
       "const e500 = await fetch(BASE + '/status?code=500');\n"
       "eq([e500.status, e500.ok, e500.statusText, await e500.text()], [500, false, 'Internal Server Error', 'status 500'], '500 is a response');\n"
       "const e404 = await fetch(BASE + '/status?code=404');\n"
       "eq([e404.status, e404.ok], [404, false], '404');\n"
       "let bad = null; try { await (await fetch(BASE + '/badjson')).json(); } catch (e) { bad = e.name; }\n"
       "eq(bad, 'SyntaxError', 'json() on invalid JSON');\n"
       "const red = await fetch(BASE + '/redirect?n=3');\n"
       "eq([red.status, red.redirected, red.url], [200, true, BASE + '/json'], 'redirect chain');\n"
       "const man = await fetch(BASE + '/redirect?n=1', { redirect: 'manual' });\n"
       "eq([man.status, man.headers.get('location')], [302, '/json'], 'manual redirect');\n"
       "let err = null; try { await fetch(BASE + '/redirect?n=1', { redirect: 'error' }); } catch (e) { err = e.name; }\n"
       "eq(err, 'TypeError', 'redirect error mode');\n");
}

static void concurrent_requests(void)
{
    ok(RT_EQ_JS
       "const t0 = performance.now();\n"
       "const all = await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(BASE + '/delay?ms=200').then((r) => r.json())));\n"
       "const took = performance.now() - t0;\n"
       "eq(all.map((x) => x.delayed), [200, 200, 200, 200, 200, 200, 200, 200, 200, 200], 'all answered');\n"
       "if (took >= 1000) throw new Error('ten 200 ms requests took ' + took + ' ms');\n");
}

static void limits_and_aborts(void)
{
    ok(RT_EQ_JS
       "let e = null; try { await fetch(BASE + '/big?mb=50'); } catch (x) { e = [x.name, x.message.indexOf('fetch_body_max') > 0]; }\n"
       "eq(e, ['ResponseTooLarge', true], 'body cap');\n"
       "const c = new AbortController();\n"
       "const p = fetch(BASE + '/slow', { signal: c.signal });\n"
       "c.abort();\n"
       "e = null; try { await p; } catch (x) { e = x.name; }\n"
       "eq(e, 'AbortError', 'abort()');\n"
       "e = null; try { await fetch(BASE + '/json', { signal: AbortSignal.abort(new RangeError('mine')) }); } catch (x) { e = x.name + ': ' + x.message; }\n"
       "eq(e, 'RangeError: mine', 'already aborted, with a reason');\n"
       "const t0 = performance.now();\n"
       "e = null; try { await fetch(BASE + '/slow', { signal: AbortSignal.timeout(300) }); } catch (x) { e = x.name; }\n"
       "eq(e, 'TimeoutError', 'AbortSignal.timeout');\n"
       "if (performance.now() - t0 > 5000) throw new Error('timeout signal was late');\n");
    rt_logs logs;
    rt_logs_init(&logs);
    CHECK_INT(run_with(RT_EQ_JS
                       "let e = null; try { await fetch(BASE + '/slow'); } catch (x) { e = x.name; }\n"
                       "eq(e, 'RequestTimeout', 'fetch_timeout_ms');\n"
                       "const ps = [fetch(BASE + '/delay?ms=100'), fetch(BASE + '/delay?ms=100')];\n"
                       "e = null; try { await fetch(BASE + '/json'); } catch (x) { e = [x.name, x.message.indexOf('fetch_max') > 0]; }\n"
                       "eq(e, ['RangeError', true], 'fetch_max');\n"
                       "await Promise.all(ps);\n",
                       "127.0.0.1", NULL, 500, 2, &logs), 0);
    rt_logs_dispose(&logs);
}

static void permissions(void)
{
    rt_logs logs;
    rt_logs_init(&logs);
    CHECK_INT(run_with(RT_EQ_JS
                       "let e = null; try { await fetch(BASE + '/json'); } catch (x) { e = x.name + ': ' + x.message; }\n"
                       "eq(e, 'PermissionDenied: fetch: Requires net access to \"127.0.0.1:' + BASE.split(':')[2] + '\"; the node allows it with allow_net=127.0.0.1:' + BASE.split(':')[2] + ' (or allow_net=127.0.0.1)', 'no allow_net');\n"
                       "e = null; try { await fetch('ftp://127.0.0.1/x'); } catch (x) { e = x.name; }\n"
                       "eq(e, 'TypeError', 'scheme');\n",
                       NULL, NULL, 0, 0, &logs), 0);
    /* allowed on 127.0.0.1, a redirect to localhost is refused */
    CHECK_INT(run_with(RT_EQ_JS
                       "const port = BASE.split(':')[2];\n"
                       "let e = null; try { await fetch(BASE + '/redirect?n=2&to=http://localhost:' + port + '/json'); } catch (x) { e = [x.name, x.message.indexOf('\"localhost:' + port + '\"') > 0, x.message.indexOf('allow_net=localhost') > 0]; }\n"
                       "eq(e, ['PermissionDenied', true, true], 'redirect into a refused host');\n"
                       "e = null; try { await fetch('http://localhost:' + port + '/json'); } catch (x) { e = x.name; }\n"
                       "eq(e, 'PermissionDenied', 'localhost is another host');\n",
                       "127.0.0.1", NULL, 0, 0, &logs), 0);
    rt_logs_dispose(&logs);
}

static void https_with_ca_file(void)
{
    net_make_test_ca();
    char cert[600], key[600], ca[600];
    snprintf(cert, sizeof cert, "%s", check_path("server.pem"));
    snprintf(key, sizeof key, "%s", check_path("server.key"));
    snprintf(ca, sizeof ca, "%s", check_path("ca.pem"));
    net_server tls = net_server_start("tls.port", cert, key);
    char script[600];
    snprintf(script, sizeof script, RT_EQ_JS
             "const r = await fetch('https://127.0.0.1:%d/json');\n"
             "eq([r.status, (await r.json()).n], [200, 42], 'https');\n", tls.port);
    rt_logs logs;
    rt_logs_init(&logs);
    CHECK_INT(run_with(script, "127.0.0.1", ca, 0, 0, &logs), 0);
    snprintf(script, sizeof script, RT_EQ_JS
             "let e = null; try { await fetch('https://127.0.0.1:%d/json'); } catch (x) { e = [x.name, /certificate/.test(x.message)]; }\n"
             "eq(e, ['NetworkError', true], 'unknown CA');\n", tls.port);
    CHECK_INT(run_with(script, "127.0.0.1", NULL, 0, 0, &logs), 0);
    rt_logs_dispose(&logs);
    net_server_stop(&tls);
}

int main(void)
{
    rt_stores(&net, &local);
    srv = net_server_start("http.port", NULL, NULL);
    RUN(responses_and_bodies);
    RUN(concurrent_requests);
    RUN(limits_and_aborts);
    RUN(permissions);
    RUN(https_with_ca_file);
    net_server_stop(&srv);
    ami_store_free(local);
    ami_store_free(net);
    return check_done();
}
