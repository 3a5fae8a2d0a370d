/* Claim: the HTTP layer holds up and stays consistent: 200 concurrent clients
 * issuing mixed requests all succeed; a followed log stream (SSE) delivers a
 * new log line promptly and streams end cleanly at shutdown; a stream is for an existing
 * worker (a unique sid prefix resolves; unknown 404, ambiguous 400); two server
 * processes on one SQLite file give the same listWorkers. */
#include <pthread.h>
#include "webfix_harness.h"

static hs srv;
static char owner_pub[67];
static char *owner_s;
static const char *self;

#define CLIENTS 200
#define PER_CLIENT 10
static atomic_int failures, done_requests;

static void *client(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < PER_CLIENT; i++) {
        long st = 0, want = 200;
        char body[200];
        switch ((id + i) % 5) {
        case 0:
            snprintf(body, sizeof body, "{\"note\":\"c%ld-%d\"}", id, i);
            st = hc_method(srv.port, owner_s, "setWorker", body, NULL);
            break;
        case 1: st = hc_method(srv.port, owner_s, "listWorkers", NULL, NULL); break;
        case 2: st = hc_method(srv.port, owner_s, "getWorkerStats", NULL, NULL); break;
        case 3: st = hc_method(srv.port, owner_s, "getLeaderInfo", "{\"workerId\":\"w\"}", NULL); want = 404; break;
        case 4: st = hc_method(srv.port, NULL, "bogus", NULL, NULL); want = 404; break;
        }
        if (st != want) {
            atomic_fetch_add(&failures, 1);
            fprintf(stderr, "client %ld request %d: %ld\n", id, i, st);
        }
        atomic_fetch_add(&done_requests, 1);
    }
    return NULL;
}

static void concurrent_clients(void)
{
    pthread_t t[CLIENTS];
    int64_t t0 = ami_time_mono_ms();
    for (long i = 0; i < CLIENTS; i++) {
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 256 * 1024);
        REQUIRE(pthread_create(&t[i], &a, client, (void *)i) == 0);
        pthread_attr_destroy(&a);
    }
    for (int i = 0; i < CLIENTS; i++) pthread_join(t[i], NULL);
    fprintf(stderr, "  %d requests from %d clients in %lld ms\n", atomic_load(&done_requests), CLIENTS,
            (long long)(ami_time_mono_ms() - t0));
    CHECK_INT(atomic_load(&failures), 0);
    CHECK_INT(atomic_load(&done_requests), CLIENTS * PER_CLIENT);
    json_t *j = NULL;
    CHECK_INT(hc_method(srv.port, owner_s, "listWorkers", NULL, &j), 200);
    CHECK_INT(json_array_size(j), CLIENTS * PER_CLIENT / 5);
    json_decref(j);
    ami_buf out = AMI_BUF_INIT;
    CHECK_INT(hc_request(srv.port, "GET", "/healthz", NULL, NULL, NULL, 0, &out), 200);
    ami_buf_dispose(&out);
}

/* ---- SSE ---- */

typedef struct sse {
    pthread_mutex_t lock;
    ami_buf data;
    int64_t got_ms;       /* when "needle" first arrived */
    const char *needle;
    long status;
    int port;
    char url[300];
    int abort;
} sse;

static size_t sse_write(char *p, size_t sz, size_t n, void *ud)
{
    sse *s = ud;
    pthread_mutex_lock(&s->lock);
    ami_buf_put(&s->data, p, sz * n);
    if (!s->got_ms && s->needle && strstr(s->data.ptr, s->needle)) s->got_ms = ami_time_mono_ms();
    int abort = s->abort;
    pthread_mutex_unlock(&s->lock);
    return abort ? 0 : sz * n;
}

static void *sse_main(void *arg)
{
    sse *s = arg;
    CURL *c = curl_easy_init();
    char h[200];
    snprintf(h, sizeof h, "stels-session: %s", owner_s);
    struct curl_slist *hdr = curl_slist_append(NULL, h);
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sse_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s->status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return NULL;
}

static void write_log(const char *sid, int64_t ts, const char *msg)
{
    json_t *key = json_pack("[s,s,s,I]", "localnet", "logs", sid, (json_int_t)ts);
    json_t *line = json_pack("{s:I,s:s,s:s,s:s,s:s}", "ts", (json_int_t)ts, "level", "info", "nid", "s-0001", "sid", sid, "msg", msg);
    REQUIRE(ami_store_set(srv.local, key, line, 0, NULL) == 0);
    json_decref(key);
    json_decref(line);
}

static void sse_follow(void)
{
    /* the stream answers for a worker that exists */
    json_t *wk = ami_key_new("ami", "worker", "w-sse", NULL);
    json_t *wv = json_pack("{s:s,s:{s:s,s:s}}", "channel", "ami.worker.w-sse", "raw", "sid", "w-sse", "executionMode", "parallel");
    REQUIRE(ami_store_set(srv.store, wk, wv, 0, NULL) == 0);
    json_decref(wk);
    json_decref(wv);
    write_log("w-sse", 1000, "old line");
    sse s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    snprintf(s.url, sizeof s.url, "http://127.0.0.1:%d/api/worker/logs/stream?sid=w-sse&follow=true", srv.port);
    s.needle = "fresh line";
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, sse_main, &s) == 0);
    /* Wait for the backlog (the stream is open), then write a new line. */
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&s.lock);
        int ready = s.data.ptr && strstr(s.data.ptr, "old line");
        pthread_mutex_unlock(&s.lock);
        if (ready) break;
        usleep(10000);
    }
    usleep(300 * 1000);   /* let the stream go idle (suspended) first */
    int64_t t0 = ami_time_mono_ms();
    write_log("w-sse", ami_time_now_ms(), "fresh line");
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&s.lock);
        int64_t got = s.got_ms;
        pthread_mutex_unlock(&s.lock);
        if (got) break;
        usleep(10000);
    }
    pthread_mutex_lock(&s.lock);
    int64_t latency = s.got_ms ? s.got_ms - t0 : -1;
    CHECK(s.data.ptr && strstr(s.data.ptr, "data: {"));
    pthread_mutex_unlock(&s.lock);
    fprintf(stderr, "  SSE delivered a new line after %lld ms\n", (long long)latency);
    CHECK(latency >= 0 && latency < 1000);   /* goal 200 ms; generous bound on a loaded machine */
    /* A client that goes away: the stream is dropped on the next keepalive/send. */
    pthread_mutex_lock(&s.lock);
    s.abort = 1;
    pthread_mutex_unlock(&s.lock);
    write_log("w-sse", ami_time_now_ms() + 1, "after abort");
    pthread_join(t, NULL);
    CHECK_INT(s.status, 200);
    ami_buf_dispose(&s.data);

    /* Not following: the backlog, then the response ends. */
    ami_buf out = AMI_BUF_INIT;
    CHECK_INT(hc_request(srv.port, "GET", "/api/worker/logs/stream?sid=w-sse&limit=2", owner_s, NULL, NULL, 0, &out), 200);
    CHECK(out.ptr && strstr(out.ptr, "fresh line") && !strstr(out.ptr, "old line"));
    CHECK(out.ptr && strstr(out.ptr, "id: 1000\n") == NULL && strstr(out.ptr, "id: "));
    ami_buf_dispose(&out);
    /* Resuming with Last-Event-ID gives only newer lines. */
    CURL *c = curl_easy_init();
    char url[200], h[200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/worker/logs/stream?sid=w-sse", srv.port);
    snprintf(h, sizeof h, "stels-session: %s", owner_s);
    struct curl_slist *hdr = curl_slist_append(NULL, h);
    hdr = curl_slist_append(hdr, "Last-Event-ID: 1000");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hc_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    CHECK(curl_easy_perform(c) == CURLE_OK);
    CHECK(out.ptr && strstr(out.ptr, "fresh line") && !strstr(out.ptr, "old line") && strstr(out.ptr, "after abort"));
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    ami_buf_dispose(&out);
}

/* A stream still open when the server stops ends cleanly. */
/* The stream answers for an existing worker only: a unique prefix resolves, unknown is 404, ambiguous 400. */
static void stream_sids(void)
{
    json_t *wk = ami_key_new("ami", "worker", "w-ssf", NULL);
    json_t *wv = json_pack("{s:s,s:{s:s,s:s}}", "channel", "ami.worker.w-ssf", "raw", "sid", "w-ssf", "executionMode", "parallel");
    REQUIRE(ami_store_set(srv.store, wk, wv, 0, NULL) == 0);
    json_decref(wk);
    json_decref(wv);
    ami_buf out = AMI_BUF_INIT;
    CHECK_INT(hc_request(srv.port, "GET", "/api/worker/logs/stream?sid=nosuch", owner_s, NULL, NULL, 0, &out), 404);
    CHECK(out.ptr && strstr(out.ptr, "nosuch"));
    ami_buf_dispose(&out);
    CHECK_INT(hc_request(srv.port, "GET", "/api/worker/logs/stream?sid=w-ss", owner_s, NULL, NULL, 0, &out), 400);
    ami_buf_dispose(&out);
    CHECK_INT(hc_request(srv.port, "GET", "/api/worker/logs/stream?sid=w-sse&limit=1", owner_s, NULL, NULL, 0, &out), 200);
    CHECK(out.ptr && strstr(out.ptr, "data:"));
    ami_buf_dispose(&out);
}

static void sse_open_at_stop(void)
{
    hs s2;
    const char *owners[] = { NULL };
    hs_start(&s2, check_path("stop.db"), owners);
    json_t *wk = ami_key_new("ami", "worker", "x", NULL);
    json_t *wv = json_pack("{s:s,s:{s:s,s:s}}", "channel", "ami.worker.x", "raw", "sid", "x", "executionMode", "parallel");
    REQUIRE(ami_store_set(s2.store, wk, wv, 0, NULL) == 0);
    json_decref(wk);
    json_decref(wv);
    sse s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    char *keep = owner_s;
    snprintf(s.url, sizeof s.url, "http://127.0.0.1:%d/api/worker/logs/stream?sid=x&follow=true", s2.port);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, sse_main, &s) == 0);
    usleep(300 * 1000);
    int64_t t0 = ami_time_mono_ms();
    hs_stop(&s2);
    pthread_join(t, NULL);
    owner_s = keep;
    CHECK_INT(s.status, 200);
    CHECK(ami_time_mono_ms() - t0 < 5000);
    ami_buf_dispose(&s.data);
}

static void two_servers(void)
{
    int pa, pb;
    const char *db = check_path("shared.db");
    char dbpath[600];
    snprintf(dbpath, sizeof dbpath, "%s", db);
    pid_t a = hs_spawn(self, dbpath, owner_pub, &pa);
    pid_t b = hs_spawn(self, dbpath, owner_pub, &pb);
    char role[16];
    char *sa = hc_login(pa, check_path("owner.pem"), role, sizeof role);
    char *sb = hc_login(pb, check_path("owner.pem"), role, sizeof role);
    REQUIRE(sa && sb);
    for (int i = 0; i < 5; i++) CHECK_INT(hc_method(i % 2 ? pa : pb, i % 2 ? sa : sb, "setWorker", "{}", NULL), 200);
    json_t *la = NULL, *lb = NULL;
    CHECK_INT(hc_method(pa, sa, "listWorkers", NULL, &la), 200);
    CHECK_INT(hc_method(pb, sb, "listWorkers", NULL, &lb), 200);
    CHECK_INT(json_array_size(la), 5);
    CHECK_JSON_EQ(la, lb);
    /* An update through A is what B then reads, and B's stale versionstamp conflicts. */
    json_t *e = json_array_get(la, 0);
    char body[400];
    snprintf(body, sizeof body, "{\"channel\":\"%s\",\"raw\":{\"active\":true},\"versionstamp\":\"%s\"}",
             json_string_value(json_object_get(json_object_get(e, "value"), "channel")),
             json_string_value(json_object_get(e, "versionstamp")));
    CHECK_INT(hc_method(pa, sa, "updateWorker", body, NULL), 200);
    CHECK_INT(hc_method(pb, sb, "updateWorker", body, NULL), 409);
    json_decref(la);
    json_decref(lb);
    CHECK_INT(hc_method(pa, sa, "listWorkers", NULL, &la), 200);
    CHECK_INT(hc_method(pb, sb, "listWorkers", NULL, &lb), 200);
    CHECK_JSON_EQ(la, lb);
    json_decref(la);
    json_decref(lb);
    /* Sessions are per process: A's session means nothing to B. */
    CHECK_INT(hc_method(pb, sa, "listWorkers", NULL, NULL), 401);
    free(sa);
    free(sb);
    hs_kill(a);
    hs_kill(b);
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc > 1) return hs_child_main(argc, argv);
    ami_init();
    curl_global_init(CURL_GLOBAL_ALL);
    hc_keygen("owner.pem", owner_pub);
    const char *owners[] = { owner_pub, NULL };
    hs_start(&srv, check_path("ami.db"), owners);
    owner_s = hc_login(srv.port, check_path("owner.pem"), NULL, 0);
    REQUIRE(owner_s);
    RUN(concurrent_clients);
    RUN(sse_follow);
    RUN(stream_sids);
    RUN(sse_open_at_stop);
    RUN(two_servers);
    free(owner_s);
    hs_stop(&srv);
    curl_global_cleanup();
    ami_shutdown();
    return check_done();
}
