/* Claim: Deno.serve in a worker answers real HTTP clients (curl) with the
 * handler's Response — method, path, query, headers and body reach the
 * handler, an async handler may await the store, a throwing handler answers
 * 500 and logs why — binds only ports allow_listen names (PermissionDenied
 * naming the port), reports a port clash as AddrInUse in the run's error
 * (the process goes on), and closes its port when the worker is stopped or
 * calls shutdown(): the port can be bound again — also when a handler
 * shuts down its own server or another one while answering (the answer
 * still goes out, the port is free for a Deno.serve in the same handler). */
#define _GNU_SOURCE 1
#include "rt.h"
#include "net_harness.h"

static ami_store *net, *local;

typedef struct { ami_runtime *inst; volatile int done; pthread_t t; rt_logs logs; } served;

static void *pump_main(void *p)
{
    served *s = p;
    while (!s->done && !ami_runtime_stop_requested(s->inst)) ami_runtime_pump(s->inst, 100);
    return NULL;
}

/* Start a worker whose body calls Deno.serve on `port`, then keep its loop running in a thread. */
static int serve_start(served *s, const char *script, const char *allow_listen, ami_runtime_result *res)
{
    memset(s, 0, sizeof *s);
    rt_logs_init(&s->logs);
    json_t *w = rt_worker("sid-serve", script);
    ami_runtime_options o = rt_options(net, local, w, &s->logs);
    o.allow_listen = allow_listen;
    REQUIRE(ami_runtime_new(&s->inst, &o) == 0);
    json_decref(w);
    int rc = ami_runtime_run(s->inst, res);
    if (rc == 0) pthread_create(&s->t, NULL, pump_main, s);
    return rc;
}

static void serve_end(served *s)
{
    s->done = 1;
    ami_runtime_stop(s->inst);
    if (s->t) pthread_join(s->t, NULL);
    ami_runtime_free(s->inst);
    rt_logs_dispose(&s->logs);
}

static int can_bind(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static const char *curl(char *out, size_t cap, const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "curl -s -m 10 %s", args);
    int rc = 0;
    return check_run(out, cap, &rc, cmd);
}

static void answers_http_clients(void)
{
    int port = net_free_port();
    char script[2048], listen[16];
    snprintf(listen, sizeof listen, "%d", port);
    snprintf(script, sizeof script,
             "await Stels.net.set(['ticker', 'BTC'], { last: 64000 });\n"
             "Deno.serve({ port: %d, hostname: '127.0.0.1', onListen: (a) => logger.info('up', a.port) }, async (req, info) => {\n"
             "  const url = new URL(req.url);\n"
             "  if (url.pathname === '/price') {\n"
             "    const t = await Stels.net.get(['ticker', url.searchParams.get('symbol')]);\n"
             "    return Response.json({ price: t.value.raw.last, ua: req.headers.get('user-agent').slice(0, 4), ip: info.remoteAddr.hostname });\n"
             "  }\n"
             "  if (url.pathname === '/echo') return new Response(req.method + ' ' + url.search + ' ' + await req.text(), { status: 201, headers: { 'x-worker': 'yes' } });\n"
             "  if (url.pathname === '/throw') throw new TypeError('handler broke');\n"
             "  if (url.pathname === '/notresponse') return 'just a string';\n"
             "  return new Response('Not Found', { status: 404 });\n"
             "});\n", port);
    served s;
    ami_runtime_result res;
    CHECK_INT(serve_start(&s, script, listen, &res), 0);
    ami_runtime_result_dispose(&res);
    char out[4096], args[512];
    snprintf(args, sizeof args, "'http://127.0.0.1:%d/price?symbol=BTC'", port);
    CHECK_STR(curl(out, sizeof out, args), "{\"price\":64000,\"ua\":\"curl\",\"ip\":\"127.0.0.1\"}");
    snprintf(args, sizeof args, "-i -X POST --data-binary 'héllo' 'http://127.0.0.1:%d/echo?a=1&b=%%20'", port);
    curl(out, sizeof out, args);
    CHECK(strstr(out, "HTTP/1.1 201") == out);
    CHECK(strcasestr(out, "\r\nx-worker: yes\r\n"));
    CHECK(strstr(out, "\r\n\r\nPOST ?a=1&b=%20 héllo"));
    snprintf(args, sizeof args, "-o /dev/null -w '%%{http_code}' 'http://127.0.0.1:%d/nope'", port);
    CHECK_STR(curl(out, sizeof out, args), "404");
    snprintf(args, sizeof args, "-o /dev/null -w '%%{http_code}' 'http://127.0.0.1:%d/throw'", port);
    CHECK_STR(curl(out, sizeof out, args), "500");
    snprintf(args, sizeof args, "-o /dev/null -w '%%{http_code}' 'http://127.0.0.1:%d/notresponse'", port);
    CHECK_STR(curl(out, sizeof out, args), "500");
    /* ten clients at once */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "for i in 1 2 3 4 5 6 7 8 9 10; do curl -s -m 10 -o /dev/null -w '%%{http_code}\\n' "
             "'http://127.0.0.1:%d/price?symbol=BTC' & done; wait", port);
    int rc = 0;
    check_run(out, sizeof out, &rc, cmd);
    int n200 = 0;
    for (const char *p = out; (p = strstr(p, "200")); p += 3) n200++;
    CHECK_INT(n200, 10);
    int up = 0, broke = 0;
    pthread_mutex_lock(&s.logs.mu);
    for (size_t i = 0; i < json_array_size(s.logs.lines); i++) {
        char want[32];
        snprintf(want, sizeof want, "up %d", port);
        up |= !strcmp(rt_log_msg(&s.logs, i), want);
        broke |= strstr(rt_log_msg(&s.logs, i), "TypeError: handler broke") != NULL;
    }
    pthread_mutex_unlock(&s.logs.mu);
    CHECK(up);
    CHECK(broke);
    CHECK(!can_bind(port));
    /* stopped: the port is free again */
    s.done = 1;
    ami_runtime_stop(s.inst);
    pthread_join(s.t, NULL);
    s.t = 0;
    CHECK(can_bind(port));
    serve_end(&s);
}

static void shutdown_frees_the_port(void)
{
    int port = net_free_port();
    char script[1024], listen[16];
    snprintf(listen, sizeof listen, "%d", port);
    snprintf(script, sizeof script,
             "const srv = Deno.serve({ port: %d, hostname: '127.0.0.1', onListen() {} }, () => new Response('hi'));\n"
             "const r = await fetch('http://127.0.0.1:%d/');\n"
             "if (await r.text() !== 'hi') throw new Error('no answer');\n"
             "await srv.shutdown();\n", port, port);
    json_t *w = rt_worker("sid-serve2", script);
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
    CHECK(can_bind(port));
    ami_runtime_free(inst);
}

/* Handlers run inside the server's own event handling: one that closes its own server, or another
 * server of the worker, still answers, and the port is free before the handler returns. */
static void shutdown_from_a_handler(void)
{
    int pa = net_free_port(), pb = net_free_port();
    while (pb == pa) pb = net_free_port();
    char script[2048], listen[32];
    snprintf(listen, sizeof listen, "%d,%d", pa, pb);
    snprintf(script, sizeof script,
             "let b = Deno.serve({ port: %d, hostname: '127.0.0.1', onListen() {} }, (req) => {\n"
             "  if (new URL(req.url).pathname !== '/rebind') return new Response('b');\n"
             "  b.shutdown();\n"
             "  b = Deno.serve({ port: %d, hostname: '127.0.0.1', onListen() {} }, () => new Response('b again'));\n"
             "  return new Response('rebound');\n"
             "});\n"
             "const a = Deno.serve({ port: %d, hostname: '127.0.0.1', onListen() {} }, (req) => {\n"
             "  const path = new URL(req.url).pathname;\n"
             "  if (path === '/stop-b') { b.shutdown(); return new Response('b stopped'); }\n"
             "  if (path === '/stop') { a.shutdown(); return new Response('bye'); }\n"
             "  return new Response('a');\n"
             "});\n", pb, pb, pa);
    served s;
    ami_runtime_result res;
    CHECK_INT(serve_start(&s, script, listen, &res), 0);
    if (res.message) fprintf(stderr, "  (%s: %s)\n", res.name, res.message);
    ami_runtime_result_dispose(&res);
    char out[256], args[256];
    snprintf(args, sizeof args, "'http://127.0.0.1:%d/rebind'", pb);
    CHECK_STR(curl(out, sizeof out, args), "rebound");
    snprintf(args, sizeof args, "'http://127.0.0.1:%d/'", pb);
    CHECK_STR(curl(out, sizeof out, args), "b again");
    snprintf(args, sizeof args, "'http://127.0.0.1:%d/stop-b'", pa);
    CHECK_STR(curl(out, sizeof out, args), "b stopped");
    CHECK(can_bind(pb));
    snprintf(args, sizeof args, "'http://127.0.0.1:%d/'", pa);
    CHECK_STR(curl(out, sizeof out, args), "a");
    snprintf(args, sizeof args, "'http://127.0.0.1:%d/stop'", pa);
    CHECK_STR(curl(out, sizeof out, args), "bye");
    CHECK(can_bind(pa));
    serve_end(&s);
}

static void refused_and_clashing_ports(void)
{
    int port = net_free_port();
    char script[512], lports[16];
    snprintf(script, sizeof script, "Deno.serve({ port: %d, onListen() {} }, () => new Response('x'));", port);
    served s;
    ami_runtime_result res;
    CHECK_INT(serve_start(&s, script, NULL, &res), AMI_ESCRIPT);
    CHECK_STR(res.name, "PermissionDenied");
    char want[200];
    snprintf(want, sizeof want, "allow_listen=%d", port);
    CHECK(res.message && strstr(res.message, want));
    ami_runtime_result_dispose(&res);
    serve_end(&s);
    /* another socket holds the port */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons((uint16_t)port);
    REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 1) == 0);
    snprintf(lports, sizeof lports, "%d", port);
    CHECK_INT(serve_start(&s, script, lports, &res), AMI_ESCRIPT);
    CHECK_STR(res.name, "AddrInUse");
    CHECK(res.message && strstr(res.message, "in use"));
    ami_runtime_result_dispose(&res);
    serve_end(&s);
    close(fd);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(answers_http_clients);
    RUN(shutdown_frees_the_port);
    RUN(shutdown_from_a_handler);
    RUN(refused_and_clashing_ports);
    ami_store_free(local);
    ami_store_free(net);
    return check_done();
}
