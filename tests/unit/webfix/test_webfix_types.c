/* Claim: the dispatcher survives every field of every method given every JSON
 * type (and random bytes as a request): it always answers with a documented
 * status and valid JSON, never crashes or leaks (run under ASan too). */
#include "check.h"

static const char *methods[] = { "connectionNode", "setWorker", "listWorkers", "getWorker", "updateWorker",
                                 "deleteWorker", "stopAllWorkers", "getWorkerStats", "getLeaderInfo", "listNodes",
                                 "getWorkerLogs", "listTemplates", "validateScript", "getSession", "disconnectNode" };
static const char *fields[] = { "scriptContent", "dependencies", "version", "executionMode", "priority", "accountId",
                                "assignedNode", "mode", "scope", "note", "active", "channel", "sid", "raw",
                                "versionstamp", "workerId", "limit", "after", "script", "publicKey", "timestamp",
                                "nonce", "signature" };
static const char *values[] = { "null", "true", "0", "-1", "1e308", "\"\"", "\"x\"", "[]", "[1]", "{}",
                                "{\"active\":[],\"sid\":1,\"script\":{}}", "\"ami.worker.\"", "\"ami.worker.x\"",
                                "99999999999999999999" };

static int documented(int st)
{
    static const int ok[] = { 200, 207, 400, 401, 403, 404, 409, 413, 500, 503 };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) if (ok[i] == st) return 1;
    return 0;
}

static ami_webfix *wf;

static void answer(const char *req, size_t len)
{
    int st = 0;
    ami_buf out = AMI_BUF_INIT;
    CHECK_RC(ami_webfix_handle(wf, req, len, NULL, &st, &out));
    if (!documented(st)) { fprintf(stderr, "status %d for %.*s\n", st, (int)len, req); CHECK(0); }
    if (st == 500) fprintf(stderr, "500 for %.*s: %s\n", (int)len, req, out.ptr);
    json_t *j = out.ptr ? json_loads(out.ptr, JSON_DECODE_ANY, NULL) : NULL;
    if (!j) { fprintf(stderr, "not JSON for %.*s: %s\n", (int)len, req, out.ptr ? out.ptr : "(null)"); CHECK(0); }
    CHECK(st != 500);
    json_decref(j);
    ami_buf_dispose(&out);
}

static void every_field_every_type(void)
{
    char req[1024];
    for (size_t m = 0; m < sizeof methods / sizeof *methods; m++)
        for (size_t f = 0; f < sizeof fields / sizeof *fields; f++)
            for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
                int n = snprintf(req, sizeof req, "{\"webfix\":\"1.0\",\"method\":\"%s\",\"body\":{\"%s\":%s}}", methods[m],
                                 fields[f], values[v]);
                answer(req, (size_t)n);
                /* updateWorker: the same values inside raw */
                n = snprintf(req, sizeof req, "{\"webfix\":\"1.0\",\"method\":\"%s\",\"body\":{\"sid\":\"x\",\"raw\":{\"%s\":%s}}}",
                             methods[m], fields[f], values[v]);
                answer(req, (size_t)n);
            }
    /* body and params themselves of every type */
    for (size_t m = 0; m < sizeof methods / sizeof *methods; m++)
        for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
            int n = snprintf(req, sizeof req, "{\"webfix\":\"1.0\",\"method\":\"%s\",\"body\":%s,\"params\":%s}",
                             methods[m], values[v], values[v]);
            answer(req, (size_t)n);
        }
}

static void random_bytes(void)
{
    unsigned int seed = 12345;
    char buf[512];
    static const char alphabet[] = "{}[]\":,0123456789.eE-+truefalsnl \\u00webfixmethod";
    for (int i = 0; i < 3000; i++) {
        size_t len = (size_t)(rand_r(&seed) % sizeof buf);
        for (size_t k = 0; k < len; k++)
            buf[k] = i % 2 ? (char)(rand_r(&seed) & 0xff) : alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
        answer(buf, len);
    }
    answer("", 0);
    answer("{\"webfix\":\"1.0\",\"method\":\"listWorkers\"}\0trailing", 49);
}

int main(void)
{
    ami_init();
    ami_store *store = NULL;
    REQUIRE(ami_store_open(&store, check_path("ami.db")) == 0);
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    o.local_store = store;
    REQUIRE(ami_webfix_new(&wf, &o) == 0);
    RUN(every_field_every_type);
    RUN(random_bytes);
    ami_webfix_free(wf);
    ami_store_free(store);
    ami_shutdown();
    return check_done();
}
