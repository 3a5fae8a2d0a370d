/* Claim: a real amid answers every bad WebFIX request — malformed JSON,
 * wrong types, unknown methods and fields, oversized bodies, forged,
 * replayed and stale signatures, bad sessions, randomly mutated valid
 * requests — with a JSON body and a status below 500 (4xx with an error
 * message for the bad ones), never crashes, keeps serving, and no request
 * without an owner's session changes the store.  Short in CI
 * (AMI_TORTURE_SECONDS, default 10 s of mutations); `make torture
 * DURATION=600` runs it long. */
#include <fcntl.h>
#include <sys/socket.h>
#include <time.h>
#include "webfix_harness.h"

static char amid_path[512], pub[AMI_WEBFIX_PUBKEY_HEX + 1], stranger[AMI_WEBFIX_PUBKEY_HEX + 1];
static pid_t amid_pid;
static int port;
static char *owner_session;
static long sent, client_errors, oks, fivexx, nonjson, no_message;

static void reap(void)
{
    if (amid_pid > 0 && kill(amid_pid, 0) == 0) { kill(amid_pid, SIGKILL); waitpid(amid_pid, NULL, 0); }
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    int p = ntohs(a.sin_port);
    close(fd);
    return p;
}

static void start_amid(void)
{
    char listen[64], log[600], db[600];
    port = free_port();
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(log, sizeof log, "%s/amid.log", check_tmpdir());
    snprintf(db, sizeof db, "%s", check_path("ami.db"));
    amid_pid = fork();
    REQUIRE(amid_pid >= 0);
    if (amid_pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
        execl(amid_path, amid_path, "--nid", "sweep-1", "--db", db, "--listen", listen, "--owners", pub,
              "--heartbeat-ms", "300", (char *)NULL);
        _exit(127);
    }
    atexit(reap);
    for (int i = 0; i < 200; i++) {
        ami_buf out = AMI_BUF_INIT;
        long st = hc_request(port, "GET", "/healthz", NULL, NULL, NULL, 0, &out);
        int up = st == 200 && out.ptr && strstr(out.ptr, "sweep-1");
        ami_buf_dispose(&out);
        if (up) return;
        REQUIRE(waitpid(amid_pid, NULL, WNOHANG) == 0);
        usleep(50000);
    }
    REQUIRE(!"amid came up");
}

static int alive(void)
{
    if (waitpid(amid_pid, NULL, WNOHANG) != 0) return 0;
    ami_buf out = AMI_BUF_INIT;
    long st = hc_request(port, "GET", "/healthz", NULL, NULL, NULL, 0, &out);
    ami_buf_dispose(&out);
    return st == 200;
}

/* POST raw bytes; judge the answer: JSON, < 500, an error message when 4xx.
 * want_4xx: the request is bad, so it must be refused. */
static long post(const char *session, const char *body, size_t len, int want_4xx, const char *what)
{
    ami_buf out = AMI_BUF_INIT;
    long st = hc_request(port, "POST", "/", session, "application/json", body, len, &out);
    sent++;
    json_t *j = out.ptr ? json_loadb(out.ptr, out.size, JSON_DECODE_ANY, NULL) : NULL;
    int bad = 0;
    if (st >= 500 || st == 0) { fivexx++; bad = 1; }
    else if (!j) { nonjson++; bad = 1; }
    else if (st >= 400) {
        client_errors++;
        json_t *e = json_object_get(j, "error");
        const char *m = json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));
        if (!m || !*m) { no_message++; bad = 1; }
    } else {
        oks++;
        if (want_4xx) bad = 1;
    }
    if (bad) {
        fprintf(stderr, "  %s: status %ld, body %.200s; request %.200s\n", what, st, out.ptr ? out.ptr : "(none)",
                len ? body : "(empty)");
        check_failures++;
    }
    json_decref(j);
    ami_buf_dispose(&out);
    return st;
}

static long post_str(const char *session, const char *body, int want_4xx, const char *what)
{
    return post(session, body, strlen(body), want_4xx, what);
}

/* The registry as the owner sees it (JSON text, malloc'd). */
static char *snapshot(void)
{
    json_t *j = NULL;
    REQUIRE(hc_method(port, owner_session, "listWorkers", NULL, &j) == 200 && json_is_array(j));
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    return s;
}

static char sids[3][64];

static void setup(void)
{
    hc_keygen("owner.pem", pub);
    hc_keygen("stranger.pem", stranger);
    start_amid();
    owner_session = hc_login(port, check_path("owner.pem"), NULL, 0);
    REQUIRE(owner_session);
    for (int i = 0; i < 3; i++) {
        json_t *j = NULL;
        char body[200];
        snprintf(body, sizeof body, "{\"scriptContent\":\"logger.info('w%d');\",\"active\":%s}", i, i ? "false" : "true");
        REQUIRE(hc_method(port, owner_session, "setWorker", body, &j) == 200);
        snprintf(sids[i], sizeof sids[i], "%s", json_string_value(json_array_get(json_object_get(j, "key"), 2)));
        json_decref(j);
    }
}


static void malformed_and_unknown(void)
{
    char *before = snapshot();
    static const char *const junk[] = {
        "", " ", "{", "}", "[]", "null", "0", "\"webfix\"", "{\"webfix\":\"1.0\"", "{\"webfix\":\"1.0\",}",
        "{\"webfix\":1.0,\"method\":\"listWorkers\"}", "{\"webfix\":\"2.0\",\"method\":\"listWorkers\"}",
        "{\"method\":\"listWorkers\"}", "{\"webfix\":\"1.0\"}", "{\"webfix\":\"1.0\",\"method\":null}",
        "{\"webfix\":\"1.0\",\"method\":[\"listWorkers\"]}", "{\"webfix\":\"1.0\",\"method\":\"listWorkers\",\"params\":{}}",
        "{\"webfix\":\"1.0\",\"method\":\"listWorkers\",\"body\":[]}", "{\"webfix\":\"1.0\",\"method\":\"listWorkers\",\"body\":7}",
        "{\"webfix\":\"1.0\",\"method\":\"setWorker\",\"method\":\"listWorkers\"}",
        "{\"webfix\":\"1.0\",\"method\":\"nope\"}", "{\"webfix\":\"1.0\",\"method\":\"\"}",
        "{\"webfix\":\"1.0\",\"method\":\"setworker\"}", "{\"webfix\":\"1.0\",\"method\":\"__proto__\"}",
        "{\"webfix\":\"1.0\",\"method\":\"listWorkers\\u0000x\"}", "\xff\xfe{}", "{\"webfix\":\"1.0\",\"method\":\"\xc3\"}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        NULL
    };
    for (int i = 0; junk[i]; i++) post_str(owner_session, junk[i], 1, "malformed");
    /* deep nesting, a long method name */
    size_t n = 200000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = 0;
    post_str(owner_session, deep, 1, "deep nesting");
    snprintf(deep, 2 * n, "{\"webfix\":\"1.0\",\"method\":\"");
    size_t at = strlen(deep);
    memset(deep + at, 'm', 100000);
    strcpy(deep + at + 100000, "\"}");
    post_str(owner_session, deep, 1, "long method name");
    free(deep);
    /* oversized: just over the 1 MiB limit, and far over */
    size_t sizes[] = { ((size_t)1 << 20) + 1, (size_t)8 << 20 };
    for (int i = 0; i < 2; i++) {
        char *big = malloc(sizes[i] + 1);
        int k = snprintf(big, sizes[i], "{\"webfix\":\"1.0\",\"method\":\"setWorker\",\"body\":{\"scriptContent\":\"//");
        memset(big + k, 'x', sizes[i] - (size_t)k - 4);
        memcpy(big + sizes[i] - 4, "\"}}", 4);
        big[sizes[i]] = 0;
        long st = post(owner_session, big, sizes[i], 1, "oversized");
        CHECK(st == 413 || (st >= 400 && st < 500));
        free(big);
    }
    char *after = snapshot();
    CHECK_STR(after, before);
    free(before);
    free(after);
    CHECK(alive());
}

static void wrong_types(void)
{
    char *before = snapshot();
    static const char *const vals[] = { "null", "7", "-1", "1e400", "true", "\"\"", "\"   \"", "[]", "{}", "[1,2]",
                                        "{\"a\":1}", "\"../../etc\"", "\"\\u0000\"", NULL };
    static const char *const fields[] = { "workerId", "sid", "scriptContent", "active", "executionMode", "assignedNode",
                                          "name", "limit", "after", "NOT_A_FIELD", NULL };
    /* every field of every worker method as each wrong type; writes go to a worker id that does not exist,
     * or are of a kind that must be refused, so nothing may change */
    static const char *const methods[] = { "getWorker", "updateWorker", "deleteWorker", "getLeaderInfo", "getWorkerLogs",
                                           "getWorkerStats", "validateScript", "listWorkers", "listNodes", NULL };
    char body[400];
    for (int m = 0; methods[m]; m++)
        for (int f = 0; fields[f]; f++)
            for (int v = 0; vals[v]; v++) {
                int writes = !strcmp(methods[m], "updateWorker") || !strcmp(methods[m], "deleteWorker");
                if (writes)
                    snprintf(body, sizeof body, "{\"workerId\":\"no-such-worker\",\"%s\":%s}", fields[f], vals[v]);
                else
                    snprintf(body, sizeof body, "{\"%s\":%s}", fields[f], vals[v]);
                char req[600];
                snprintf(req, sizeof req, "{\"webfix\":\"1.0\",\"method\":\"%s\",\"params\":[],\"body\":%s}", methods[m], body);
                post_str(owner_session, req, 0, "wrong type");
            }
    /* setWorker with each required field of the wrong type: refused */
    static const char *const bad_sets[] = {
        "{\"scriptContent\":7}", "{\"scriptContent\":null}", "{\"scriptContent\":[]}",
        "{\"scriptContent\":\"x\",\"executionMode\":\"sometimes\"}", "{\"scriptContent\":\"x\",\"executionMode\":7}",
        "{\"scriptContent\":\"x\",\"active\":\"yes\"}", "{\"scriptContent\":\"x\",\"executionMode\":\"exclusive\",\"assignedNode\":\"   \"}",
        "{\"scriptContent\":\"let = ;\"}", NULL
    };
    for (int i = 0; bad_sets[i]; i++) {
        char req[600];
        snprintf(req, sizeof req, "{\"webfix\":\"1.0\",\"method\":\"setWorker\",\"params\":[],\"body\":%s}", bad_sets[i]);
        post_str(owner_session, req, 1, "bad setWorker");
    }
    char *after = snapshot();
    CHECK_STR(after, before);
    free(before);
    free(after);
    CHECK(alive());
}

/* Replace the first occurrence of `field`'s string value in a JSON object text. */
static char *with_field(const char *req, const char *field, const char *value)
{
    json_t *j = json_loads(req, 0, NULL);
    REQUIRE(j);
    json_t *b = json_object_get(j, "body");
    json_object_set_new(b, field, json_string(value));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static void forged_signatures(void)
{
    char *before = snapshot();
    char *good = NULL, *strange = NULL;
    REQUIRE(ami_webfix_sign_login(&good, check_path("owner.pem")) == 0);
    REQUIRE(ami_webfix_sign_login(&strange, check_path("stranger.pem")) == 0);
    json_t *g = json_loads(good, 0, NULL);
    const char *sig = json_string_value(json_object_get(json_object_get(g, "body"), "signature"));
    REQUIRE(sig);
    char flipped[512];
    snprintf(flipped, sizeof flipped, "%s", sig);
    flipped[strlen(flipped) / 2] = flipped[strlen(flipped) / 2] == 'a' ? 'b' : 'a';
    char *reqs[8];
    int n = 0;
    reqs[n++] = with_field(good, "signature", flipped);                    /* a flipped signature */
    reqs[n++] = with_field(good, "signature", "");                         /* none */
    reqs[n++] = with_field(good, "timestamp", "2001-01-01T00:00:00.000Z"); /* stale (and no longer signed) */
    reqs[n++] = with_field(good, "nonce", "0000");                         /* another nonce */
    reqs[n++] = with_field(good, "publicKey", stranger);                   /* someone else's key */
    reqs[n++] = with_field(strange, "publicKey", pub);                     /* the owner's key, a stranger's signature */
    for (int i = 0; i < n; i++) { post_str(NULL, reqs[i], 1, "forged login"); free(reqs[i]); }
    /* a stranger's valid login is no owner: a session at most as a viewer, and no write */
    json_t *j = NULL;
    long st = hc_call(port, NULL, strange, &j);
    if (st == 200) {
        const char *s = json_string_value(json_object_get(j, "session"));
        REQUIRE(s);
        char *ss = strdup(s);
        post_str(ss, "{\"webfix\":\"1.0\",\"method\":\"setWorker\",\"body\":{\"scriptContent\":\"x\",\"active\":true}}", 1,
                 "stranger write");
        char req[300];
        snprintf(req, sizeof req, "{\"webfix\":\"1.0\",\"method\":\"deleteWorker\",\"body\":{\"workerId\":\"%s\"}}", sids[0]);
        post_str(ss, req, 1, "stranger delete");
        free(ss);
    } else {
        CHECK(st >= 400 && st < 500);
    }
    json_decref(j);
    /* the owner's own login replayed: the nonce was used */
    CHECK_INT(hc_call(port, NULL, good, NULL), 200);
    post_str(NULL, good, 1, "replayed login");
    /* bad sessions on an owner method */
    static const char *const sessions[] = { "", "x", "00000000000000000000000000000000", "' OR 1=1 --",
                                            "\xff\xfe", NULL };
    for (int i = 0; sessions[i]; i++)
        post_str(sessions[i], "{\"webfix\":\"1.0\",\"method\":\"stopAllWorkers\",\"body\":{}}", 1, "bad session");
    /* a logged-out session */
    char *s2 = hc_login(port, check_path("owner.pem"), NULL, 0);
    REQUIRE(s2);
    CHECK_INT(hc_method(port, s2, "disconnectNode", NULL, NULL), 200);
    post_str(s2, "{\"webfix\":\"1.0\",\"method\":\"stopAllWorkers\",\"body\":{}}", 1, "ended session");
    free(s2);
    ami_free(good);
    ami_free(strange);
    json_decref(g);
    char *after = snapshot();
    CHECK_STR(after, before);
    free(before);
    free(after);
    CHECK(alive());
}

static int seconds = 10;

static void mutated_requests(void)
{
    char valid[16][400];
    int nv = 0;
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"listWorkers\",\"params\":[]}");
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"getWorker\",\"body\":{\"workerId\":\"%s\"}}", sids[0]);
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"getWorkerLogs\",\"body\":{\"sid\":\"%s\",\"limit\":5}}", sids[0]);
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"getLeaderInfo\",\"body\":{\"workerId\":\"%s\"}}", sids[1]);
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"getWorkerStats\",\"body\":{}}");
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"validateScript\",\"body\":{\"scriptContent\":\"let a = 1;\"}}");
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"updateWorker\",\"body\":{\"workerId\":\"%s\",\"active\":false}}", sids[2]);
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"setWorker\",\"body\":{\"scriptContent\":\"logger.info(1);\",\"executionMode\":\"leader\"}}");
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"deleteWorker\",\"body\":{\"workerId\":\"no-such\"}}");
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"listNodes\"}");
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"listTemplates\"}");
    snprintf(valid[nv++], 400, "{\"webfix\":\"1.0\",\"method\":\"getSession\"}");
    const char *const tokens[] = { "null", "true", "-0", "1e999", "\"\"", "[]", "{}", "\"\\ud800\"", ",", ":", "\"", "{", "]",
                                   "99999999999999999999999", "\"executionMode\"", "\"exclusive\"" };
    int64_t end = ami_time_mono_ms() + (int64_t)seconds * 1000;
    long rounds = 0;
    char buf[2048];
    while (ami_time_mono_ms() < end && check_failures == 0) {
        const char *src = valid[random() % nv];
        size_t len = strlen(src);
        memcpy(buf, src, len + 1);
        int edits = 1 + (int)(random() % 4);
        for (int e = 0; e < edits && len > 2; e++) {
            size_t at = (size_t)random() % len;
            switch (random() % 5) {
            case 0: buf[at] ^= (char)(1 << (random() % 8)); break;                       /* flip a bit */
            case 1: memmove(buf + at, buf + at + 1, len - at); len--; break;            /* drop a byte */
            case 2: len = at; buf[len] = 0; break;                                     /* truncate */
            case 3: {                                                                   /* insert a token */
                const char *t = tokens[random() % (sizeof tokens / sizeof *tokens)];
                size_t tl = strlen(t);
                if (len + tl < sizeof buf - 1) { memmove(buf + at + tl, buf + at, len - at + 1); memcpy(buf + at, t, tl); len += tl; }
                break;
            }
            default: if (len * 2 < sizeof buf - 1) { memcpy(buf + len, buf, len); len *= 2; buf[len] = 0; }   /* duplicate */
            }
        }
        /* half of them with the owner's session, half with none (must change nothing) */
        post(random() % 2 ? owner_session : NULL, buf, len, 0, "mutated");
        rounds++;
        if (rounds % 200 == 0) CHECK(alive());
    }
    CHECK(alive());
    char *after = snapshot();   /* the registry still lists (every record parses) */
    free(after);
    fprintf(stderr, "  mutated requests: %ld\n", rounds);
}

int main(void)
{
    ami_init();
    curl_global_init(CURL_GLOBAL_ALL);
    snprintf(amid_path, sizeof amid_path, "%s/amid", check_build_dir());
    REQUIRE(access(amid_path, X_OK) == 0);
    const char *env = getenv("AMI_TORTURE_SECONDS");
    if (env && atoi(env) > 0) seconds = atoi(env);
    srandom((unsigned)time(NULL));
    setup();
    RUN(malformed_and_unknown);
    RUN(wrong_types);
    RUN(forged_signatures);
    RUN(mutated_requests);
    fprintf(stderr, "  requests %ld: 2xx %ld, 4xx %ld, 5xx %ld, not JSON %ld, 4xx without a message %ld\n", sent, oks,
            client_errors, fivexx, nonjson, no_message);
    CHECK_INT(fivexx, 0);
    CHECK_INT(nonjson, 0);
    kill(amid_pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 200 && waitpid(amid_pid, &st, WNOHANG) == 0; i++) usleep(50000);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    amid_pid = 0;
    free(owner_session);
    curl_global_cleanup();
    ami_shutdown();
    return check_done();
}
