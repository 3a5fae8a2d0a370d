/* Bench: WebFIX over HTTP under wrk (loopback) — listWorkers with 100 workers
 * and getWorkerStats (100 stats records), each with an owner session — beside
 * a minimal libmicrohttpd server (same epoll thread pool) returning a static
 * 1 KB body, measured in the same run. */
#include "webfix_harness.h"

static char static_body[1024];
static char *big_body;      /* as large as the listWorkers answer */
static size_t big_len;

static enum MHD_Result static_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                      const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    if (!*con_cls) { *con_cls = (void *)1; return MHD_YES; }
    if (*upload_size) { *upload_size = 0; return MHD_YES; }
    int big = !strcmp(url, "/big");
    struct MHD_Response *r = MHD_create_response_from_buffer(big ? big_len : sizeof static_body,
                                                             big ? big_body : static_body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ok = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ok;
}

/* Run wrk against port with a Lua script posting `body`; returns requests/s (0 on failure). */
static double run_wrk(int port, const char *path, const char *session, const char *body, int seconds)
{
    char lua[600], cmd[1200];
    snprintf(lua, sizeof lua, "%s/bench_webfix.lua", check_tmpdir());
    FILE *f = fopen(lua, "w");
    REQUIRE(f);
    fprintf(f, "wrk.method = \"POST\"\nwrk.body = '%s'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n", body);
    if (session) fprintf(f, "wrk.headers[\"stels-session\"] = \"%s\"\n", session);
    fclose(f);
    snprintf(cmd, sizeof cmd, "wrk -t2 -c32 -d%ds -s %s http://127.0.0.1:%d%s 2>&1", seconds, lua, port, path);
    FILE *p = popen(cmd, "r");
    REQUIRE(p);
    char line[512];
    double rps = 0;
    long non2xx = 0;
    while (fgets(line, sizeof line, p)) {
        sscanf(line, " Requests/sec: %lf", &rps);
        sscanf(line, " Non-2xx or 3xx responses: %ld", &non2xx);
    }
    pclose(p);
    if (non2xx) printf("# %ld non-2xx responses in the run for %s\n", non2xx, body);
    return rps;
}

int main(void)
{
    if (system("command -v wrk >/dev/null 2>&1")) {
        printf("# wrk is not installed (apt-get install wrk); webfix bench skipped\n");
        return 0;
    }
    ami_init();
    curl_global_init(CURL_GLOBAL_ALL);
    memset(static_body, 'x', sizeof static_body);
    char pub[67];
    hc_keygen("owner.pem", pub);
    const char *owners[] = { pub, NULL };
    hs srv;
    hs_start(&srv, check_path("bench.db"), owners);
    char *session = hc_login(srv.port, check_path("owner.pem"), NULL, 0);
    REQUIRE(session);
    for (int i = 0; i < 100; i++) {
        json_t *e = NULL;
        REQUIRE(ami_registry_create(&e, srv.store, "s-0001", NULL) == 0);
        const char *sid = json_string_value(json_array_get(json_object_get(e, "key"), 2));
        json_t *key = ami_key_new("ami", "stats", "s-0001", sid, NULL);
        json_t *st = json_pack("{s:s,s:I,s:i,s:i,s:i,s:i,s:i,s:i,s:s,s:n,s:n,s:n,s:n,s:s,s:b}", "sid", sid,
                               "started", (json_int_t)ami_time_now_ms(), "uptime", 1000, "executions", 100 + i, "errors", 0,
                               "networkErrors", 0, "criticalErrors", 0, "consecutiveErrors", 0, "errorRate", "0%",
                               "lastError", "lastErrorType", "lastRun", "lastRunAgo", "scriptHash", "1a2b3c4d",
                               "isRunning", 1);
        REQUIRE(ami_store_set(srv.store, key, st, 0, NULL) == 0);
        json_decref(key);
        json_decref(st);
        json_decref(e);
    }
    /* a leader-mode worker with a live lease: what getLeaderInfo is asked about */
    json_t *lbody = json_pack("{s:s, s:s, s:b}", "scriptContent", "var x = 1;", "executionMode", "leader", "active", 0), *le = NULL;
    REQUIRE(ami_registry_create(&le, srv.store, "s-0001", lbody) == 0);
    char lsid[100];
    snprintf(lsid, sizeof lsid, "%s", json_string_value(json_array_get(json_object_get(le, "key"), 2)));
    json_decref(le);
    json_decref(lbody);
    ami_lease lease;
    int acquired = 0;
    REQUIRE(ami_election_try_acquire(&lease, &acquired, srv.store, lsid, "s-0001", 3600 * 1000) == 0 && acquired);
    char lreq[300];
    snprintf(lreq, sizeof lreq, "{\"webfix\":\"1.0\",\"method\":\"getLeaderInfo\",\"body\":{\"workerId\":\"%s\"}}", lsid);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
                                            static_handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                            MHD_OPTION_THREAD_POOL_SIZE, 2U, MHD_OPTION_END);
    REQUIRE(d);
    int sport = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;

    int secs = getenv("AMI_BENCH_SECONDS") ? atoi(getenv("AMI_BENCH_SECONDS")) : 3;
    printf("# wrk -t2 -c32 -d%ds on loopback; amid HTTP layer with a 2-thread epoll pool, SQLite sync=NORMAL; "
           "baseline: libmicrohttpd static 1 KB body, same pool\n", secs);
    json_t *list = NULL;
    REQUIRE(hc_method(srv.port, session, "listWorkers", NULL, &list) == 200);
    char *lt_text = json_dumps(list, JSON_COMPACT);
    big_len = strlen(lt_text);
    big_body = malloc(big_len);
    memset(big_body, 'x', big_len);
    free(lt_text);
    json_decref(list);
    double base = run_wrk(sport, "/", NULL, "{}", secs);
    double lw = run_wrk(srv.port, "/", session, "{\"webfix\":\"1.0\",\"method\":\"listWorkers\"}", secs);
    double gs = run_wrk(srv.port, "/", session, "{\"webfix\":\"1.0\",\"method\":\"getWorkerStats\"}", secs);
    double lt = run_wrk(srv.port, "/", session, lreq, secs);
    double gss = run_wrk(srv.port, "/", session, "{\"webfix\":\"1.0\",\"method\":\"getSession\"}", secs);
    /* the machine is shared: the baseline again after the rows, best kept (never flatters the rows) */
    double base2 = run_wrk(sport, "/", NULL, "{}", secs);
    if (base2 > base) base = base2;
    double bigbase = run_wrk(sport, "/big", NULL, "{}", secs);
    printf("# listWorkers answers %zu bytes; the last row compares it with a static body of that size\n", big_len);
    printf("webfix listWorkers (100 workers)\t%.0f\treq/s\tmhd static 1KB\t%.0f\n", lw, base);
    printf("webfix getWorkerStats (100 workers)\t%.0f\treq/s\tmhd static 1KB\t%.0f\n", gs, base);
    printf("webfix getLeaderInfo (auth + one store read)\t%.0f\treq/s\tmhd static 1KB\t%.0f\n", lt, base);
    printf("webfix getSession (auth only, no store)\t%.0f\treq/s\tmhd static 1KB\t%.0f\n", gss, base);
    printf("webfix listWorkers (100 workers)\t%.0f\treq/s\tmhd static same size\t%.0f\n", lw, bigbase);
    free(big_body);
    MHD_stop_daemon(d);
    free(session);
    hs_stop(&srv);
    curl_global_cleanup();
    ami_shutdown();
    return 0;
}
