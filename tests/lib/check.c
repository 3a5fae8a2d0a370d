#include <dirent.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>
#include "check.h"
#include "util/util.h"

int check_failures;
static char tmpdir[256];

static void rm_tmp(void)
{
    if (!tmpdir[0] || getenv("AMI_KEEP_TMP")) return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd)) {}
}

const char *check_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/ami-test-XXXXXX");
        REQUIRE(mkdtemp(tmpdir));
        atexit(rm_tmp);
    }
    return tmpdir;
}

const char *check_path(const char *name)
{
    /* One buffer per thread: two writer threads that each open their own store
     * handle call this at once, and a shared buffer handed one of them "" while the
     * other was formatting it (test_update_concurrent failed 1 run in 10). */
    static _Thread_local char p[512];
    snprintf(p, sizeof p, "%s/%s", check_tmpdir(), name);
    return p;
}

const char *check_build_dir(void)
{
    const char *b = getenv("AMI_BUILD");
    return b && *b ? b : "build";
}

json_t *check_json(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
    if (!j) { fprintf(stderr, "bad JSON in test: %s: %s\n", err.text, text); exit(1); }
    return j;
}

int check_json_equal(const json_t *a, const json_t *b, const char *file, int line)
{
    if (a && b && json_equal((json_t *)a, (json_t *)b)) return 1;
    char *sa = a ? json_dumps(a, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    char *sb = b ? json_dumps(b, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    fprintf(stderr, "%s:%d: JSON differs\n  got:      %s\n  expected: %s\n", file, line, sa ? sa : "(null)", sb ? sb : "(null)");
    free(sa); free(sb);
    return 0;
}

int check_done(void)
{
    if (check_failures) fprintf(stderr, "%d check(s) failed\n", check_failures);
    return check_failures ? 1 : 0;
}

const char *check_run(char *out, size_t cap, int *rc, const char *cmd)
{
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, cap - 1, p) : 0;
    out[n] = '\0';
    int st = p ? pclose(p) : -1;
    if (rc) *rc = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

int check_store_is_etcd(void)
{
    const char *e = getenv("AMI_TEST_ETCD");
    return e && *e;
}

static long long etcd_run_id(void)
{
    static long long run_id;
    if (!run_id) run_id = (long long)getpid() * 1000003LL + (long long)ami_time_now_ms() % 1000003LL;
    return run_id;
}

const char *check_store_uri(const char *name)
{
    static _Thread_local char u[1024];   /* per thread, as check_path's */
    if (!check_store_is_etcd()) {
        snprintf(u, sizeof u, "%s", check_path(name));
        return u;
    }
    snprintf(u, sizeof u, "etcd://%s/ami-test/%lld/%s", getenv("AMI_TEST_ETCD"), etcd_run_id(), name);
    return u;
}

static size_t etcd_sink(char *d, size_t sz, size_t n, void *ud)
{
    return ami_buf_put(ud, d, sz * n) ? 0 : sz * n;
}

/* POST a JSON body to the first AMI_TEST_ETCD endpoint's gateway; the parsed answer or NULL. */
json_t *check_etcd_post(const char *path, const char *body)
{
    const char *eps = getenv("AMI_TEST_ETCD");
    if (!eps) return NULL;
    char url[512];
    snprintf(url, sizeof url, "http://%.*s%s", (int)strcspn(eps, ","), eps, path);
    CURL *c = curl_easy_init();
    ami_buf out = AMI_BUF_INIT;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, etcd_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    CURLcode cc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    json_t *j = cc == CURLE_OK && out.ptr ? json_loads(out.ptr, 0, NULL) : NULL;
    ami_buf_dispose(&out);
    return j;
}

long check_etcd_raw_count(const char *name)
{
    ami_buf p = AMI_BUF_INIT, k = AMI_BUF_INIT, e = AMI_BUF_INIT, body = AMI_BUF_INIT;
    ami_buf_printf(&p, "/ami-test/%lld/%s", etcd_run_id(), name);
    ami_buf_put(&p, "", 1);
    ami__base64_encode(&k, p.ptr, p.size);
    ami_buf_put(&p, "\xff", 1);
    ami__base64_encode(&e, p.ptr, p.size);
    ami_buf_printf(&body, "{\"key\":\"%s\",\"range_end\":\"%s\",\"count_only\":true}", k.ptr, e.ptr);
    json_t *j = check_etcd_post("/v3/kv/range", body.ptr);
    json_t *cnt = json_object_get(j, "count");
    long n = !j ? -1 : json_is_string(cnt) ? atol(json_string_value(cnt)) : (long)json_integer_value(cnt);
    json_decref(j);
    ami_buf_dispose(&p); ami_buf_dispose(&k); ami_buf_dispose(&e); ami_buf_dispose(&body);
    return n;
}

static char etcd_dir[512];

static void etcd_stop(void)
{
    char cmd[700], out[256];
    snprintf(cmd, sizeof cmd, "tests/lib/etcd.sh stop '%s'", etcd_dir);
    check_run(out, sizeof out, NULL, cmd);
}

int check_etcd_start(char *eps, size_t cap, int members)
{
    char cmd[800];
    int rc = -1;
    check_run(eps, cap, &rc, "command -v etcd >/dev/null");
    if (rc != 0) {
        printf("SKIP on etcd: etcd is not installed (scripts/deps.sh installs etcd-server)\n");
        return 0;
    }
    snprintf(etcd_dir, sizeof etcd_dir, "%s/etcd", check_tmpdir());
    atexit(etcd_stop);
    snprintf(cmd, sizeof cmd, "tests/lib/etcd.sh start %d '%s'", members, etcd_dir);
    check_run(eps, cap, &rc, cmd);
    eps[strcspn(eps, "\n")] = '\0';
    REQUIRE(rc == 0 && eps[0]);
    return 1;
}

int check_each_thread(void (*fn)(const char *name, const char *fields, const char *dir, void *arg), void *arg)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char dir[300], path[320], buf[1024], name[32];
        snprintf(dir, sizeof dir, "/proc/self/task/%s", e->d_name);
        snprintf(path, sizeof path, "%s/stat", dir);
        FILE *f = fopen(path, "r");
        if (!f) continue;   /* the thread ended meanwhile */
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = 0;
        /* the name is between the first '(' and the last ')': it may hold either */
        char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
        if (!lp || !rp || rp < lp || !rp[1]) continue;
        snprintf(name, sizeof name, "%.*s", (int)(rp - lp - 1), lp + 1);
        n++;
        if (fn) fn(name, rp + 2, dir, arg);
    }
    if (d) closedir(d);
    return n;
}

typedef struct { const char *name; long total; } switch_count;

static void add_switches(const char *name, const char *fields, const char *dir, void *arg)
{
    (void)fields;
    switch_count *c = arg;
    if (strcmp(name, c->name)) return;
    char path[400], line[200];
    snprintf(path, sizeof path, "%s/status", dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "voluntary_ctxt_switches:", 24)) c->total += atol(line + 24);
    fclose(f);
}

long check_thread_switches(const char *name)
{
    switch_count c = { name, 0 };
    check_each_thread(add_switches, &c);
    return c.total;
}

long check_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}
