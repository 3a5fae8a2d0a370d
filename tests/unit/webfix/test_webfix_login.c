/* Claim: connectionNode accepts only a fresh, correctly signed login
 * (secp256k1, SHA-256, "ami-connect:"+ts+":"+nonce) and its sessions give the
 * right role until they expire; worker methods need a session (401) and
 * mutating ones an owner (403). */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

static ami_store *store;
static ami_webfix *wf;
static char owner_pub[67], viewer_pub[67];

static json_t *handle(const char *req, const char *session, int *status)
{
    ami_buf out = AMI_BUF_INIT;
    REQUIRE(ami_webfix_handle(wf, req, strlen(req), session, status, &out) == 0);
    json_t *j = check_json(out.ptr);
    ami_buf_dispose(&out);
    return j;
}

/* A login request signed with the key in `keyfile` over `signed_ts`:`nonce`, claiming `ts`. */
static char *login_req(const char *keyfile, long long ts, long long signed_ts, const char *nonce)
{
    FILE *f = fopen(keyfile, "r");
    REQUIRE(f);
    EVP_PKEY *pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    REQUIRE(pk);
    char pub[67];
    REQUIRE(ami_webfix_key_public(pub, keyfile) == 0);
    char text[200];
    int n = snprintf(text, sizeof text, "ami-connect:%lld:%s", signed_ts, nonce);
    unsigned char sig[160];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    REQUIRE(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) == 1);
    REQUIRE(EVP_DigestSign(md, sig, &siglen, (unsigned char *)text, (size_t)n) == 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    char hex[400];
    for (size_t i = 0; i < siglen; i++) sprintf(hex + 2 * i, "%02x", sig[i]);
    char *req = malloc(1024);
    snprintf(req, 1024, "{\"webfix\":\"1.0\",\"method\":\"connectionNode\",\"body\":{\"publicKey\":\"%s\",\"timestamp\":%lld,"
             "\"nonce\":\"%s\",\"signature\":\"%s\"}}", pub, ts, nonce, hex);
    return req;
}

static char owner_session[64], viewer_session[64];

static void keys(void)
{
    char pub2[67];
    CHECK_RC(ami_webfix_keygen(owner_pub, check_path("owner.pem")));
    CHECK_INT(strlen(owner_pub), 66);
    CHECK(owner_pub[0] == '0' && (owner_pub[1] == '2' || owner_pub[1] == '3'));
    struct stat st;
    CHECK(stat(check_path("owner.pem"), &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_RC(ami_webfix_key_public(pub2, check_path("owner.pem")));
    CHECK_STR(pub2, owner_pub);
    CHECK_INT(ami_webfix_keygen(pub2, check_path("owner.pem")), AMI_EINVAL);   /* never overwrites */
    CHECK_RC(ami_webfix_keygen(viewer_pub, check_path("viewer.pem")));
    CHECK(strcmp(owner_pub, viewer_pub));
}

static void good_logins(void)
{
    char *req = NULL;
    CHECK_RC(ami_webfix_sign_login(&req, check_path("owner.pem")));
    int st;
    json_t *j = handle(req, NULL, &st);
    CHECK_INT(st, 200);
    CHECK_STR(json_string_value(json_object_get(j, "role")), "owner");
    const char *s = json_string_value(json_object_get(j, "session"));
    CHECK(s && strlen(s) == 32);
    int64_t exp = json_integer_value(json_object_get(j, "expiresAt"));
    CHECK(exp > ami_time_now_ms() + 23 * 3600 * 1000LL && exp <= ami_time_now_ms() + 24 * 3600 * 1000LL);
    snprintf(owner_session, sizeof owner_session, "%s", s ? s : "");
    json_decref(j);
    /* The same signed request again: the nonce was used. */
    j = handle(req, NULL, &st);
    CHECK_INT(st, 401);
    CHECK_STR(json_string_value(json_object_get(j, "error")), "Login nonce already used");
    json_decref(j);
    ami_free(req);

    CHECK_RC(ami_webfix_sign_login(&req, check_path("viewer.pem")));
    j = handle(req, NULL, &st);
    CHECK_INT(st, 200);
    CHECK_STR(json_string_value(json_object_get(j, "role")), "viewer");
    snprintf(viewer_session, sizeof viewer_session, "%s", json_string_value(json_object_get(j, "session")));
    json_decref(j);
    ami_free(req);
}

static void bad_logins(void)
{
    int st;
    long long now = (long long)ami_time_now_ms();
    const char *key = check_path("owner.pem");
    char keyfile[600];
    snprintf(keyfile, sizeof keyfile, "%s", key);
    /* Stale and future timestamps (correctly signed). */
    char *req = login_req(keyfile, now - 6 * 60 * 1000, now - 6 * 60 * 1000, "00112233445566778899");
    json_t *j = handle(req, NULL, &st);
    CHECK_INT(st, 401);
    CHECK_STR(json_string_value(json_object_get(j, "error")), "Login timestamp out of range");
    json_decref(j); free(req);
    req = login_req(keyfile, now + 6 * 60 * 1000, now + 6 * 60 * 1000, "00112233445566778899");
    json_decref(handle(req, NULL, &st));
    CHECK_INT(st, 401);
    free(req);
    /* Signature over another timestamp. */
    req = login_req(keyfile, now, now - 1, "aabbccddeeff00112233");
    j = handle(req, NULL, &st);
    CHECK_INT(st, 401);
    CHECK_STR(json_string_value(json_object_get(j, "error")), "Invalid signature");
    json_decref(j); free(req);
    /* Signed by another key than the one claimed. */
    char *vreq = login_req(check_path("viewer.pem"), now, now, "aabbccddeeff00112244");
    char *p = strstr(vreq, "\"publicKey\":\"") + 13;
    memcpy(p, owner_pub, 66);
    json_decref(handle(vreq, NULL, &st));
    CHECK_INT(st, 401);
    free(vreq);
    /* Malformed fields name the field. */
    static const struct { const char *body; const char *field; } bad[] = {
        { "{\"publicKey\":\"02ab\",\"timestamp\":1,\"nonce\":\"0011223344556677\",\"signature\":\"3044\"}", "publicKey" },
        { "{\"publicKey\":\"%s\",\"timestamp\":\"1\",\"nonce\":\"0011223344556677\",\"signature\":\"3044\"}", "timestamp" },
        { "{\"publicKey\":\"%s\",\"timestamp\":1,\"nonce\":\"short\",\"signature\":\"3044\"}", "nonce" },
        { "{\"publicKey\":\"%s\",\"timestamp\":1,\"nonce\":\"0011223344556677\",\"signature\":\"zz\"}", "signature" },
        { "{\"publicKey\":\"%s\",\"timestamp\":1,\"nonce\":\"0011223344556677\"}", "signature" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char body[600], r[800];
        snprintf(body, sizeof body, bad[i].body, owner_pub);
        snprintf(r, sizeof r, "{\"webfix\":\"1.0\",\"method\":\"connectionNode\",\"body\":%s}", body);
        j = handle(r, NULL, &st);
        CHECK_INT(st, 400);
        const char *e = json_string_value(json_object_get(j, "error"));
        if (!e || !strstr(e, bad[i].field)) { fprintf(stderr, "case %zu: %s\n", i, e ? e : "(null)"); CHECK(0); }
        json_decref(j);
    }
    /* A 66-hex string that is not a point on the curve. */
    char r[800];
    snprintf(r, sizeof r, "{\"webfix\":\"1.0\",\"method\":\"connectionNode\",\"body\":{\"publicKey\":\"02%064d\","
             "\"timestamp\":%lld,\"nonce\":\"0011223344556677\",\"signature\":\"3006020101020101\"}}", 5, now);
    json_decref(handle(r, NULL, &st));
    CHECK_INT(st, 400);
}

static const struct { const char *method, *body; int mutating; } methods[] = {
    { "setWorker", "{}", 1 }, { "listWorkers", NULL, 0 }, { "getWorker", "{\"sid\":\"x\"}", 0 },
    { "updateWorker", "{\"sid\":\"x\",\"raw\":{}}", 1 }, { "deleteWorker", "{\"sid\":\"x\"}", 1 },
    { "stopAllWorkers", NULL, 1 }, { "getWorkerStats", NULL, 0 }, { "getLeaderInfo", "{\"workerId\":\"x\"}", 0 },
    { "listNodes", NULL, 0 }, { "getWorkerLogs", "{\"sid\":\"x\"}", 0 }, { "listTemplates", NULL, 0 },
    { "validateScript", "{\"script\":\"1\"}", 0 },
};

static void matrix(void)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        char req[400];
        snprintf(req, sizeof req, "{\"webfix\":\"1.0\",\"method\":\"%s\"%s%s}", methods[i].method,
                 methods[i].body ? ",\"body\":" : "", methods[i].body ? methods[i].body : "");
        int st;
        json_decref(handle(req, NULL, &st));
        if (st != 401) { fprintf(stderr, "%s without session: %d\n", methods[i].method, st); CHECK(0); }
        json_decref(handle(req, "00000000000000000000000000000000", &st));
        if (st != 401) { fprintf(stderr, "%s bad session: %d\n", methods[i].method, st); CHECK(0); }
        json_decref(handle(req, viewer_session, &st));
        if ((st == 403) != methods[i].mutating || st == 401) {
            fprintf(stderr, "%s as viewer: %d\n", methods[i].method, st); CHECK(0);
        }
        json_decref(handle(req, owner_session, &st));
        if (st == 401 || st == 403) { fprintf(stderr, "%s as owner: %d\n", methods[i].method, st); CHECK(0); }
    }
    ami_webfix_role role;
    CHECK_RC(ami_webfix_session_check(&role, wf, owner_session));
    CHECK_INT(role, AMI_WEBFIX_ROLE_OWNER);
    CHECK_INT(ami_webfix_session_check(&role, wf, "nope"), AMI_EAUTH);
}

static void expiry_and_closed(void)
{
    /* A second dispatcher with a 300 ms session lifetime and no viewers. */
    ami_webfix *w2 = NULL;
    const char *owners[] = { owner_pub };
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    o.owners = owners;
    o.owners_count = 1;
    o.allow_viewers = 0;
    o.session_ttl_ms = 300;
    REQUIRE(ami_webfix_new(&w2, &o) == 0);
    ami_webfix *keep = wf;
    wf = w2;
    char *req = NULL;
    CHECK_RC(ami_webfix_sign_login(&req, check_path("viewer.pem")));
    int st;
    json_decref(handle(req, NULL, &st));
    CHECK_INT(st, 403);
    ami_free(req);
    CHECK_RC(ami_webfix_sign_login(&req, check_path("owner.pem")));
    json_t *j = handle(req, NULL, &st);
    ami_free(req);
    CHECK_INT(st, 200);
    char sess[64];
    snprintf(sess, sizeof sess, "%s", json_string_value(json_object_get(j, "session")));
    json_decref(j);
    json_decref(handle("{\"webfix\":\"1.0\",\"method\":\"listWorkers\"}", sess, &st));
    CHECK_INT(st, 200);
    usleep(450 * 1000);
    j = handle("{\"webfix\":\"1.0\",\"method\":\"listWorkers\"}", sess, &st);
    CHECK_INT(st, 401);
    CHECK_STR(json_string_value(json_object_get(j, "error")), "Unauthorized: invalid or expired session");
    json_decref(j);
    wf = keep;
    ami_webfix_free(w2);

    /* A full session table refuses viewers (503) but an owner still gets in. */
    o.session_ttl_ms = 0;
    o.allow_viewers = 1;
    o.max_sessions = 2;
    REQUIRE(ami_webfix_new(&w2, &o) == 0);
    wf = w2;
    for (int i = 0; i < 3; i++) {
        CHECK_RC(ami_webfix_sign_login(&req, check_path("viewer.pem")));
        json_decref(handle(req, NULL, &st));
        ami_free(req);
        CHECK_INT(st, i < 2 ? 200 : 503);
    }
    CHECK_RC(ami_webfix_sign_login(&req, check_path("owner.pem")));
    json_decref(handle(req, NULL, &st));
    ami_free(req);
    CHECK_INT(st, 200);
    wf = keep;
    ami_webfix_free(w2);

    /* Bad owner keys are refused at creation. */
    const char *bad[] = { "02zz" };
    o.owners = bad;
    CHECK_INT(ami_webfix_new(&w2, &o), AMI_EINVAL);
}

int main(void)
{
    ami_init();
    REQUIRE(ami_store_open(&store, check_path("ami.db")) == 0);
    RUN(keys);
    const char *owners[] = { owner_pub };
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    o.owners = owners;
    o.owners_count = 1;
    o.allow_viewers = 1;   /* off by default */
    REQUIRE(ami_webfix_new(&wf, &o) == 0);
    RUN(good_logins);
    RUN(bad_logins);
    RUN(matrix);
    RUN(expiry_and_closed);
    ami_webfix_free(wf);
    ami_store_free(store);
    ami_shutdown();
    return check_done();
}
