/* Claim: amid's HTTP layer serves WebFIX on POST / over a real loopback socket:
 * every method works with an owner session, the 401/403 matrix holds for every
 * method, bad input gets 400/404/405/413/415 and the server keeps serving, a key
 * made and a login signed with the openssl CLI are accepted, and /healthz and
 * /metrics answer. */
#include "webfix_harness.h"

static hs srv;
static char owner_pub[67], viewer_pub[67];
static char *owner_s, *viewer_s;

static const char *errmsg(json_t *j)
{
    json_t *e = json_object_get(j, "error");
    return json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));
}

static void login(void)
{
    char role[16];
    owner_s = hc_login(srv.port, check_path("owner.pem"), role, sizeof role);
    REQUIRE(owner_s);
    CHECK_STR(role, "owner");
    viewer_s = hc_login(srv.port, check_path("viewer.pem"), role, sizeof role);
    REQUIRE(viewer_s);
    CHECK_STR(role, "viewer");
}

static void methods_as_owner(void)
{
    json_t *j = NULL;
    CHECK_INT(hc_method(srv.port, owner_s, "setWorker", "{\"scriptContent\":\"logger.info('hi');\",\"priority\":\"high\"}", &j), 200);
    json_t *raw = json_object_get(json_object_get(j, "value"), "raw");
    char sid[64], body[300];
    snprintf(sid, sizeof sid, "%s", json_string_value(json_object_get(raw, "sid")));
    CHECK_STR(json_string_value(json_object_get(raw, "priority")), "high");
    CHECK_STR(json_string_value(json_object_get(raw, "nid")), "s-0001");
    CHECK_INT(strlen(json_string_value(json_object_get(j, "versionstamp"))), 20);
    json_decref(j);

    CHECK_INT(hc_method(srv.port, owner_s, "listWorkers", NULL, &j), 200);
    CHECK_INT(json_array_size(j), 1);
    CHECK_STR(json_string_value(json_array_get(json_object_get(json_array_get(j, 0), "key"), 2)), sid);
    json_decref(j);

    snprintf(body, sizeof body, "{\"sid\":\"%s\"}", sid);
    CHECK_INT(hc_method(srv.port, viewer_s, "getWorker", body, &j), 200);
    json_decref(j);

    snprintf(body, sizeof body, "{\"channel\":\"ami.worker.%s\",\"raw\":{\"active\":true}}", sid);
    CHECK_INT(hc_method(srv.port, owner_s, "updateWorker", body, &j), 200);
    CHECK(json_is_true(json_object_get(json_object_get(json_object_get(j, "value"), "raw"), "active")));
    json_decref(j);
    snprintf(body, sizeof body, "{\"channel\":\"ami.worker.%s\",\"raw\":{\"active\":false},\"versionstamp\":\"00000000000000000001\"}", sid);
    CHECK_INT(hc_method(srv.port, owner_s, "updateWorker", body, &j), 409);
    CHECK_STR(errmsg(j), "Update Worker Error: version mismatch or not found");
    json_decref(j);

    CHECK_INT(hc_method(srv.port, viewer_s, "getWorkerStats", NULL, &j), 200);
    CHECK(json_is_array(json_object_get(j, "workers")));
    CHECK(json_is_integer(json_object_get(j, "totalWorkers")));
    json_decref(j);
    snprintf(body, sizeof body, "{\"workerId\":\"%s\"}", sid);
    CHECK_INT(hc_method(srv.port, viewer_s, "getLeaderInfo", body, &j), 400);   /* a parallel worker has no leader */
    CHECK(strstr(errmsg(j), "not a leader-mode worker"));
    json_decref(j);
    CHECK_INT(hc_method(srv.port, viewer_s, "getLeaderInfo", "{\"workerId\":\"\"}", &j), 400);
    CHECK_STR(errmsg(j), "Invalid workerId");
    json_decref(j);
    CHECK_INT(hc_method(srv.port, viewer_s, "listNodes", NULL, &j), 200);
    CHECK(json_is_array(j));
    json_decref(j);
    snprintf(body, sizeof body, "{\"sid\":\"%s\",\"limit\":10}", sid);
    CHECK_INT(hc_method(srv.port, viewer_s, "getWorkerLogs", body, &j), 200);
    CHECK(json_is_array(j));
    json_decref(j);
    CHECK_INT(hc_method(srv.port, viewer_s, "listTemplates", NULL, &j), 200);
    CHECK(json_is_array(j));
    json_decref(j);
    CHECK_INT(hc_method(srv.port, viewer_s, "validateScript", "{\"script\":\"logger.info(1);\"}", &j), 200);
    CHECK(json_is_true(json_object_get(j, "valid")));
    json_decref(j);

    CHECK_INT(hc_method(srv.port, owner_s, "stopAllWorkers", NULL, &j), 200);
    CHECK_INT(json_integer_value(json_object_get(j, "stopped")), 1);
    json_decref(j);
    snprintf(body, sizeof body, "{\"sid\":\"%s\"}", sid);
    CHECK_INT(hc_method(srv.port, owner_s, "deleteWorker", body, &j), 200);
    json_decref(j);
    CHECK_INT(hc_method(srv.port, owner_s, "deleteWorker", body, &j), 404);
    CHECK_STR(errmsg(j), "Worker not found");
    json_decref(j);
}

static const struct { const char *method, *body; int mutating; } methods[] = {
    { "setWorker", "{}", 1 }, { "listWorkers", NULL, 0 }, { "getWorker", "{\"sid\":\"x\"}", 0 },
    { "updateWorker", "{\"sid\":\"x\",\"raw\":{}}", 1 }, { "deleteWorker", "{\"sid\":\"x\"}", 1 },
    { "stopAllWorkers", NULL, 1 }, { "getWorkerStats", NULL, 0 }, { "getLeaderInfo", "{\"workerId\":\"x\"}", 0 },
    { "listNodes", NULL, 0 }, { "getWorkerLogs", "{\"sid\":\"x\"}", 0 }, { "listTemplates", NULL, 0 },
    { "validateScript", "{\"script\":\"1\"}", 0 },
};

static void auth_matrix(void)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        const char *m = methods[i].method, *b = methods[i].body;
        long st;
        if ((st = hc_method(srv.port, NULL, m, b, NULL)) != 401) { fprintf(stderr, "%s no session: %ld\n", m, st); CHECK(0); }
        if ((st = hc_method(srv.port, "ffffffffffffffffffffffffffffffff", m, b, NULL)) != 401) {
            fprintf(stderr, "%s unknown session: %ld\n", m, st); CHECK(0);
        }
        st = hc_method(srv.port, viewer_s, m, b, NULL);
        if (methods[i].mutating ? st != 403 : (st == 401 || st == 403)) { fprintf(stderr, "%s viewer: %ld\n", m, st); CHECK(0); }
        st = hc_method(srv.port, owner_s, m, b, NULL);
        if (st == 401 || st == 403 || st == 0) { fprintf(stderr, "%s owner: %ld\n", m, st); CHECK(0); }
    }
    json_t *j = NULL;
    CHECK_INT(hc_method(srv.port, NULL, "listWorkers", NULL, &j), 401);
    CHECK_STR(errmsg(j), "Unauthorized: stels-session header required");
    json_decref(j);
    CHECK_INT(hc_method(srv.port, viewer_s, "setWorker", "{}", &j), 403);
    CHECK_STR(errmsg(j), "Forbidden: owner role required");
    json_decref(j);
}

static void bad_requests(void)
{
    json_t *j = NULL;
    CHECK_INT(hc_call(srv.port, owner_s, "{not json", &j), 400);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "error"), "code")), 400);
    json_decref(j);
    CHECK_INT(hc_call(srv.port, owner_s, "{\"method\":\"listWorkers\"}", &j), 400);
    CHECK(strstr(errmsg(j), "webfix"));
    json_decref(j);
    CHECK_INT(hc_call(srv.port, owner_s, "{\"webfix\":\"1.0\",\"method\":\"bogus\"}", &j), 404);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "error"), "code")), 13);
    CHECK_STR(errmsg(j), "WebFIX method not found");
    json_decref(j);
    CHECK_INT(hc_method(srv.port, owner_s, "setWorker", "{\"priority\":7}", &j), 400);
    CHECK_STR(errmsg(j), "Invalid request body: priority must be a string");
    json_decref(j);

    /* 413: over 1 MiB, and the server goes on. */
    size_t n = AMI_WEBFIX_MAX_BODY + 1;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[n] = 0;
    ami_buf out = AMI_BUF_INIT;
    CHECK_INT(hc_request(srv.port, "POST", "/", owner_s, "application/json", big, n, &out), 413);
    CHECK(out.ptr && strstr(out.ptr, "too large"));
    ami_buf_dispose(&out);
    free(big);
    /* Exactly 1 MiB of padding around a valid request is accepted. */
    const char *req = "{\"webfix\":\"1.0\",\"method\":\"listTemplates\"}";
    big = malloc(AMI_WEBFIX_MAX_BODY);
    memset(big, ' ', AMI_WEBFIX_MAX_BODY);
    memcpy(big, req, strlen(req));
    CHECK_INT(hc_request(srv.port, "POST", "/", owner_s, "application/json", big, AMI_WEBFIX_MAX_BODY, &out), 200);
    ami_buf_dispose(&out);
    free(big);

    CHECK_INT(hc_request(srv.port, "POST", "/", owner_s, "text/plain", req, strlen(req), &out), 415);
    ami_buf_dispose(&out);
    CHECK_INT(hc_request(srv.port, "POST", "/", owner_s, "application/json; charset=utf-8", req, strlen(req), &out), 200);
    ami_buf_dispose(&out);
    CHECK_INT(hc_request(srv.port, "GET", "/", NULL, NULL, NULL, 0, &out), 405);
    ami_buf_dispose(&out);
    CHECK_INT(hc_request(srv.port, "GET", "/nope", NULL, NULL, NULL, 0, &out), 404);
    ami_buf_dispose(&out);
    CHECK_INT(hc_request(srv.port, "GET", "/healthz", NULL, NULL, NULL, 0, &out), 200);
    CHECK(out.ptr && strstr(out.ptr, "\"status\":\"ok\""));
    ami_buf_dispose(&out);
    CHECK_INT(hc_request(srv.port, "GET", "/api/worker/logs/stream?sid=x", NULL, NULL, NULL, 0, &out), 401);
    ami_buf_dispose(&out);
}

static void metrics(void)
{
    ami_buf out = AMI_BUF_INIT;
    CHECK_INT(hc_request(srv.port, "GET", "/metrics", NULL, NULL, NULL, 0, &out), 200);
    CHECK(out.ptr && strstr(out.ptr, "# TYPE ami_worker_executions_total counter"));
    CHECK(out.ptr && strstr(out.ptr, "ami_node_info{nid=\"s-0001\""));
    CHECK(out.ptr && strstr(out.ptr, "amid_http_requests_total{route=\"webfix\",status=\"413\"} 1"));
    CHECK(out.ptr && strstr(out.ptr, "amid_http_requests_total{route=\"webfix\",status=\"401\"}"));
    CHECK(out.ptr && strstr(out.ptr, "ami_webfix_calls_total{method=\"connectionNode\",status=\"200\"} 2"));
    ami_buf_dispose(&out);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* A key from `openssl ecparam -genkey` and a signature from `openssl dgst -sign` log in as owner. */
static void openssl_interop(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", check_tmpdir());
    CHECK_INT(sh("openssl ecparam -name secp256k1 -genkey -out %s/ossl.pem 2>/dev/null", dir), 0);
    CHECK_INT(sh("openssl ec -in %s/ossl.pem -pubout -conv_form compressed -outform DER 2>/dev/null | tail -c 33 | "
                 "od -An -tx1 | tr -d ' \\n' > %s/ossl.pub", dir, dir), 0);
    char pub[80] = "", mine[67];
    FILE *f = fopen(check_path("ossl.pub"), "r");
    REQUIRE(f && fgets(pub, sizeof pub, f));
    fclose(f);
    CHECK_INT(strlen(pub), 66);
    CHECK_RC(ami_webfix_key_public(mine, check_path("ossl.pem")));
    CHECK_STR(mine, pub);

    /* A server that lists this key as its owner. */
    hs s2;
    const char *owners[] = { pub, NULL };
    hs_start(&s2, check_path("ossl.db"), owners);
    long long ts = (long long)ami_time_now_ms();
    const char *nonce = "0123456789abcdef0123456789abcdef";
    CHECK_INT(sh("printf 'ami-connect:%lld:%s' | openssl dgst -sha256 -sign %s/ossl.pem 2>/dev/null | od -An -tx1 | "
                 "tr -d ' \\n' > %s/ossl.sig", ts, nonce, dir, dir), 0);
    char sig[400] = "";
    f = fopen(check_path("ossl.sig"), "r");
    REQUIRE(f && fgets(sig, sizeof sig, f));
    fclose(f);
    char body[900];
    snprintf(body, sizeof body, "{\"publicKey\":\"%s\",\"timestamp\":%lld,\"nonce\":\"%s\",\"signature\":\"%s\"}", pub, ts,
             nonce, sig);
    json_t *j = NULL;
    CHECK_INT(hc_method(s2.port, NULL, "connectionNode", body, &j), 200);
    CHECK_STR(json_string_value(json_object_get(j, "role")), "owner");
    char *sess = strdup(json_string_value(json_object_get(j, "session")) ? json_string_value(json_object_get(j, "session")) : "");
    json_decref(j);
    CHECK_INT(hc_method(s2.port, sess, "setWorker", "{}", NULL), 200);
    /* Replaying the openssl-signed login is refused. */
    CHECK_INT(hc_method(s2.port, NULL, "connectionNode", body, &j), 401);
    CHECK_STR(errmsg(j), "Login nonce already used");
    json_decref(j);
    free(sess);
    hs_stop(&s2);
}

static void refuses_public_without_owners(void)
{
    ami_store *st = NULL;
    REQUIRE(ami_store_open(&st, check_path("open.db")) == 0);
    ami_webfix *w = NULL;
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = st;
    REQUIRE(ami_webfix_new(&w, &o) == 0);
    amid_http_config c = AMID_HTTP_CONFIG_INIT;
    c.port = 0;
    c.address = "0.0.0.0";
    amid_http *h = NULL;
    CHECK_INT(amid_http_start(&h, &c, w, NULL), -1);
    CHECK(strstr(amid_http_error(), "without owners"));
    c.address = "::1";
    if (amid_http_start(&h, &c, w, NULL) == 0) {   /* IPv6 loopback, when the host has it */
        ami_buf out = AMI_BUF_INIT;
        amid_http_stop(h);
        ami_buf_dispose(&out);
    }
    c.address = "127.0.0.1";
    c.owners_count = 0;
    CHECK_INT(amid_http_start(&h, &c, w, NULL), 0);
    /* Open mode: no session needed on loopback. */
    CHECK_INT(hc_method(amid_http_port(h), NULL, "setWorker", "{}", NULL), 200);
    /* ... but a page reached through another name (DNS rebinding) is refused. */
    CURL *cu = curl_easy_init();
    char url[100];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", amid_http_port(h));
    struct curl_slist *hd = curl_slist_append(NULL, "Host: evil.example:80");
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, hc_write);
    ami_buf ob = AMI_BUF_INIT;
    curl_easy_setopt(cu, CURLOPT_WRITEDATA, &ob);
    long code = 0;
    CHECK(curl_easy_perform(cu) == CURLE_OK);
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &code);
    CHECK_INT(code, 403);
    curl_slist_free_all(hd);
    hd = curl_slist_append(NULL, "Host: localhost:3000");
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hd);
    CHECK(curl_easy_perform(cu) == CURLE_OK);
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &code);
    CHECK_INT(code, 200);
    curl_slist_free_all(hd);
    curl_easy_cleanup(cu);
    ami_buf_dispose(&ob);
    amid_http_stop(h);
    CHECK_INT(amid_http_address_is_loopback("127.0.0.2"), 1);
    CHECK_INT(amid_http_address_is_loopback("::1"), 1);
    CHECK_INT(amid_http_address_is_loopback("localhost"), 1);
    CHECK_INT(amid_http_address_is_loopback("10.0.0.1"), 0);
    CHECK_INT(amid_http_address_is_loopback("::"), 0);
    CHECK_INT(amid_http_address_is_loopback("nope"), -1);
    c.address = "not-an-address";
    CHECK_INT(amid_http_start(&h, &c, w, NULL), -1);
    ami_webfix_free(w);
    ami_store_free(st);
}

int main(void)
{
    ami_init();
    curl_global_init(CURL_GLOBAL_ALL);
    hc_keygen("owner.pem", owner_pub);
    hc_keygen("viewer.pem", viewer_pub);
    const char *owners[] = { owner_pub, NULL };
    hs_start(&srv, check_path("ami.db"), owners);
    RUN(login);
    RUN(methods_as_owner);
    RUN(auth_matrix);
    RUN(bad_requests);
    RUN(metrics);
    RUN(openssl_interop);
    RUN(refuses_public_without_owners);
    free(owner_s);
    free(viewer_s);
    hs_stop(&srv);
    curl_global_cleanup();
    ami_shutdown();
    return check_done();
}
