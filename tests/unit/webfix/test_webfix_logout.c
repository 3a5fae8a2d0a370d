/* Claim: getSession tells a session its role and expiry, and disconnectNode
 * (log out) ends that session on the node at once while other sessions and
 * open mode are unaffected. */
#include "check.h"

static ami_store *store;
static ami_webfix *wf;

static json_t *call(const char *method, const char *session, int *status)
{
    char req[200];
    snprintf(req, sizeof req, "{\"webfix\":\"1.0\",\"method\":\"%s\"}", method);
    ami_buf out = AMI_BUF_INIT;
    REQUIRE(ami_webfix_handle(wf, req, strlen(req), session, status, &out) == 0);
    json_t *j = check_json(out.ptr);
    ami_buf_dispose(&out);
    return j;
}

static void login(char *session, const char *key)
{
    char *req = NULL;
    int st;
    ami_buf out = AMI_BUF_INIT;
    REQUIRE(ami_webfix_sign_login(&req, check_path(key)) == 0);
    REQUIRE(ami_webfix_handle(wf, req, strlen(req), NULL, &st, &out) == 0);
    json_t *j = check_json(out.ptr);
    REQUIRE(st == 200);
    snprintf(session, 64, "%s", json_string_value(json_object_get(j, "session")));
    json_decref(j);
    ami_buf_dispose(&out);
    ami_free(req);
}

static void session_info_and_logout(void)
{
    char owner[64], viewer[64], other[64];
    login(owner, "owner.pem");
    login(other, "owner.pem");
    login(viewer, "viewer.pem");
    int st;
    json_t *j = call("getSession", owner, &st);
    CHECK_INT(st, 200);
    CHECK_STR(json_string_value(json_object_get(j, "role")), "owner");
    CHECK(json_is_false(json_object_get(j, "open")));
    CHECK(json_integer_value(json_object_get(j, "expiresAt")) > ami_time_now_ms());
    json_decref(j);
    j = call("getSession", viewer, &st);
    CHECK_STR(json_string_value(json_object_get(j, "role")), "viewer");
    json_decref(j);
    json_decref(call("getSession", NULL, &st));
    CHECK_INT(st, 401);

    /* Log out: the session is gone, the other one still works. */
    j = call("disconnectNode", owner, &st);
    CHECK_INT(st, 200);
    CHECK(json_is_true(json_object_get(j, "disconnected")));
    json_decref(j);
    json_decref(call("listWorkers", owner, &st));
    CHECK_INT(st, 401);
    json_decref(call("disconnectNode", owner, &st));
    CHECK_INT(st, 401);
    json_decref(call("listWorkers", other, &st));
    CHECK_INT(st, 200);
    /* A viewer may log itself out too. */
    json_decref(call("disconnectNode", viewer, &st));
    CHECK_INT(st, 200);
    json_decref(call("listWorkers", viewer, &st));
    CHECK_INT(st, 401);
}

static void open_mode(void)
{
    ami_webfix *keep = wf, *w2 = NULL;
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    REQUIRE(ami_webfix_new(&w2, &o) == 0);
    wf = w2;
    int st;
    json_t *j = call("getSession", NULL, &st);
    CHECK_INT(st, 200);
    CHECK_STR(json_string_value(json_object_get(j, "role")), "owner");
    CHECK(json_is_true(json_object_get(j, "open")));
    CHECK(json_is_null(json_object_get(j, "expiresAt")));
    json_decref(j);
    j = call("disconnectNode", NULL, &st);
    CHECK_INT(st, 200);
    CHECK(json_is_false(json_object_get(j, "disconnected")));
    json_decref(j);
    json_decref(call("listWorkers", NULL, &st));
    CHECK_INT(st, 200);
    wf = keep;
    ami_webfix_free(w2);
}

int main(void)
{
    ami_init();
    REQUIRE(ami_store_open(&store, check_path("ami.db")) == 0);
    char owner_pub[67], viewer_pub[67];
    REQUIRE(ami_webfix_keygen(owner_pub, check_path("owner.pem")) == 0);
    REQUIRE(ami_webfix_keygen(viewer_pub, check_path("viewer.pem")) == 0);
    const char *owners[] = { owner_pub };
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    o.owners = owners;
    o.owners_count = 1;
    o.allow_viewers = 1;   /* off by default */
    REQUIRE(ami_webfix_new(&wf, &o) == 0);
    RUN(session_info_and_logout);
    RUN(open_mode);
    ami_webfix_free(wf);
    ami_store_free(store);
    ami_shutdown();
    return check_done();
}
