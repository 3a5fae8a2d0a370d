/* Shared helpers of the runtime tests (header only: each test is one program). */
#ifndef AMI_TEST_RT_H
#define AMI_TEST_RT_H
#include <dirent.h>
#include <pthread.h>
#include "check.h"

/* Log lines captured from an instance. */
typedef struct {
    pthread_mutex_t mu;
    json_t *lines;   /* [{ts, level, nid, sid, msg}] */
} rt_logs;

static inline void rt_logs_init(rt_logs *l)
{
    pthread_mutex_init(&l->mu, NULL);
    l->lines = json_array();
}

static inline void rt_logs_dispose(rt_logs *l)
{
    json_decref(l->lines);
    pthread_mutex_destroy(&l->mu);
}

static inline void rt_log_sink(const ami_log_record *rec, void *payload)
{
    rt_logs *l = payload;
    pthread_mutex_lock(&l->mu);
    json_array_append_new(l->lines, json_pack("{s:I, s:s, s:s, s:s, s:s%}", "ts", (json_int_t)rec->ts,
                                              "level", rec->level_name, "nid", rec->nid, "sid", rec->sid,
                                              "msg", rec->msg, rec->msg_len));
    pthread_mutex_unlock(&l->mu);
}

/* The msg of log line i ("" when there is none). */
static inline const char *rt_log_msg(rt_logs *l, size_t i)
{
    const char *s = json_string_value(json_object_get(json_array_get(l->lines, i), "msg"));
    return s ? s : "";
}

/* Open the shared and local stores of this test (files in the test's tmpdir). */
static inline void rt_stores(ami_store **net, ami_store **local)
{
    char p[600];
    snprintf(p, sizeof p, "%s", check_path("net.db"));
    REQUIRE(ami_store_open(net, p) == 0);
    snprintf(p, sizeof p, "%s", check_path("local.db"));
    REQUIRE(ami_store_open(local, p) == 0);
}

/* A WorkerScript raw with this script (caller owns it). */
static inline json_t *rt_worker(const char *sid, const char *script)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "sid", sid, "script", script, "executionMode", "parallel",
                     "mode", "loop", "priority", "normal");
}

/* Options for a test instance: the given stores, nid "node-1", network "testnet", logs captured. */
static inline ami_runtime_options rt_options(ami_store *net, ami_store *local, json_t *worker, rt_logs *logs)
{
    ami_runtime_options o = AMI_RUNTIME_OPTIONS_INIT;
    o.net = net;
    o.local = local;
    o.worker = worker;
    o.nid = "node-1";
    o.network = "testnet";
    if (logs) { o.log = rt_log_sink; o.log_payload = logs; }
    return o;
}

/* Create an instance for `script` and run it once with the given slice limit
 * (ami_runtime_options.slice_ms: 0 the default 5 s); returns the run's code. */
static inline int rt_run_slice(ami_store *net, ami_store *local, const char *script, rt_logs *logs,
                               ami_runtime_result *res, int slice_ms)
{
    json_t *w = rt_worker("sid-1", script);
    ami_runtime_options o = rt_options(net, local, w, logs);
    o.slice_ms = slice_ms;
    ami_runtime *inst = NULL;
    int rc = ami_runtime_new(&inst, &o);
    json_decref(w);
    if (rc) {
        fprintf(stderr, "ami_runtime_new: %s\n", ami_error_last());
        return rc;
    }
    rc = ami_runtime_run(inst, res);
    if (rc && res) fprintf(stderr, "  (run: %s: %s, line %d)\n", res->name, res->message, res->line);
    ami_runtime_free(inst);
    return rc;
}

/* Create an instance for `script` and run it once (default slice limit); returns the run's code. */
static inline int rt_run(ami_store *net, ami_store *local, const char *script, rt_logs *logs, ami_runtime_result *res)
{
    return rt_run_slice(net, local, script, logs, res, 0);
}

/* Run a script that must succeed; the value of `globalThis.out` afterwards is not kept,
 * so scripts report through logger or the store. */
static inline json_t *rt_get(ami_store *st, const char *keyjson)
{
    json_t *key = check_json(keyjson), *e = NULL;
    REQUIRE(ami_store_get(&e, st, key) == 0);
    json_decref(key);
    return e;
}

/* A whole file as a NUL-terminated malloc'd string, or NULL. */
static inline char *rt_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

static inline int rt_name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The *.js file names of a corpus directory, sorted, strdup'd into names[] (at most max); -1 when it cannot be read. */
static inline int rt_corpus_names(const char *dir, char **names, int max)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < max) {
        size_t l = strlen(de->d_name);
        if (l > 3 && !strcmp(de->d_name + l - 3, ".js")) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, rt_name_cmp);
    return n;
}

static inline int64_t rt_now_ms(void) { return ami_time_mono_ms(); }


/* JS assertion helper prepended to test scripts: eq(actual, expected, label). */
#define RT_EQ_JS \
    "function eq(a, b, what) { var sa = JSON.stringify(a), sb = JSON.stringify(b);\n" \
    "  if (sa !== sb) throw new Error(what + ': got ' + sa + ', expected ' + sb); }\n"
#endif
