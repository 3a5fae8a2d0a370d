/* Claim: an instance's HTTP client (one libcurl multi handle driven on the
 * instance's thread, as an I/O source of its loop) against a real local
 * server: completes many requests concurrently, follows redirect chains hop by
 * hop and refuses a hop into a host allow_net does not name, honours manual
 * and error redirect modes, caps the body, times out a slow-loris, reports a
 * closed port as ConnectionRefused, returns 500s as responses, and verifies
 * HTTPS against an extra CA file (failing without it). */
#include "rt.h"
#include "net_harness.h"
#include "util/util.h"
#include "runtime/loop.h"
#include "runtime/web/http.h"

static int finished;

static void on_done(ami__http_req *r)
{
    (void)r;
    finished++;
}

static ami__perms *perms;
static net_server srv;
static ami_runtime *inst;   /* owns the client; its loop's I/O is driven by hand here */

static ami__http_req *start(const char *method, const char *url, long timeout_ms, size_t body_max, int redirect, const char *ca)
{
    ami__http_req *r = ami__http_req_new();
    REQUIRE(r);
    r->method = ami__strdup(method);
    r->url = ami__strdup(url);
    r->headers = curl_slist_append(NULL, "x-test: 1");
    r->timeout_ms = timeout_ms;
    r->body_max = body_max;
    r->redirect_mode = redirect;
    r->ca_file = ca ? ami__strdup(ca) : NULL;
    r->perms = ami__perms_ref(perms);
    r->done = on_done;
    REQUIRE(ami__http_submit(inst, r) == 0);
    return r;
}

/* Wait on the client's sockets and serve them until n requests ended (what
 * the instance's loop does between its turns). */
static void wait_for(int n)
{
    while (finished < n) {
        ami__loop_io_wait(inst, ami_time_mono_ms() + 100);
        ami__loop_io_run(inst);
    }
}

static ami__http_req *one(const char *method, const char *url, long timeout_ms, size_t body_max, int redirect, const char *ca)
{
    int before = finished;
    ami__http_req *r = start(method, url, timeout_ms, body_max, redirect, ca);
    wait_for(before + 1);
    return r;
}

static char *url(const char *path) { static char u[300]; snprintf(u, sizeof u, "http://127.0.0.1:%d%s", srv.port, path); return u; }

static void concurrent_requests_overlap(void)
{
    int64_t t0 = ami_time_mono_ms();
    int before = finished;
    ami__http_req *rs[10];
    for (int i = 0; i < 10; i++) rs[i] = start("GET", url("/delay?ms=300"), 30000, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    wait_for(before + 10);
    int64_t took = ami_time_mono_ms() - t0;
    for (int i = 0; i < 10; i++) {
        CHECK(rs[i]->err_name == NULL);
        CHECK_INT(rs[i]->status, 200);
        ami__http_req_unref(rs[i]);
    }
    /* ten 300 ms requests one after another would take 3 s */
    CHECK(took < 2000);
}

static void redirects_are_checked_hop_by_hop(void)
{
    ami__http_req *r = one("GET", url("/redirect?n=3"), 30000, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    CHECK(r->err_name == NULL);
    CHECK_INT(r->status, 200);
    CHECK(r->redirected);
    CHECK(strstr(r->final_url ? r->final_url : r->url, "/json"));   /* final_url: only when not url */
    CHECK(r->resp_body.size && strstr(r->resp_body.ptr, "\"n\": 42"));
    ami__http_req_unref(r);
    /* a hop to a host allow_net does not name (localhost is not 127.0.0.1 here) */
    char to[200], path[300];
    snprintf(to, sizeof to, "http://localhost:%d/json", srv.port);
    snprintf(path, sizeof path, "/redirect?n=2&to=%s", to);
    r = one("GET", url(path), 30000, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    CHECK_STR(r->err_name, "PermissionDenied");
    CHECK(strstr(r->err_msg, "\"localhost:"));
    CHECK(strstr(r->err_msg, "allow_net"));
    ami__http_req_unref(r);
    r = one("GET", url("/redirect?n=1"), 30000, 1 << 20, AMI__REDIRECT_MANUAL, NULL);
    CHECK(r->err_name == NULL);
    CHECK_INT(r->status, 302);
    ami__http_req_unref(r);
    r = one("GET", url("/redirect?n=1"), 30000, 1 << 20, AMI__REDIRECT_ERROR, NULL);
    CHECK_STR(r->err_name, "TypeError");
    ami__http_req_unref(r);
    r = one("POST", url("/redirect?n=1&code=303&to=/echo"), 30000, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    CHECK(r->resp_body.size && strstr(r->resp_body.ptr, "\"method\": \"GET\""));
    ami__http_req_unref(r);
    /* the client reuses its easy handles: a GET after a POST is a GET again */
    r = one("POST", url("/echo"), 30000, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    CHECK(r->resp_body.size && strstr(r->resp_body.ptr, "\"method\": \"POST\""));
    ami__http_req_unref(r);
    r = one("GET", url("/echo"), 30000, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    CHECK(r->resp_body.size && strstr(r->resp_body.ptr, "\"method\": \"GET\""));
    ami__http_req_unref(r);
}

static void limits_and_failures_are_errors(void)
{
    ami__http_req *r = one("GET", url("/big?mb=50"), 30000, 16u << 20, AMI__REDIRECT_FOLLOW, NULL);
    CHECK_STR(r->err_name, "ResponseTooLarge");
    CHECK(strstr(r->err_msg, "16777216"));
    ami__http_req_unref(r);
    int64_t t0 = ami_time_mono_ms();
    r = one("GET", url("/slow"), 700, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    CHECK_STR(r->err_name, "RequestTimeout");
    CHECK(ami_time_mono_ms() - t0 < 5000);
    ami__http_req_unref(r);
    char closed[100];
    snprintf(closed, sizeof closed, "http://127.0.0.1:%d/", net_free_port());
    r = one("GET", closed, 30000, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    CHECK_STR(r->err_name, "ConnectionRefused");
    ami__http_req_unref(r);
    r = one("GET", url("/status?code=500"), 30000, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    CHECK(r->err_name == NULL);
    CHECK_INT(r->status, 500);
    CHECK_STR(r->status_text, "Internal Server Error");
    ami__http_req_unref(r);
    /* a cancelled request ends at once with AbortError */
    int before = finished;
    t0 = ami_time_mono_ms();
    r = start("GET", url("/slow"), 30000, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    int64_t until = ami_time_mono_ms() + 100;
    while (ami_time_mono_ms() < until) {
        ami__loop_io_wait(inst, until);
        ami__loop_io_run(inst);
    }
    CHECK_INT(finished, before);
    ami__http_cancel(r);
    wait_for(before + 1);
    CHECK_STR(r->err_name, "AbortError");
    CHECK(ami_time_mono_ms() - t0 < 3000);
    ami__http_req_unref(r);
}

static void https_verifies_with_the_ca_file(void)
{
    net_make_test_ca();
    char cert[600], key[600], ca[600];
    snprintf(cert, sizeof cert, "%s", check_path("server.pem"));
    snprintf(key, sizeof key, "%s", check_path("server.key"));
    snprintf(ca, sizeof ca, "%s", check_path("ca.pem"));
    net_server tls = net_server_start("tls.port", cert, key);
    char u[200];
    snprintf(u, sizeof u, "https://127.0.0.1:%d/json", tls.port);
    ami__http_req *r = one("GET", u, 30000, 1 << 20, AMI__REDIRECT_FOLLOW, ca);
    CHECK(r->err_name == NULL);
    CHECK_INT(r->status, 200);
    ami__http_req_unref(r);
    r = one("GET", u, 30000, 1 << 20, AMI__REDIRECT_FOLLOW, NULL);
    CHECK_STR(r->err_name, "NetworkError");
    CHECK(strstr(r->err_msg, "certificate"));
    ami__http_req_unref(r);
    net_server_stop(&tls);
}

int main(void)
{
    REQUIRE(ami__perms_new(&perms, "127.0.0.1", NULL, NULL) == 0);
    ami_store *net, *local;
    rt_stores(&net, &local);
    json_t *w = rt_worker("sid-http", "return 1;");
    ami_runtime_options o = rt_options(net, local, w, NULL);
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    srv = net_server_start("http.port", NULL, NULL);
    RUN(concurrent_requests_overlap);
    RUN(redirects_are_checked_hop_by_hop);
    RUN(limits_and_failures_are_errors);
    RUN(https_verifies_with_the_ca_file);
    net_server_stop(&srv);
    ami_runtime_free(inst);
    ami_store_free(local);
    ami_store_free(net);
    ami__perms_unref(perms);
    return check_done();
}
