/* Claim: real amid processes serve WebFIX for a running node: two amid on one
 * SQLite file see the same workers, a worker started through one runs on both
 * (stats and listNodes through the other), its logs stream over SSE, a
 * leader-mode worker reports its leader, /metrics counts executions, and
 * SIGTERM stops both cleanly. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include "webfix_harness.h"

static char amid_path[512], pub[67];
static pid_t children[8];
static int nchildren;

/* Whatever happens (a failed REQUIRE included), no amid outlives the test. */
static void reap_children(void)
{
    for (int i = 0; i < nchildren; i++)
        if (children[i] > 0 && kill(children[i], 0) == 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
        }
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
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static pid_t start_amid(const char *nid, int port)
{
    char listen[64], log[600];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(log, sizeof log, "%s/%s.log", check_tmpdir(), nid);
    char db[600];
    snprintf(db, sizeof db, "%s", check_path("ami.db"));
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
        execl(amid_path, amid_path, "--nid", nid, "--db", db, "--listen", listen, "--owners", pub, "--heartbeat-ms", "300",
              "--stats-ms", "200", "--lease-ms", "3000", "--resync-ms", "500", (char *)NULL);
        _exit(127);
    }
    if (nchildren < 8) children[nchildren++] = pid;
    /* ready when /healthz answers with this node's id (not some other server on the port) */
    char want[80];
    snprintf(want, sizeof want, "\"nid\":\"%s\"", nid);
    for (int i = 0; i < 200; i++) {
        ami_buf out = AMI_BUF_INIT;
        long st = 0;
        if (waitpid(pid, NULL, WNOHANG) == pid) break;   /* it exited */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int up = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (up) st = hc_request(port, "GET", "/healthz", NULL, NULL, NULL, 0, &out);
        int mine = st == 200 && out.ptr && strstr(out.ptr, want);
        ami_buf_dispose(&out);
        if (mine) return pid;
        usleep(50000);
    }
    fprintf(stderr, "amid %s did not come up; its log:\n", nid);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "cat %s >&2", log);
    if (system(cmd)) {}
    exit(1);
}

static int stop_amid(pid_t pid)
{
    int st = 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

/* The stats entry of sid in a getWorkerStats answer (borrowed), or NULL. */
static json_t *stats_of(json_t *stats, const char *sid)
{
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(stats, "workers"), i, w)
        if (json_string_value(json_object_get(w, "sid")) && !strcmp(json_string_value(json_object_get(w, "sid")), sid)) return w;
    return NULL;
}

static void cluster(void)
{
    int pa = free_port(), pb = free_port();
    pid_t a = start_amid("n1", pa), b = start_amid("n2", pb);
    char *sa = hc_login(pa, check_path("owner.pem"), NULL, 0), *sb = hc_login(pb, check_path("owner.pem"), NULL, 0);
    REQUIRE(sa && sb);

    json_t *j = NULL;
    CHECK_INT(hc_method(pa, sa, "setWorker", "{\"scriptContent\":\"logger.info('tick ' + Stels.config.nid);\",\"active\":true}", &j), 200);
    char sid[64];
    snprintf(sid, sizeof sid, "%s", json_string_value(json_array_get(json_object_get(j, "key"), 2)));
    json_decref(j);
    CHECK_INT(hc_method(pa, sa, "setWorker", "{\"scriptContent\":\"logger.info('lead');\",\"executionMode\":\"leader\",\"active\":true}", &j), 200);
    char lsid[64];
    snprintf(lsid, sizeof lsid, "%s", json_string_value(json_array_get(json_object_get(j, "key"), 2)));
    json_decref(j);

    json_t *la = NULL, *lb = NULL;
    CHECK_INT(hc_method(pa, sa, "listWorkers", NULL, &la), 200);
    CHECK_INT(hc_method(pb, sb, "listWorkers", NULL, &lb), 200);
    CHECK_INT(json_array_size(la), 2);
    CHECK_JSON_EQ(la, lb);
    json_decref(la);
    json_decref(lb);

    /* It runs on B too (parallel): B's stats show executions; B lists both nodes. */
    int64_t end = ami_time_mono_ms() + 10000;
    long long execs = 0;
    while (ami_time_mono_ms() < end && execs == 0) {
        usleep(100000);
        if (hc_method(pb, sb, "getWorkerStats", NULL, &j) == 200 && stats_of(j, sid))
            execs = json_integer_value(json_object_get(stats_of(j, sid), "executions"));
        json_decref(j);
        j = NULL;
    }
    CHECK(execs > 0);
    size_t nodes = 0;
    end = ami_time_mono_ms() + 5000;
    while (ami_time_mono_ms() < end && nodes < 2) {
        if (hc_method(pb, sb, "listNodes", NULL, &j) == 200) nodes = json_array_size(j);
        json_decref(j);
        j = NULL;
        if (nodes < 2) usleep(100000);
    }
    CHECK_INT(nodes, 2);

    /* Logs through A: amid answers for the whole cluster by default (scope = cluster), so lines of either node. */
    char body[200];
    snprintf(body, sizeof body, "{\"sid\":\"%s\",\"limit\":5}", sid);
    /* lines reach the store through each node's log thread: wait for the first */
    end = ami_time_mono_ms() + 10000;
    for (;;) {
        CHECK_INT(hc_method(pa, sa, "getWorkerLogs", body, &j), 200);
        if (json_array_size(j) > 0 || ami_time_mono_ms() >= end) break;
        json_decref(j);
        j = NULL;
        usleep(100000);
    }
    CHECK(json_array_size(j) > 0 && json_array_size(j) <= 5);
    CHECK(json_array_size(j) > 0 && strstr(json_string_value(json_object_get(json_array_get(j, 0), "msg")), "tick n"));
    json_decref(j);

    /* The leader-mode worker has exactly one leader, one of ours. */
    end = ami_time_mono_ms() + 10000;
    int has = 0;
    snprintf(body, sizeof body, "{\"workerId\":\"%s\"}", lsid);
    while (ami_time_mono_ms() < end && !has) {
        CHECK_INT(hc_method(pb, sb, "getLeaderInfo", body, &j), 200);
        has = json_is_true(json_object_get(j, "hasLeader"));
        if (has) {
            const char *leader = json_string_value(json_object_get(j, "leader"));
            CHECK(leader && (!strcmp(leader, "n1") || !strcmp(leader, "n2")));
            CHECK(json_integer_value(json_object_get(j, "expiresIn")) > 0);
        }
        json_decref(j);
        if (!has) usleep(100000);
    }
    CHECK(has);

    /* /metrics on A counts executions and shows the worker running. */
    ami_buf m = AMI_BUF_INIT;
    CHECK_INT(hc_request(pa, "GET", "/metrics", NULL, NULL, NULL, 0, &m), 200);
    char needle[200];
    snprintf(needle, sizeof needle, "ami_worker_running{sid=\"%s\"} 1", sid);
    CHECK(m.ptr && strstr(m.ptr, needle));
    snprintf(needle, sizeof needle, "ami_worker_executions_total{sid=\"%s\"} ", sid);
    const char *p = m.ptr ? strstr(m.ptr, needle) : NULL;
    CHECK(p && atoll(p + strlen(needle)) > 0);
    ami_buf_dispose(&m);

    /* SSE from A: a new line arrives quickly (the worker logs every ~100 ms). */
    CURL *c = curl_easy_init();
    char url[300], h[200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/worker/logs/stream?sid=%s&follow=true&limit=0", pa, sid);
    snprintf(h, sizeof h, "stels-session: %s", sa);
    struct curl_slist *hdr = curl_slist_append(NULL, h);
    ami_buf sse = AMI_BUF_INIT;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hc_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sse);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1500L);
    curl_easy_perform(c);   /* ends by timeout */
    CHECK(sse.ptr && strstr(sse.ptr, "data: {") && strstr(sse.ptr, "tick n1"));
    ami_buf_dispose(&sse);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);

    /* validateScript and setWorker use the runtime's compiler: errors carry line and column. */
    CHECK_INT(hc_method(pa, sa, "validateScript", "{\"script\":\"var x = 1;\\nvar y = ;\\n\"}", &j), 200);
    CHECK(json_is_false(json_object_get(j, "valid")));
    CHECK_INT(json_integer_value(json_object_get(j, "line")), 2);
    CHECK_INT(json_integer_value(json_object_get(j, "column")), 9);
    json_decref(j);
    CHECK_INT(hc_method(pa, sa, "validateScript", "{\"script\":\"var f = function () { return 1; };\\nlogger.info('x' + f());\"}", &j), 200);
    CHECK(json_is_true(json_object_get(j, "valid")));
    json_decref(j);
    CHECK_INT(hc_method(pa, sa, "setWorker", "{\"scriptContent\":\"var y = ;\"}", &j), 400);
    CHECK(strstr(json_string_value(json_object_get(j, "error")), "Invalid script content"));
    json_decref(j);

    /* Stop the worker through B; A's stats show it stopped soon after. */
    CHECK_INT(hc_method(pb, sb, "stopAllWorkers", NULL, &j), 200);
    CHECK_INT(json_integer_value(json_object_get(j, "stopped")), 2);
    json_decref(j);
    end = ami_time_mono_ms() + 5000;
    int running = 1;
    while (ami_time_mono_ms() < end && running) {
        usleep(100000);
        if (hc_method(pa, sa, "getWorkerStats", NULL, &j) == 200)
            running = stats_of(j, sid) && json_is_true(json_object_get(stats_of(j, sid), "isRunning"));
        json_decref(j);
    }
    CHECK(!running);

    free(sa);
    free(sb);
    CHECK_INT(stop_amid(a), 0);
    CHECK_INT(stop_amid(b), 0);
}

/* amid refuses a public address without owners (exit 2, before serving). */
static void refuses_public(void)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s --nid n9 --db %s --listen 0.0.0.0:%d >/dev/null 2>&1", amid_path, check_path("x.db"),
             free_port());
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

int main(void)
{
    snprintf(amid_path, sizeof amid_path, "%s/amid", check_build_dir());
    if (access(amid_path, X_OK)) {
        fprintf(stderr, "no %s yet; nothing to test\n", amid_path);
        return 0;
    }
    ami_init();
    curl_global_init(CURL_GLOBAL_ALL);
    atexit(reap_children);
    hc_keygen("owner.pem", pub);
    RUN(cluster);
    RUN(refuses_public);
    curl_global_cleanup();
    ami_shutdown();
    return check_done();
}
