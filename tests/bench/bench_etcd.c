/*
 * etcd backend benchmark, on a real one-member etcd started for the run
 * (tests/lib/etcd.sh, data dir under the build directory):
 *   CAS commit   ami_store_commit (check versionstamp + set)  vs  the raw gateway txn
 *                (compare mod_revision + put) sent with libcurl on one keep-alive
 *                connection and its answer parsed with Jansson
 *   point read   ami_store_get  vs  a raw /v3/kv/range on the same kind of connection
 *   failover     3 amid processes on the etcd store (bench_node's failover rounds)
 * Rounds alternate ours/raw; the best round of each is kept.  Latencies in µs.
 * Output rows: see tests/bench/run.
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ami.h"

enum { ROUNDS = 8, PER_ROUND = 150 };

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_etcd: %s: %s\n", what, ami_error_last());
    exit(1);
}

/* ---- the raw client: one easy handle, keep-alive ---- */

static CURL *raw;
static char url_base[300];
static ami_buf resp;

static size_t sink(char *d, size_t sz, size_t n, void *ud)
{
    (void)ud;
    return ami_buf_put(&resp, d, sz * n) ? 0 : sz * n;
}

static json_t *raw_post(const char *path, const char *body)
{
    char url[400];
    snprintf(url, sizeof url, "%s%s", url_base, path);
    ami_buf_clear(&resp);
    curl_easy_setopt(raw, CURLOPT_URL, url);
    curl_easy_setopt(raw, CURLOPT_POSTFIELDS, body);
    if (curl_easy_perform(raw) != CURLE_OK) { fprintf(stderr, "bench_etcd: raw request failed\n"); exit(1); }
    return json_loadb(resp.ptr, resp.size, 0, NULL);
}

static void b64(char *out, const void *data, size_t len)
{
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
}

static long long rev_of(json_t *j)
{
    json_t *r = json_object_get(json_object_get(j, "header"), "revision");
    return json_is_string(r) ? atoll(json_string_value(r)) : json_integer_value(r);
}

int main(void)
{
    const char *build = getenv("AMI_BUILD") && *getenv("AMI_BUILD") ? getenv("AMI_BUILD") : "build";
    if (system("command -v etcd >/dev/null")) { printf("# etcd not installed: no etcd rows\n"); return 0; }
    char dir[512], cmd[1200], eps[256] = "";
    snprintf(dir, sizeof dir, "%s/bench-etcd-XXXXXX", build);
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    snprintf(cmd, sizeof cmd, "tests/lib/etcd.sh start 1 '%s/etcd'", dir);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(eps, sizeof eps, p)) { fprintf(stderr, "bench_etcd: cannot start etcd\n"); return 1; }
    pclose(p);
    eps[strcspn(eps, "\n")] = '\0';
    if (ami_init() < 0) return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);

    char uri[400];
    snprintf(uri, sizeof uri, "etcd://%s/bench", eps);
    ami_store *st = NULL;
    if (ami_store_open(&st, uri)) die("open");
    raw = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(raw, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(raw, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(raw, CURLOPT_PROXY, "");
    snprintf(url_base, sizeof url_base, "http://%s", eps);

    json_t *key = ami_key_new("bench", "cas", NULL), *val = json_pack("{s:s,s:i}", "leader", "s-0001", "term", 7);
    ami_versionstamp vs;
    if (ami_store_set(st, key, val, 0, vs)) die("set");
    /* the raw client's own key, with a value of the same size */
    char rkey[64], rval[128], body[1024];
    b64(rkey, "/raw/bench/cas", 14);
    b64(rval, "~{\"leader\":\"s-0001\",\"term\":7}", 29);
    snprintf(body, sizeof body, "{\"key\":\"%s\",\"value\":\"%s\"}", rkey, rval);
    json_t *j = raw_post("/v3/kv/put", body);
    long long rrev = rev_of(j);
    json_decref(j);

    double best_cas = 1e18, best_rcas = 1e18, best_get = 1e18, best_rget = 1e18;
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = now_us();
        for (int i = 0; i < PER_ROUND; i++) {
            ami_atomic *a = NULL;
            int ok = 0;
            if (ami_atomic_new(&a) || ami_atomic_check(a, key, vs) || ami_atomic_set(a, key, val, 0) ||
                ami_store_commit(st, a, &ok, vs) || !ok)
                die("commit");
            ami_atomic_free(a);
        }
        double t1 = now_us();
        for (int i = 0; i < PER_ROUND; i++) {
            snprintf(body, sizeof body,
                     "{\"compare\":[{\"key\":\"%s\",\"target\":\"MOD\",\"result\":\"EQUAL\",\"mod_revision\":\"%lld\"}],"
                     "\"success\":[{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}]}", rkey, rrev, rkey, rval);
            j = raw_post("/v3/kv/txn", body);
            if (!json_is_true(json_object_get(j, "succeeded"))) { fprintf(stderr, "bench_etcd: raw txn lost\n"); return 1; }
            rrev = rev_of(j);
            json_decref(j);
        }
        double t2 = now_us();
        for (int i = 0; i < PER_ROUND; i++) {
            json_t *e = NULL;
            if (ami_store_get(&e, st, key)) die("get");
            json_decref(e);
        }
        double t3 = now_us();
        snprintf(body, sizeof body, "{\"key\":\"%s\"}", rkey);
        for (int i = 0; i < PER_ROUND; i++) {
            j = raw_post("/v3/kv/range", body);
            if (!json_array_size(json_object_get(j, "kvs"))) { fprintf(stderr, "bench_etcd: raw range missed\n"); return 1; }
            json_decref(j);
        }
        double t4 = now_us();
        if ((t1 - t0) / PER_ROUND < best_cas) best_cas = (t1 - t0) / PER_ROUND;
        if ((t2 - t1) / PER_ROUND < best_rcas) best_rcas = (t2 - t1) / PER_ROUND;
        if ((t3 - t2) / PER_ROUND < best_get) best_get = (t3 - t2) / PER_ROUND;
        if ((t4 - t3) / PER_ROUND < best_rget) best_rget = (t4 - t3) / PER_ROUND;
    }
    printf("# etcd %s, one member on loopback (fsync on), one client thread; best of %d rounds of %d\n", "3.4", ROUNDS, PER_ROUND);
    printf("etcd CAS commit\t%.0f\tus\traw gateway txn (libcurl)\t%.0f\tlower\n", best_cas, best_rcas);
    printf("etcd point read\t%.0f\tus\traw gateway range (libcurl)\t%.0f\tlower\n", best_get, best_rget);
    fflush(stdout);
    json_decref(key);
    json_decref(val);
    ami_store_free(st);
    curl_easy_cleanup(raw);
    curl_slist_free_all(h);
    ami_buf_dispose(&resp);

    /* failover on etcd: bench_node's rounds with the etcd store */
    snprintf(cmd, sizeof cmd, "AMI_BENCH_ONLY=failover AMI_BENCH_STORE='etcd://%s/failover' '%s/tests/bench/bench_node'", eps, build);
    p = popen(cmd, "r");
    char line[512];
    while (p && fgets(line, sizeof line, p)) {
        if (!strncmp(line, "failover after", 14)) {
            char *tab = strchr(line, '\t');
            if (tab) { *tab = '\0'; printf("%s on etcd\t%s", line, tab + 1); }
        } else if (line[0] == '#') {
            printf("# etcd store: %s", line + 2);
        }
    }
    if (p) pclose(p);
    snprintf(cmd, sizeof cmd, "tests/lib/etcd.sh stop '%s/etcd'; rm -rf '%s'", dir, dir);
    if (system(cmd)) {}
    ami_shutdown();
    return 0;
}
