/* Claim: Deno.serve runs its servers on the instance's own thread — ten
 * servers in one worker add no thread per server (at most the process-wide
 * I/O watcher) — and they answer while a scheduler drives the instance
 * (ami_runtime_pump(inst, 0) with a `ready` callback, no thread held in
 * between): the watcher sees the parked instance's listening sockets and
 * calls `ready` for every request.  A request still waiting for its
 * handler when the worker is stopped is answered 503. */
#define _GNU_SOURCE 1
#include <curl/curl.h>
#include <dirent.h>
#include "rt.h"
#include "net_harness.h"
#include "util/util.h"

enum { NSERVERS = 10, ROUNDS = 5 };

static ami_store *net, *local;
static int ports[NSERVERS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int readies, client_done, answered;

static void on_ready(void *payload)
{
    (void)payload;
    pthread_mutex_lock(&mu);
    readies++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static int threads(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static size_t collect(char *p, size_t s, size_t n, void *ud)
{
    ami_buf *b = ud;
    ami_buf_put(b, p, s * n);
    return s * n;
}

static void *client_main(void *arg)
{
    (void)arg;
    CURL *e = curl_easy_init();
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < NSERVERS; i++) {
            char url[100], want[40];
            snprintf(url, sizeof url, "http://127.0.0.1:%d/p%d", ports[i], round);
            snprintf(want, sizeof want, "%d:/p%d", ports[i], round);
            ami_buf b = AMI_BUF_INIT;
            curl_easy_setopt(e, CURLOPT_URL, url);
            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
            curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
            curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
            curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
            if (curl_easy_perform(e) == CURLE_OK && b.size == strlen(want) && !memcmp(b.ptr, want, b.size)) {
                pthread_mutex_lock(&mu);
                answered++;
                pthread_mutex_unlock(&mu);
            }
            ami_buf_dispose(&b);
        }
    }
    curl_easy_cleanup(e);
    pthread_mutex_lock(&mu);
    client_done = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void servers_answer_from_a_parked_instance(void)
{
    ami_runtime *inst = NULL;
    int before = 0;
    /* free ports are picked, then bound by the script: a test running beside this one may
     * take one in between (AddrInUse), so that case is tried again on other ports */
    for (int attempt = 0;; attempt++) {
        ami_buf script = AMI_BUF_INIT, listen = AMI_BUF_INIT;
        for (int i = 0; i < NSERVERS; i++) {
            ports[i] = net_free_port();
            ami_buf_printf(&script, "Deno.serve({ port: %d, hostname: '127.0.0.1', onListen() {} }, "
                                    "(req) => new Response('%d:' + new URL(req.url).pathname));\n", ports[i], ports[i]);
            ami_buf_printf(&listen, "%s%d", i ? "," : "", ports[i]);
        }
        json_t *w = rt_worker("sid-serve-parked", script.ptr);
        ami_runtime_options o = rt_options(net, local, w, NULL);
        o.allow_listen = listen.ptr;
        o.ready = on_ready;
        REQUIRE(ami_runtime_new(&inst, &o) == 0);
        json_decref(w);
        ami_buf_dispose(&script);
        ami_buf_dispose(&listen);
        before = threads();
        ami_runtime_result res;
        int rc = ami_runtime_run(inst, &res);
        int clash = rc != 0 && res.name && !strcmp(res.name, "AddrInUse");
        if (rc) fprintf(stderr, "    attempt %d: %s: %s\n", attempt + 1, res.name ? res.name : "?", res.message ? res.message : "");
        ami_runtime_result_dispose(&res);
        if (clash && attempt < 4) {
            ami_runtime_free(inst);
            inst = NULL;
            continue;
        }
        CHECK_INT(rc, 0);
        break;
    }
    CHECK_INT(ami_runtime_handles(inst), NSERVERS);
    /* the scheduler: pump what is ready, then sleep until `ready` says so */
    pthread_t client;
    int steps = 0, during = 0;
    pthread_create(&client, NULL, client_main, NULL);
    int64_t give_up = ami_time_mono_ms() + 60000;
    for (;;) {
        pthread_mutex_lock(&mu);
        int seen = readies;
        pthread_mutex_unlock(&mu);
        CHECK_INT(ami_runtime_pump(inst, 0), 0);
        steps++;
        int t = threads();
        if (t > during) during = t;
        pthread_mutex_lock(&mu);
        while (readies == seen && !client_done && ami_time_mono_ms() < give_up)
            ami__cond_wait_mono_ms(&cv, &mu, give_up - ami_time_mono_ms());
        int end = client_done;
        pthread_mutex_unlock(&mu);
        if (end || ami_time_mono_ms() >= give_up) break;
    }
    pthread_join(client, NULL);
    CHECK_INT(answered, NSERVERS * ROUNDS);
    /* the client's own thread and the watcher, not one per server */
    CHECK(during - before <= 2);
    /* woken per request, not polled: a few pumps for each */
    CHECK(steps < NSERVERS * ROUNDS * 10);
    ami_runtime_free(inst);
}

static long pending_status;

static void *one_request(void *arg)
{
    CURL *e = curl_easy_init();
    char url[100];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/wait", *(int *)arg);
    ami_buf b = AMI_BUF_INIT;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(e) == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &pending_status);
    ami_buf_dispose(&b);
    curl_easy_cleanup(e);
    return NULL;
}

static void a_waiting_request_gets_503_on_stop(void)
{
    int port = net_free_port();
    char script[300], listen[16];
    snprintf(script, sizeof script,
             "Deno.serve({ port: %d, hostname: '127.0.0.1', onListen() {} }, () => new Promise(() => {}));\n", port);
    snprintf(listen, sizeof listen, "%d", port);
    json_t *w = rt_worker("sid-serve-503", script);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    o.allow_listen = listen;
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    ami_runtime_result res;
    CHECK_INT(ami_runtime_run(inst, &res), 0);
    ami_runtime_result_dispose(&res);
    pthread_t client;
    pthread_create(&client, NULL, one_request, &port);
    /* serve until the handler has the request (it never answers) */
    int64_t until = ami_time_mono_ms() + 500;
    while (ami_time_mono_ms() < until) ami_runtime_pump(inst, 50);
    ami_runtime_stop(inst);
    CHECK_INT(ami_runtime_pump(inst, 0), AMI_ESTOPPED);
    pthread_join(client, NULL);
    CHECK_INT(pending_status, 503);
    ami_runtime_free(inst);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rt_stores(&net, &local);
    RUN(servers_answer_from_a_parked_instance);
    RUN(a_waiting_request_gets_503_on_stop);
    ami_store_free(local);
    ami_store_free(net);
    return check_done();
}
