/*
 * Signed owner login (docs/design.md §9): secp256k1 ECDSA over SHA-256 of
 * "ami-connect:" + timestamp + ":" + nonce, replay and clock checks, and
 * in-memory sessions stored by the SHA-256 of their token.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include "core/core.h"
#include "util/util.h"
#include "webfix/webfix_internal.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int ami__hex_decode(unsigned char *out, size_t n, const char *hex)
{
    if (!hex || strlen(hex) != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int is_hex(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if (hexval((unsigned char)s[i]) < 0) return 0;
    return 1;
}

static EVP_PKEY *pubkey_from_bytes(const unsigned char pub[33])
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    if (!bld) return NULL;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 33) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)) ||
        !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ||
        EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

int ami__ecdsa_verify(const unsigned char pub[33], const unsigned char *sig, size_t siglen,
                      const void *msg, size_t msglen)
{
    if (pub[0] != 2 && pub[0] != 3) return -1;
    EVP_PKEY *pkey = pubkey_from_bytes(pub);
    if (!pkey) return -1;
    int ok = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1)
        ok = EVP_DigestVerify(md, sig, siglen, msg, msglen) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    return ok;
}

int ami__auth_init(ami__auth *auth, const ami_webfix_options *opts)
{
    memset(auth, 0, sizeof *auth);
    pthread_mutex_init(&auth->lock, NULL);
    auth->sessions = json_object();
    auth->nonces = json_object();
    auth->allow_viewers = opts->allow_viewers;
    auth->ttl_ms = opts->session_ttl_ms > 0 ? opts->session_ttl_ms : (int64_t)24 * 3600 * 1000;
    auth->skew_ms = opts->clock_skew_ms > 0 ? opts->clock_skew_ms : (int64_t)5 * 60 * 1000;
    auth->max_sessions = opts->max_sessions ? opts->max_sessions : 100000;
    if (!auth->sessions || !auth->nonces) return ami__error_oom();
    if (opts->owners_count) {
        auth->owners = ami_malloc(opts->owners_count * sizeof *auth->owners);
        if (!auth->owners) return ami__error_oom();
    }
    for (size_t i = 0; i < opts->owners_count; i++) {
        const char *k = opts->owners[i];
        unsigned char pub[33];
        if (!k || ami__hex_decode(pub, 33, k) || (pub[0] != 2 && pub[0] != 3))
            return ami__error_set(AMI_EINVAL, "owner %zu: a public key is 66 hex digits (compressed secp256k1), got \"%s\"",
                                  i + 1, k ? k : "(null)");
        EVP_PKEY *pk = pubkey_from_bytes(pub);
        if (!pk) return ami__error_set(AMI_EINVAL, "owner %zu: \"%s\" is not a point on secp256k1", i + 1, k);
        EVP_PKEY_free(pk);
        char *low = ami__strdup(k);
        if (!low) return ami__error_oom();
        for (char *p = low; *p; p++) *p = (char)tolower((unsigned char)*p);
        auth->owners[auth->owners_count++] = low;
    }
    return 0;
}

void ami__auth_dispose(ami__auth *auth)
{
    for (size_t i = 0; i < auth->owners_count; i++) ami_free(auth->owners[i]);
    ami_free(auth->owners);
    json_decref(auth->sessions);
    json_decref(auth->nonces);
    pthread_mutex_destroy(&auth->lock);
}

static int is_owner(const ami__auth *auth, const char *low)
{
    for (size_t i = 0; i < auth->owners_count; i++)
        if (!strcmp(auth->owners[i], low)) return 1;
    return 0;
}

/* Drop expired sessions and forgotten nonces (lock held). */
static void purge(ami__auth *auth, int64_t now)
{
    const char *k;
    json_t *v;
    void *it;
    json_object_foreach_safe(auth->sessions, it, k, v) {
        if (json_integer_value(json_array_get(v, 1)) <= now) json_object_del(auth->sessions, k);
    }
    json_object_foreach_safe(auth->nonces, it, k, v) {
        if (json_integer_value(v) <= now) json_object_del(auth->nonces, k);
    }
}

static int fail(json_t **out, int status, const char *msg)
{
    *out = json_pack("{s:s}", "error", msg);
    return status;
}

int ami__auth_login(json_t **out, ami__auth *auth, const json_t *body, int64_t now)
{
    char msgbuf[160];
    if (!json_is_object(body)) return fail(out, 400, "Invalid request body: body must be an object");
    json_t *jpk = json_object_get(body, "publicKey"), *jts = json_object_get(body, "timestamp");
    json_t *jn = json_object_get(body, "nonce"), *jsig = json_object_get(body, "signature");
    if (!json_is_string(jpk) || !is_hex(json_string_value(jpk), 66, 66))
        return fail(out, 400, "Invalid request body: publicKey must be 66 hex digits (compressed secp256k1)");
    if (!json_is_integer(jts)) return fail(out, 400, "Invalid request body: timestamp must be an integer (ms since the epoch)");
    if (!json_is_string(jn) || !is_hex(json_string_value(jn), 16, 64))
        return fail(out, 400, "Invalid request body: nonce must be 16-64 hex digits");
    if (!json_is_string(jsig) || !is_hex(json_string_value(jsig), 16, 288) || strlen(json_string_value(jsig)) % 2)
        return fail(out, 400, "Invalid request body: signature must be the hex of a DER ECDSA signature");

    unsigned char pub[33], sig[144];
    ami__hex_decode(pub, 33, json_string_value(jpk));
    size_t siglen = strlen(json_string_value(jsig)) / 2;
    ami__hex_decode(sig, siglen, json_string_value(jsig));
    if (pub[0] != 2 && pub[0] != 3) return fail(out, 400, "Invalid request body: publicKey must be 66 hex digits (compressed secp256k1)");

    json_int_t ts = json_integer_value(jts);
    if (ts < now - auth->skew_ms || ts > now + auth->skew_ms) return fail(out, 401, "Login timestamp out of range");

    const char *nonce = json_string_value(jn);
    char text[128];
    int tlen = snprintf(text, sizeof text, "ami-connect:%lld:%s", (long long)ts, nonce);
    int v = ami__ecdsa_verify(pub, sig, siglen, text, (size_t)tlen);
    if (v < 0) return fail(out, 400, "Invalid request body: publicKey is not a point on secp256k1");
    if (v == 0) return fail(out, 401, "Invalid signature");

    char low[67], nkey[67 + 1 + 65];
    snprintf(low, sizeof low, "%s", json_string_value(jpk));
    for (char *p = low; *p; p++) *p = (char)tolower((unsigned char)*p);
    snprintf(nkey, sizeof nkey, "%s:%s", low, nonce);
    for (char *p = nkey; *p; p++) *p = (char)tolower((unsigned char)*p);

    int owner = !auth->owners_count || is_owner(auth, low);
    if (!owner && !auth->allow_viewers) return fail(out, 403, "Forbidden: not an owner");

    unsigned char tok[16];
    char token[33], hash[65];
    if (ami__random_bytes(tok, sizeof tok)) return fail(out, 500, "Internal server error");
    ami__hex_encode(tok, sizeof tok, token);
    ami__sha256_hex(token, 32, hash);
    int64_t expires = now + auth->ttl_ms;

    pthread_mutex_lock(&auth->lock);
    if (++auth->logins % 256 == 0 || json_object_size(auth->sessions) >= auth->max_sessions) purge(auth, now);
    if (json_object_get(auth->nonces, nkey)) {
        pthread_mutex_unlock(&auth->lock);
        return fail(out, 401, "Login nonce already used");
    }
    if (json_object_size(auth->sessions) >= auth->max_sessions && owner) {
        /* Owners are never locked out by a flood of viewer logins: drop a viewer session. */
        const char *k;
        json_t *sv;
        json_object_foreach(auth->sessions, k, sv) {
            if (json_integer_value(json_array_get(sv, 0)) == AMI_WEBFIX_ROLE_VIEWER) {
                json_object_del(auth->sessions, k);
                break;
            }
        }
    }
    if (json_object_size(auth->sessions) >= auth->max_sessions) {
        pthread_mutex_unlock(&auth->lock);
        return fail(out, 503, "Too many sessions");
    }
    /* A nonce must be remembered as long as its timestamp would still pass. */
    json_object_set_new(auth->nonces, nkey, json_integer(ts + auth->skew_ms + 1));
    json_object_set_new(auth->sessions, hash, json_pack("[iI]", owner ? AMI_WEBFIX_ROLE_OWNER : AMI_WEBFIX_ROLE_VIEWER,
                                                        (json_int_t)expires));
    pthread_mutex_unlock(&auth->lock);

    snprintf(msgbuf, sizeof msgbuf, "%s", owner ? "owner" : "viewer");
    *out = json_pack("{s:s,s:I,s:s}", "session", token, "expiresAt", (json_int_t)expires, "role", msgbuf);
    return *out ? 200 : fail(out, 500, "Internal server error");
}

ami_webfix_role ami__auth_role(ami__auth *auth, const char *token, int64_t now)
{
    if (!auth->owners_count) return AMI_WEBFIX_ROLE_OWNER;
    if (!token || !*token) return AMI_WEBFIX_ROLE_NONE;
    char hash[65];
    ami__sha256_hex(token, strlen(token), hash);
    ami_webfix_role role = AMI_WEBFIX_ROLE_NONE;
    pthread_mutex_lock(&auth->lock);
    json_t *s = json_object_get(auth->sessions, hash);
    if (s) {
        if (json_integer_value(json_array_get(s, 1)) > now)
            role = (ami_webfix_role)json_integer_value(json_array_get(s, 0));
        else
            json_object_del(auth->sessions, hash);
    }
    pthread_mutex_unlock(&auth->lock);
    return role;
}

int ami__auth_session(ami__auth *auth, const char *token, int64_t now, ami_webfix_role *role, int64_t *expires_at)
{
    *role = AMI_WEBFIX_ROLE_NONE;
    *expires_at = 0;
    if (!auth->owners_count) {
        *role = AMI_WEBFIX_ROLE_OWNER;
        return 0;
    }
    if (!token || !*token) return 0;
    char hash[65];
    ami__sha256_hex(token, strlen(token), hash);
    pthread_mutex_lock(&auth->lock);
    json_t *s = json_object_get(auth->sessions, hash);
    if (s && json_integer_value(json_array_get(s, 1)) > now) {
        *role = (ami_webfix_role)json_integer_value(json_array_get(s, 0));
        *expires_at = json_integer_value(json_array_get(s, 1));
    }
    pthread_mutex_unlock(&auth->lock);
    return 0;
}

int ami__auth_logout(ami__auth *auth, const char *token)
{
    if (!token || !*token) return 0;
    char hash[65];
    ami__sha256_hex(token, strlen(token), hash);
    pthread_mutex_lock(&auth->lock);
    int found = json_object_del(auth->sessions, hash) == 0;
    pthread_mutex_unlock(&auth->lock);
    return found;
}
