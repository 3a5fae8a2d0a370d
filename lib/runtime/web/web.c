/*
 * The natives of the web globals (lib/runtime/js/prelude_web.js): UTF-8
 * encoding and decoding, base64 (atob/btoa), crypto on OpenSSL (random
 * values, digests, HMAC), the monotonic clock, hostname, the environment
 * (only the names the node allows), and the per-instance web state.
 */
#define _GNU_SOURCE 1   /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include "runtime/internal.h"
#include "runtime/web/web.h"
#include "runtime/loop.h"
#include "core/core.h"
#include "util/util.h"

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int ami__web_new(ami__web **out, const ami_runtime_options *o)
{
    *out = NULL;
    ami__web *w = ami_malloc(sizeof *w);
    if (!w) return ami__error_oom();
    memset(w, 0, sizeof *w);
    int rc = ami__perms_new(&w->perms, o->allow_net, o->allow_listen, o->allow_env);
    if (rc) { ami_free(w); return rc; }
    if (o->ca_file && o->ca_file[0] && !(w->ca_file = ami__strdup(o->ca_file))) { ami__web_free(w); return ami__error_oom(); }
    w->timeout_ms = o->fetch_timeout_ms > 0 ? o->fetch_timeout_ms : AMI_RUNTIME_FETCH_TIMEOUT_DEFAULT_MS;
    w->body_max = o->fetch_body_max ? o->fetch_body_max : AMI_RUNTIME_FETCH_BODY_DEFAULT;
    w->fetch_max = o->fetch_max > 0 ? o->fetch_max : AMI_RUNTIME_FETCH_MAX_DEFAULT;
    w->sockets_max = o->sockets_max > 0 ? o->sockets_max : AMI_RUNTIME_SOCKETS_MAX_DEFAULT;
    w->mono0_ns = mono_ns();
    *out = w;
    return 0;
}

void ami__web_free(ami__web *w)
{
    if (!w) return;
    ami__perms_unref(w->perms);
    ami_free(w->ca_file);
    ami_free(w);
}

static ami_runtime *instance_of(duk_context *ctx)
{
    duk_memory_functions mf;
    duk_get_memory_functions(ctx, &mf);
    return mf.udata;
}

void ami__web_check_connect(duk_context *ctx, const ami__web *w, const char *api, const char *url,
                            const char *bad_url_error, int open, int max, const char *held, const char *limit_name)
{
    char msg[600];
    int is_type = 0;
    if (ami__perms_url(w->perms, url, msg, sizeof msg, &is_type))
        ami__runtime_throw(ctx, is_type ? bad_url_error : "PermissionDenied", "%s: %s", api, msg);
    if (open >= max) ami__runtime_throw(ctx, "RangeError", "%s: %d %s (the node's %s limit)", api, max, held, limit_name);
}

void ami__web_push_header_pairs(duk_context *ctx, const char *list, size_t size)
{
    duk_push_array(ctx);
    const char *p = list, *end = p ? p + size : NULL;
    duk_uarridx_t i = 0;
    char small[64];
    while (p && p < end) {
        size_t n = strlen(p);
        duk_push_array(ctx);
        char *low = n <= sizeof small ? small : duk_push_fixed_buffer(ctx, n);
        for (size_t k = 0; k < n; k++) low[k] = (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] + 32 : p[k]);
        if (low == small) duk_push_lstring(ctx, small, n);
        else duk_buffer_to_string(ctx, -1);
        duk_put_prop_index(ctx, -2, 0);
        p += n + 1;
        n = strlen(p);
        ami__utf8_push(ctx, (const unsigned char *)p, n, 0);
        duk_put_prop_index(ctx, -2, 1);
        duk_put_prop_index(ctx, -2, i++);
        p += n + 1;
    }
}

/* The bytes of a Uint8Array/ArrayBuffer/typed array/DataView (or plain buffer) argument. */
static const unsigned char *arg_bytes(duk_context *ctx, duk_idx_t idx, size_t *n)
{
    duk_size_t len = 0;
    void *p = duk_get_buffer_data(ctx, idx, &len);
    if (!p && !duk_is_buffer_data(ctx, idx)) ami__runtime_throw(ctx, "TypeError", "expected an ArrayBuffer or a typed array");
    *n = len;
    return p ? p : (const unsigned char *)"";
}

/* Push a new Uint8Array holding a copy of n bytes. */
static void push_u8(duk_context *ctx, const void *p, size_t n)
{
    void *d = duk_push_fixed_buffer(ctx, n);
    if (n) memcpy(d, p, n);
    duk_push_buffer_object(ctx, -1, 0, n, DUK_BUFOBJ_UINT8ARRAY);
    duk_remove(ctx, -2);
}

/* ---- UTF-8 ---- */

static size_t put_cp(unsigned char *o, unsigned c)
{
    if (c < 0x80) { o[0] = (unsigned char)c; return 1; }
    if (c < 0x800) { o[0] = (unsigned char)(0xC0 | (c >> 6)); o[1] = (unsigned char)(0x80 | (c & 0x3F)); return 2; }
    o[0] = (unsigned char)(0xE0 | (c >> 12));
    o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (c & 0x3F));
    return 3;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one (WHATWG: the
 * maximal invalid prefix is replaced by one U+FFFD; *bad gets its length). */
static size_t utf8_seq(const unsigned char *p, size_t n, unsigned *cp, size_t *bad)
{
    unsigned c = p[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xC2 && c <= 0xDF) { need = 1; c &= 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { need = 2; c &= 0x0F; if (p[0] == 0xE0) lo = 0xA0; if (p[0] == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { need = 3; c &= 0x07; if (p[0] == 0xF0) lo = 0x90; if (p[0] == 0xF4) hi = 0x8F; }
    else { *bad = 1; return 0; }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) { *bad = i; return 0; }
        lo = 0x80; hi = 0xBF;
        c = (c << 6) | (p[i] & 0x3F);
    }
    *cp = c;
    return need + 1;
}

int ami__utf8_push(duk_context *ctx, const unsigned char *p, size_t n, int fatal)
{
    /* fast path: ASCII only */
    size_t i = 0;
    while (i < n && p[i] < 0x80) i++;
    if (i == n) { duk_push_lstring(ctx, (const char *)p, n); return 0; }
    unsigned char *o = ami_malloc(n * 3 + 3);   /* each input byte gives at most 3 output bytes */
    if (!o) ami__runtime_throw(ctx, "RangeError", "out of memory");
    size_t k = 0;
    for (i = 0; i < n;) {
        unsigned cp;
        size_t bad = 0, len = utf8_seq(p + i, n - i, &cp, &bad);
        if (!len) {
            if (fatal) { ami_free(o); return -1; }
            k += put_cp(o + k, 0xFFFD);
            i += bad;
            continue;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            k += put_cp(o + k, 0xD800 + (cp >> 10));
            k += put_cp(o + k, 0xDC00 + (cp & 0x3FF));
        } else {
            k += put_cp(o + k, cp);
        }
        i += len;
    }
    duk_push_lstring(ctx, (const char *)o, k);   /* may throw: nothing else to free after this */
    ami_free(o);
    return 0;
}

/* W.utf8Encode(str) -> Uint8Array */
/* push the UTF-8 bytes (a Uint8Array) of the string at idx (W.utf8Encode; a Response's text body) */
static void push_utf8(duk_context *ctx, duk_idx_t idx)
{
    duk_size_t len;
    const char *s = duk_to_lstring(ctx, idx, &len);
    ami_buf tmp = AMI_BUF_INIT;
    const char *t;
    size_t n;
    if (ami__cesu8_to_utf8(s, len, &tmp, &t, &n)) { ami_buf_dispose(&tmp); ami__runtime_throw(ctx, "RangeError", "out of memory"); }
    void *d = duk_push_fixed_buffer(ctx, n);   /* may throw: copy first */
    if (n) memcpy(d, t, n);
    ami_buf_dispose(&tmp);
    duk_push_buffer_object(ctx, -1, 0, n, DUK_BUFOBJ_UINT8ARRAY);
    duk_remove(ctx, -2);
}

static duk_ret_t w_utf8_encode(duk_context *ctx)
{
    push_utf8(ctx, 0);
    return 1;
}

/* W.utf8Decode(bytes, fatal, ignoreBOM) -> string */
static duk_ret_t w_utf8_decode(duk_context *ctx)
{
    size_t n;
    const unsigned char *p = arg_bytes(ctx, 0, &n);
    int fatal = duk_to_boolean(ctx, 1), keep_bom = duk_to_boolean(ctx, 2);
    if (!keep_bom && n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) { p += 3; n -= 3; }
    if (ami__utf8_push(ctx, p, n, fatal)) ami__runtime_throw(ctx, "TypeError", "The encoded data was not valid UTF-8");
    return 1;
}

/* ---- base64 (forgiving-base64 of the HTML standard) ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* W.btoa(str) -> string, or null when a character is above U+00FF */
static duk_ret_t w_btoa(duk_context *ctx)
{
    duk_size_t len;
    const unsigned char *s = (const unsigned char *)duk_to_lstring(ctx, 0, &len);
    unsigned char *bytes = ami_malloc(len + 1);
    char *out = ami_malloc(len / 3 * 4 + 8 + (len / 3 + 1) * 4);
    if (!bytes || !out) { ami_free(bytes); ami_free(out); ami__runtime_throw(ctx, "RangeError", "out of memory"); }
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c < 0x80) i++;
        else if ((c & 0xE0) == 0xC0 && i + 1 < len) { c = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F); i += 2; }
        else { c = 0x100; }
        if (c > 0xFF) { ami_free(bytes); ami_free(out); duk_push_null(ctx); return 1; }
        bytes[n++] = (unsigned char)c;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)bytes[i] << 16 | (i + 1 < n ? (unsigned)bytes[i + 1] << 8 : 0) | (i + 2 < n ? bytes[i + 2] : 0);
        out[k++] = b64[v >> 18];
        out[k++] = b64[(v >> 12) & 63];
        out[k++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[k++] = i + 2 < n ? b64[v & 63] : '=';
    }
    ami_free(bytes);
    duk_push_lstring(ctx, out, k);   /* the only allocation that may throw: keep out until after */
    ami_free(out);
    return 1;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* W.atob(str) -> binary string, or null when it is not base64 */
static duk_ret_t w_atob(duk_context *ctx)
{
    duk_size_t len;
    const char *s = duk_to_lstring(ctx, 0, &len);
    char *clean = ami_malloc(len + 1);
    if (!clean) ami__runtime_throw(ctx, "RangeError", "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\f' && s[i] != '\r') clean[n++] = s[i];
    if (n % 4 == 0 && n && clean[n - 1] == '=') { n--; if (clean[n - 1] == '=') n--; }
    int ok = n % 4 != 1;
    for (size_t i = 0; ok && i < n; i++) ok = b64val((unsigned char)clean[i]) >= 0;
    if (!ok) { ami_free(clean); duk_push_null(ctx); return 1; }
    /* decoded bytes as a "binary string": each byte one character (U+0000..U+00FF) */
    unsigned char *out = ami_malloc(n * 2 + 4);
    if (!out) { ami_free(clean); ami__runtime_throw(ctx, "RangeError", "out of memory"); }
    size_t k = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 6) | (unsigned)b64val((unsigned char)clean[i]);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            k += put_cp(out + k, (acc >> bits) & 0xFF);
        }
    }
    ami_free(clean);
    duk_push_lstring(ctx, (const char *)out, k);
    ami_free(out);
    return 1;
}

/* ---- crypto ---- */

static const EVP_MD *digest_of(duk_context *ctx, duk_idx_t idx)
{
    const char *name = duk_to_string(ctx, idx);
    if (!strcmp(name, "SHA-1")) return EVP_sha1();
    if (!strcmp(name, "SHA-256")) return EVP_sha256();
    if (!strcmp(name, "SHA-384")) return EVP_sha384();
    if (!strcmp(name, "SHA-512")) return EVP_sha512();
    ami__runtime_throw(ctx, "NotSupportedError", "Unrecognized algorithm name: %s", name);
}

/* W.digest(name, bytes) -> Uint8Array */
static duk_ret_t w_digest(duk_context *ctx)
{
    const EVP_MD *md = digest_of(ctx, 0);
    size_t n;
    const unsigned char *p = arg_bytes(ctx, 1, &n);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int olen = 0;
    if (!EVP_Digest(p, n, out, &olen, md, NULL)) ami__runtime_throw(ctx, "OperationError", "digest failed");
    push_u8(ctx, out, olen);
    return 1;
}

/* W.hmac(name, key, bytes) -> Uint8Array */
static duk_ret_t w_hmac(duk_context *ctx)
{
    const EVP_MD *md = digest_of(ctx, 0);
    size_t kn, n;
    const unsigned char *k = arg_bytes(ctx, 1, &kn);
    const unsigned char *p = arg_bytes(ctx, 2, &n);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int olen = 0;
    if (!HMAC(md, kn ? k : (const unsigned char *)"", (int)kn, p, n, out, &olen))
        ami__runtime_throw(ctx, "OperationError", "HMAC failed");
    push_u8(ctx, out, olen);
    return 1;
}

/* ---- HTTP syntax checks on the hot paths of fetch, Request/Response and Headers
 * (in C: Duktape's regular expressions cost microseconds a call) ---- */

static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* W.hname(str) -> the lowercase name when str is an HTTP token (a header name, a method), else null */
/* push the header name s[0..n) in lowercase; -1 (nothing pushed) when it is not a token */
static int push_hname(duk_context *ctx, duk_idx_t idx)
{
    duk_size_t n;
    const char *s = duk_require_lstring(ctx, idx, &n);
    int upper = 0;
    for (duk_size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_tchar(c)) return -1;
        if (c >= 'A' && c <= 'Z') upper = 1;
    }
    if (!n) return -1;
    if (!upper) duk_dup(ctx, idx);
    else {
        char *low = duk_push_fixed_buffer(ctx, n);
        for (duk_size_t i = 0; i < n; i++) low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
        duk_buffer_to_string(ctx, -1);
    }
    return 0;
}

static duk_ret_t w_hname(duk_context *ctx)
{
    if (push_hname(ctx, 0)) duk_push_null(ctx);
    return 1;
}

static int is_http_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* push the header value at idx without leading and trailing HTTP whitespace; -1 (nothing
 * pushed) when it holds NUL, CR or LF */
static int push_hvalue(duk_context *ctx, duk_idx_t idx)
{
    duk_size_t n;
    const char *s = duk_require_lstring(ctx, idx, &n);
    size_t a = 0, b = n;
    while (a < b && is_http_ws(s[a])) a++;
    while (b > a && is_http_ws(s[b - 1])) b--;
    if (memchr(s + a, 0, b - a) || memchr(s + a, '\n', b - a) || memchr(s + a, '\r', b - a)) return -1;
    if (a == 0 && b == n) duk_dup(ctx, idx);
    else duk_push_lstring(ctx, s + a, b - a);
    return 0;
}

/* W.hvalue(str) -> str without leading and trailing HTTP whitespace, or null when it holds NUL, CR or LF */
static duk_ret_t w_hvalue(duk_context *ctx)
{
    if (push_hvalue(ctx, 0)) duk_push_null(ctx);
    return 1;
}

/* W.href(str) -> str when it is an absolute http(s) URL already in the WHATWG normal form (lowercase
 * host, no default port, no dot segments, only characters that need no escaping, no fragment): then
 * it is its own href; else null (the prelude parses it with URL) */
int ami__web_href_normal(const char *s, size_t n)
{
    const char *e = s + n, *p;
    if (n > 8 && !memcmp(s, "https://", 8)) p = s + 8;
    else if (n > 7 && !memcmp(s, "http://", 7)) p = s + 7;
    else goto no;
    const char *h = p;
    while (p < e && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-')) p++;
    if (p == h) goto no;
    if (p < e && *p == ':') {
        const char *d = ++p;
        while (p < e && *p >= '0' && *p <= '9') p++;
        if (p == d || p - d > 5) goto no;
    }
    if (p >= e || *p != '/') goto no;
    for (const char *q = p; q < e; q++) {
        unsigned char c = (unsigned char)*q;
        if (!c || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || strchr("-._~!$&'()*+,;=:@/?%", c)))
            goto no;
    }
    /* dot segments and default ports (or look-alikes anywhere: URL decides) */
    if (memmem(s, n, "/.", 2) || memmem(s, n, ":80/", 4) || memmem(s, n, ":443/", 5)) goto no;
    return 1;
no:
    return 0;
}

static duk_ret_t w_href(duk_context *ctx)
{
    duk_size_t n;
    const char *s = duk_require_lstring(ctx, 0, &n);
    if (ami__web_href_normal(s, n)) duk_dup(ctx, 0);
    else duk_push_null(ctx);
    return 1;
}

/* W.hide(obj, key, value): a writable, configurable, non-enumerable own property, as
 * Object.defineProperty would make it but without a descriptor object (the hidden state
 * of every Headers, Request and Response) */
static duk_ret_t w_hide(duk_context *ctx)
{
    duk_require_object(ctx, 0);
    duk_def_prop(ctx, 0, DUK_DEFPROP_HAVE_VALUE | DUK_DEFPROP_SET_WRITABLE | DUK_DEFPROP_SET_CONFIGURABLE |
                 DUK_DEFPROP_CLEAR_ENUMERABLE);
    return 0;
}

void ami__web_keys(duk_context *ctx, ami__web *w)
{
    if (w->keys_made) return;
    static const char *const resp[9] = { "status", "statusText", "headers", "hlist", "type", "url", "redirected", "body", "used" };
    static const char *const req[8] = { "url", "method", "headers", "hraw", "redirect", "body", "used", "signal" };
    static const char *const addr[3] = { "transport", "hostname", "port" };
    struct { void **dst; const char *const *names; int n; } sets[] = {
        { w->key_resp, resp, 9 }, { w->key_req, req, 8 }, { w->key_addr, addr, 3 }
    };
    static const char *const one_names[] = { "_s", "remoteAddr" };
    void **one[] = { w->key_s, w->key_info };
    duk_push_global_stash(ctx);
    duk_push_array(ctx);   /* keeps them alive */
    duk_uarridx_t k = 0;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        for (int j = 0; j < sets[i].n; j++) {
            duk_push_string(ctx, sets[i].names[j]);
            sets[i].dst[j] = duk_get_heapptr(ctx, -1);
            duk_put_prop_index(ctx, -2, k++);
        }
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        duk_push_string(ctx, one_names[i]);
        one[i][0] = duk_get_heapptr(ctx, -1);
        duk_put_prop_index(ctx, -2, k++);
    }
    duk_put_prop_string(ctx, -2, "webkeys");
    duk_pop(ctx);
    w->keys_made = 1;
}

/* W.responseInit(response, body, status, statusText, headers) -> boolean: the Response
 * constructor's common case in C — no body or a string, an integer status in range (or
 * none), a statusText of tab, space and visible ASCII (or none), headers absent or a plain record of string values
 * (ami__duk_record_pairs) — gives the response its state (the prelude's _s record:
 * the checked [name, value] list as hlist, the body's UTF-8 bytes, text/plain unless the
 * headers name a content-type) and returns true; anything else (including what must
 * throw) returns false with nothing done: the prelude then takes its own path, which
 * makes the same record.  About 20,000 instructions in the prelude, 4,000 here. */
static duk_ret_t w_response_init(duk_context *ctx)
{
    ami__web *w = instance_of(ctx)->web;
    duk_set_top(ctx, 5);
    duk_push_false(ctx);   /* 5: the answer when not handled */
    if (!duk_is_object(ctx, 0)) return 1;
    double st = 200;
    if (!duk_is_undefined(ctx, 2)) {
        if (!duk_is_number(ctx, 2)) return 1;
        st = duk_get_number(ctx, 2);
        if (!(st >= 200 && st <= 599) || (double)(int)st != st) return 1;
    }
    if (!duk_is_undefined(ctx, 3)) {   /* a reason-phrase of plain ASCII here; the prelude checks the rest */
        if (!duk_is_string(ctx, 3)) return 1;
        duk_size_t tn;
        const unsigned char *t = (const unsigned char *)duk_get_lstring(ctx, 3, &tn);
        for (duk_size_t i = 0; i < tn; i++)
            if (t[i] != '\t' && (t[i] < 0x20 || t[i] > 0x7e)) return 1;
    }
    int has_body = !duk_is_null_or_undefined(ctx, 1);
    if (has_body && (!duk_is_string(ctx, 1) || st == 204 || st == 205 || st == 304)) return 1;
    int n = 0;
    if (!duk_is_null_or_undefined(ctx, 4) && (n = ami__duk_record_pairs(ctx, 4)) < 0) return 1;
    ami__web_keys(ctx, w);
    duk_idx_t pairs = 6;
    int typed = 0;
    for (int i = 0; i < n; i++) {   /* each pair in place: [name, value] (duk_pack: no property call per item) */
        duk_idx_t k = pairs + i;
        if (!duk_is_string(ctx, k + 1)) { duk_set_top(ctx, 6); return 1; }
        if (push_hname(ctx, k)) { duk_set_top(ctx, 6); return 1; }
        if (!typed) {
            duk_size_t ln;
            const char *l = duk_get_lstring(ctx, -1, &ln);
            typed = ln == 12 && !memcmp(l, "content-type", 12);
        }
        if (push_hvalue(ctx, k + 1)) { duk_set_top(ctx, 6); return 1; }
        ami__duk_pack(ctx, 2);
        duk_replace(ctx, k);
        duk_remove(ctx, k + 1);
    }
    if (has_body && !typed) {
        duk_push_string(ctx, "content-type");
        duk_push_string(ctx, "text/plain;charset=UTF-8");
        ami__duk_pack(ctx, 2);
        n++;
    }
    ami__duk_pack(ctx, n);
    duk_idx_t list = pairs;
    /* the record: status statusText headers hlist type url redirected body used */
    duk_push_heapptr(ctx, w->key_s[0]);
    duk_push_number(ctx, st);
    if (duk_is_undefined(ctx, 3)) duk_push_string(ctx, "");
    else duk_dup(ctx, 3);
    duk_push_undefined(ctx);
    duk_dup(ctx, list);
    duk_push_string(ctx, "default");
    duk_push_string(ctx, "");
    duk_push_false(ctx);
    if (has_body) push_utf8(ctx, 1);
    else duk_push_null(ctx);
    duk_push_false(ctx);
    ami__duk_push_record(ctx, NULL, w->key_resp, 9, 0);
    duk_def_prop(ctx, 0, DUK_DEFPROP_HAVE_VALUE | DUK_DEFPROP_SET_WRITABLE | DUK_DEFPROP_SET_CONFIGURABLE |
                 DUK_DEFPROP_CLEAR_ENUMERABLE);
    duk_push_true(ctx);
    return 1;
}

/* W.equal(a, b) -> boolean, in constant time for equal lengths */
static duk_ret_t w_equal(duk_context *ctx)
{
    size_t an, bn;
    const unsigned char *a = arg_bytes(ctx, 0, &an), *b = arg_bytes(ctx, 1, &bn);
    duk_push_boolean(ctx, an == bn && CRYPTO_memcmp(a, b, an) == 0);
    return 1;
}

/* W.random(typedArray): fill in place */
static duk_ret_t w_random(duk_context *ctx)
{
    size_t n;
    unsigned char *p = (unsigned char *)arg_bytes(ctx, 0, &n);
    if (n && ami__random_bytes(p, n)) ami__runtime_throw(ctx, "OperationError", "no random bytes: %s", ami_error_last());
    return 0;
}

/* W.uuid() -> a random UUID v4 */
static duk_ret_t w_uuid(duk_context *ctx)
{
    char u[37];
    if (ami__uuid4(u)) ami__runtime_throw(ctx, "OperationError", "no random bytes: %s", ami_error_last());
    duk_push_string(ctx, u);
    return 1;
}

/* ---- clocks, host, environment ---- */

/* W.now() -> milliseconds (fractional) since the instance was made */
static duk_ret_t w_now(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    r->ops[AMI__OP_NOW]++;
    duk_push_number(ctx, (double)(mono_ns() - r->web->mono0_ns) / 1e6);
    return 1;
}

/* W.hostname() */
static duk_ret_t w_hostname(duk_context *ctx)
{
    char h[256] = "";
    if (gethostname(h, sizeof h - 1) != 0) h[0] = '\0';
    h[sizeof h - 1] = '\0';
    duk_push_string(ctx, h);
    return 1;
}

/* W.env(name) -> string | undefined; throws PermissionDenied unless allow_env names it */
static duk_ret_t w_env(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    const char *name = duk_require_string(ctx, 0);
    if (!ami__perms_env(r->web->perms, name))
        ami__runtime_throw(ctx, "PermissionDenied", "Requires env access to \"%s\"; the node allows it with allow_env=%s",
                           name, name);
    const char *v = getenv(name);
    if (v) duk_push_string(ctx, v); else duk_push_undefined(ctx);
    return 1;
}

/* W.exit(code): end this run (an uncatchable stop for this run only) */
static duk_ret_t w_exit(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    int code = duk_get_int_default(ctx, 0, 0);
    ami__runtime_host_enter(ctx, r);   /* a stop already under way wins */
    /* the error is made before the abort is marked (which refuses allocations) */
    duk_push_error_object(ctx, DUK_ERR_ERROR, "Deno.exit(%d)", code);
    duk_push_string(ctx, "Exit");
    duk_put_prop_string(ctx, -2, "name");
    r->exit_code = code;
    r->abort = AMI__ABORT_EXIT;   /* sticky: a catch in the script cannot swallow it */
    return duk_throw(ctx);
}

/* ---- the stop hook: Deno.addSignalListener ---- */

/* W.onSignal(fn): fn(sig, graceful_ms) is the prelude's dispatcher (kept in the stash) */
static duk_ret_t w_on_signal(duk_context *ctx)
{
    duk_require_function(ctx, 0);
    duk_push_global_stash(ctx);
    duk_dup(ctx, 0);
    duk_put_prop_string(ctx, -2, "signal");
    return 0;
}

typedef struct { char sig[16]; int graceful_ms; } signal_task;

static void task_signal(duk_context *ctx, void *data)
{
    signal_task t = *(signal_task *)data;
    ami_free(data);
    duk_push_global_stash(ctx);
    if (!duk_get_prop_string(ctx, -1, "signal")) { duk_pop_2(ctx); return; }   /* no listener was ever added */
    duk_push_string(ctx, t.sig);
    duk_push_int(ctx, t.graceful_ms);
    duk_call(ctx, 2);
    duk_pop_2(ctx);
}

int ami__runtime_signal(ami_runtime *r, const char *sig, int graceful_ms)
{
    signal_task *t = ami_malloc(sizeof *t);
    if (!t) return ami__error_oom();
    snprintf(t->sig, sizeof t->sig, "%s", sig);
    t->graceful_ms = graceful_ms;
    return ami__loop_post(r, task_signal, ami_free, t);
}

int ami__runtime_has_stop_hook(ami_runtime *r)
{
    if (!r || !r->web) return 0;
    duk_push_global_stash(r->ctx);
    int has = duk_has_prop_string(r->ctx, -1, "signal");
    duk_pop(r->ctx);
    return has;
}

duk_ret_t ami__web_host(duk_context *ctx)
{
    static const duk_function_list_entry fns[] = {
        { "utf8Encode", w_utf8_encode, 1 },
        { "utf8Decode", w_utf8_decode, 3 },
        { "btoa", w_btoa, 1 },
        { "atob", w_atob, 1 },
        { "digest", w_digest, 2 },
        { "hmac", w_hmac, 3 },
        { "equal", w_equal, 2 },
        { "hname", w_hname, 1 },
        { "hide", w_hide, 3 },
        { "responseInit", w_response_init, 5 },
        { "hvalue", w_hvalue, 1 },
        { "href", w_href, 1 },
        { "random", w_random, 1 },
        { "uuid", w_uuid, 0 },
        { "now", w_now, 0 },
        { "hostname", w_hostname, 0 },
        { "env", w_env, 1 },
        { "exit", w_exit, 1 },
        { "onSignal", w_on_signal, 1 },
        { "fetch", ami__web_fetch, 6 },
        { "fetchAbort", ami__web_fetch_abort, 1 },
        { "fetchDone", ami__web_fetch_done, 1 },
        { "headerPairs", ami__web_header_pairs, 1 },
        { "serve", ami__web_serve, 5 },
        { "serveClose", ami__web_serve_close, 1 },
        { "serveRespond", ami__web_serve_respond, 2 },
        { "serveFail", ami__web_serve_fail, 1 },
        { "wsOpen", ami__web_ws_open, 3 },
        { "wsSend", ami__web_ws_send, 3 },
        { "wsClose", ami__web_ws_close, 3 },
        { NULL, NULL, 0 }
    };
    duk_push_object(ctx);
    for (int i = 0; fns[i].key; i++) {
        duk_push_c_lightfunc(ctx, fns[i].value, fns[i].nargs, fns[i].nargs, 0);
        duk_put_prop_string(ctx, -2, fns[i].key);
    }
    return 1;
}
