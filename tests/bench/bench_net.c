/*
 * Worker network I/O against raw C, same local server, same run:
 *   fetch round trips/s from one worker (sequential awaits)
 *     vs libcurl easy requests in a C loop (one reused handle)
 *   Deno.serve requests/s (a worker answering "ok")
 *     vs a libmicrohttpd static response (the same client: libcurl in a C loop)
 * Both sides run at concurrency 1 over one keep-alive connection, in
 * alternating rounds (worker, raw, worker, raw, …) so that the load of a
 * shared machine falls on both alike; each figure is requests / summed time.
 * Output rows: see tests/bench/run.  Throughput, higher is better.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include "ami.h"
#include "net_harness.h"

enum { ROUNDS = 10, N_FETCH = 200, N_SERVE = 300 };   /* requests per round and side */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_net: %s: %s\n", what, ami_error_last());
    exit(1);
}

static enum MHD_Result static_answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                     const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls; (void)url; (void)method; (void)version; (void)upload; (void)upload_size;
    if (!*con_cls) { *con_cls = c; return MHD_YES; }
    static const char body[] = "{\"ok\":true}";
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "content-type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static size_t sink(char *p, size_t s, size_t n, void *ud) { (void)p; (void)ud; return s * n; }

/* n GET requests on one reused libcurl handle (kept for the next call: its connection stays open); seconds */
static double curl_loop(CURL *e, const char *url, int n)
{
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        long code = 0;
        if (curl_easy_perform(e) != CURLE_OK) die("curl request");
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if (code != 200) die("curl status");
    }
    return now_s() - t0;
}

static ami_runtime *instance(ami_store *net, ami_store *local, const char *script, const char *allow_net, const char *allow_listen)
{
    json_t *w = json_pack("{s:s, s:s, s:s, s:s, s:s}", "sid", "bench-net", "script", script, "executionMode", "parallel",
                          "mode", "single", "priority", "normal");
    ami_runtime_options o = AMI_RUNTIME_OPTIONS_INIT;
    o.net = net;
    o.local = local;
    o.worker = w;
    o.nid = "bench";
    o.network = "bench";
    o.allow_net = allow_net;
    o.allow_listen = allow_listen;
    ami_runtime *inst = NULL;
    if (ami_runtime_new(&inst, &o)) die("runtime_new");
    json_decref(w);
    return inst;
}

typedef struct { ami_runtime *inst; volatile int done; } pump_arg;

static void *pump_main(void *p)
{
    pump_arg *a = p;
    while (!a->done && !ami_runtime_stop_requested(a->inst)) ami_runtime_pump(a->inst, 100);
    return NULL;
}

/* fetch: the worker's run does N_FETCH sequential fetches and returns their time (ms) */
static void bench_fetch(ami_store *net, ami_store *local, CURL *raw, const char *url)
{
    char script[1024];
    snprintf(script, sizeof script,
             "const url = '%s';\n"
             "const t0 = performance.now();\n"
             "for (let i = 0; i < %d; i++) { const r = await fetch(url); if (r.status !== 200) throw new Error('status ' + r.status); await r.text(); }\n"
             "return performance.now() - t0;\n",
             url, N_FETCH);
    ami_runtime *inst = instance(net, local, script, "127.0.0.1", NULL);
    ami_runtime_result res;
    double t_worker = 0, t_raw = 0;
    for (int round = -1; round < ROUNDS; round++) {   /* round -1 warms the worker up */
        if (ami_runtime_run(inst, &res) || !res.value) {
            fprintf(stderr, "bench_net: fetch run: %s: %s\n", res.name, res.message);
            exit(1);
        }
        if (round >= 0) t_worker += atof(res.value) / 1000;
        ami_runtime_result_dispose(&res);
        if (round >= 0) t_raw += curl_loop(raw, url, N_FETCH);
    }
    ami_runtime_free(inst);
    printf("fetch round trips (1 worker, 1 at a time)\t%.0f\treq/s\tlibcurl C loop, same server\t%.0f\n",
           ROUNDS * N_FETCH / t_worker, ROUNDS * N_FETCH / t_raw);
}

/* Deno.serve: a worker's server answering raw2's requests, against the static server at url answering raw's */
static void bench_serve(ami_store *net, ami_store *local, CURL *raw, CURL *raw2, const char *url)
{
    char script[1024];
    int wport = net_free_port();
    char listen[16];
    snprintf(listen, sizeof listen, "%d", wport);
    snprintf(script, sizeof script,
             "Deno.serve({ port: %d, hostname: '127.0.0.1', onListen() {} }, () => new Response('{\"ok\":true}', "
             "{ headers: { 'content-type': 'application/json' } }));\n", wport);
    ami_runtime *inst = instance(net, local, script, NULL, listen);
    ami_runtime_result res;
    if (ami_runtime_run(inst, &res)) { fprintf(stderr, "bench_net: serve run: %s: %s\n", res.name, res.message); exit(1); }
    ami_runtime_result_dispose(&res);
    pump_arg pa = { inst, 0 };
    pthread_t pt;
    pthread_create(&pt, NULL, pump_main, &pa);
    char wurl[128];
    snprintf(wurl, sizeof wurl, "http://127.0.0.1:%d/", wport);
    curl_loop(raw2, wurl, 200);
    double t_worker = 0, t_raw = 0;
    for (int round = 0; round < ROUNDS; round++) {
        t_worker += curl_loop(raw2, wurl, N_SERVE);
        t_raw += curl_loop(raw, url, N_SERVE);
    }
    pa.done = 1;
    ami_runtime_stop(inst);
    pthread_join(pt, NULL);
    ami_runtime_free(inst);
    printf("Deno.serve requests (1 worker, 1 at a time)\t%.0f\treq/s\tlibmicrohttpd static, same client\t%.0f\n",
           ROUNDS * N_SERVE / t_worker, ROUNDS * N_SERVE / t_raw);
}

int main(void)
{
    const char *build = getenv("AMI_BUILD") ? getenv("AMI_BUILD") : "build";
    const char *only = getenv("AMI_BENCH_ONLY");   /* fetch|serve: that row alone (e.g. under callgrind) */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int sport = net_free_port();
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY | MHD_USE_TURBO,
                                            (uint16_t)sport, NULL, NULL, static_answer, NULL, MHD_OPTION_END);
    if (!d) die("static server");
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/json", sport);

    char path[512], lpath[600];
    snprintf(path, sizeof path, "%s/bench_net.%d.db", build, (int)getpid());
    snprintf(lpath, sizeof lpath, "%s.local", path);
    ami_store *net = NULL, *local = NULL;
    if (ami_store_open(&net, path) || ami_store_open(&local, lpath)) die("store");

    CURL *raw = curl_easy_init(), *raw2 = curl_easy_init();
    curl_loop(raw, url, 200);   /* warm up */
    if (!only || !strcmp(only, "fetch")) bench_fetch(net, local, raw, url);
    if (!only || !strcmp(only, "serve")) bench_serve(net, local, raw, raw2, url);
    curl_easy_cleanup(raw);
    curl_easy_cleanup(raw2);
    printf("# sequential requests over one keep-alive connection on 127.0.0.1, worker and raw in %d alternating rounds\n", ROUNDS);

    MHD_stop_daemon(d);
    ami_store_free(local);
    ami_store_free(net);
    unlink(path);
    unlink(lpath);
    char side[700];
    snprintf(side, sizeof side, "%s-wal", path); unlink(side);
    snprintf(side, sizeof side, "%s-shm", path); unlink(side);
    snprintf(side, sizeof side, "%s-wal", lpath); unlink(side);
    snprintf(side, sizeof side, "%s-shm", lpath); unlink(side);
    return 0;
}
