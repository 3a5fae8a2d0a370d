/*
 * The process-wide HTTP client service behind fetch(): one thread driving a
 * libcurl multi handle.  It never touches a Duktape heap: a finished request
 * is handed to its done() callback on this thread (the runtime posts it into
 * the owning instance's loop).  Redirects are followed here, hop by hop, so
 * each hop's URL is checked against the instance's allow_net first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <curl/curl.h>
#include "runtime/web/http.h"
#include "core/core.h"
#include "util/util.h"

#define MAX_HOPS 20

static pthread_once_t svc_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t svc_mu = PTHREAD_MUTEX_INITIALIZER;
static CURLM *svc_multi;
static int svc_ok;
static ami__http_req *svc_incoming;   /* submitted, not yet added (under svc_mu) */
static ami__http_req *svc_active;     /* added to the multi handle (service thread only) */
static CURL *svc_idle[64];            /* finished easy handles kept for reuse (service thread only) */
static int svc_nidle;

void ami__http_req_unref(ami__http_req *r)
{
    if (!r || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    if (r->easy) curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    ami_free(r->method);
    ami_free(r->url);
    ami_free(r->body);
    ami_free(r->ca_file);
    ami_free(r->status_text);
    ami_free(r->final_url);
    ami_buf_dispose(&r->resp_headers);
    ami_buf_dispose(&r->resp_body);
    ami__perms_unref(r->perms);
    pthread_mutex_destroy(&r->mu);
    ami_free(r);
}

ami__http_req *ami__http_req_new(void)
{
    ami__http_req *r = ami_malloc(sizeof *r);
    if (!r) return NULL;
    memset(r, 0, sizeof *r);
    r->refs = 1;
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

static void *service_main(void *arg);

static void service_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return;
    svc_multi = curl_multi_init();
    if (!svc_multi) return;
    curl_multi_setopt(svc_multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 256L);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, service_main, NULL) == 0) svc_ok = 1;
    pthread_attr_destroy(&attr);
}

/* ---- the easy handle of one hop ---- */

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    ami__http_req *r = ud;
    size_t len = size * n;
    if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
        /* a new response (1xx interim, or after a redirect): start over */
        ami_buf_clear(&r->resp_headers);
        const char *sp = memchr(p, ' ', len);
        const char *sp2 = sp ? memchr(sp + 1, ' ', len - (size_t)(sp + 1 - p)) : NULL;
        ami_free(r->status_text);
        r->status_text = NULL;
        if (sp2) {
            const char *t = sp2 + 1, *e = t;
            while (e < p + len && *e != '\r' && *e != '\n') e++;
            r->status_text = ami__strndup(t, (size_t)(e - t));
        }
        return len;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon) return len;
    size_t nl = (size_t)(colon - p);
    const char *v = colon + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t')) end--;
    if (r->resp_headers.size + nl + (size_t)(end - v) > 256 * 1024) return 0;   /* absurd headers: fail */
    ami_buf_put(&r->resp_headers, p, nl);
    ami_buf_put(&r->resp_headers, "", 1);
    ami_buf_put(&r->resp_headers, v, (size_t)(end - v));
    ami_buf_put(&r->resp_headers, "", 1);
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    ami__http_req *r = ud;
    size_t len = size * n;
    if (__atomic_load_n(&r->cancelled, __ATOMIC_ACQUIRE)) return 0;
    if (r->resp_body.size + len > r->body_max) { r->too_large = 1; return 0; }
    if (ami_buf_put(&r->resp_body, p, len)) return 0;
    return len;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    ami__http_req *r = ud;
    (void)a; (void)b; (void)c; (void)d;
    return __atomic_load_n(&r->cancelled, __ATOMIC_ACQUIRE) ? 1 : 0;
}

static int setup_easy(ami__http_req *r)
{
    if (!r->easy && svc_nidle) r->easy = svc_idle[--svc_nidle];
    if (!r->easy && !(r->easy = curl_easy_init())) return -1;
    CURL *e = r->easy;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, r);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");   /* gzip/deflate/br as libcurl supports */
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "libami-fetch/1");
    int64_t left = r->deadline - ami_time_mono_ms();
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(left > 1 ? left : 1));
    if (r->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
    if (r->ca_file) curl_easy_setopt(e, CURLOPT_CAPATH, "/etc/ssl/certs");
    const char *m = r->method;
    if (!strcmp(m, "GET")) curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    else if (!strcmp(m, "HEAD")) curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
        if (r->body || (strcmp(m, "DELETE") && strcmp(m, "OPTIONS"))) {
            curl_easy_setopt(e, CURLOPT_POST, 1L);
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? (const char *)r->body : "");
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        }
    }
    ami_buf_clear(&r->resp_headers);
    ami_buf_clear(&r->resp_body);
    return 0;
}

/* ---- completion ---- */

static void finish(ami__http_req *r)
{
    curl_multi_remove_handle(svc_multi, r->easy);
    for (ami__http_req **pp = &svc_active; *pp; pp = &(*pp)->next)
        if (*pp == r) { *pp = r->next; break; }
    r->next = NULL;
    /* the easy handle goes back to the pool (its connection stays in the multi handle's cache) */
    if (r->easy && svc_nidle < (int)(sizeof svc_idle / sizeof svc_idle[0])) {
        if (!r->err_name && !r->final_url) {
            char *eff = NULL;
            curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
            r->final_url = ami__strdup(eff ? eff : r->url);
        }
        svc_idle[svc_nidle++] = r->easy;
        r->easy = NULL;
    }
    pthread_mutex_lock(&r->mu);
    if (r->done) r->done(r);
    r->done = NULL;
    pthread_mutex_unlock(&r->mu);
    ami__http_req_unref(r);   /* the service's reference */
}

static void fail(ami__http_req *r, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(ami__http_req *r, const char *name, const char *fmt, ...)
{
    r->err_name = name;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err_msg, sizeof r->err_msg, fmt, ap);
    va_end(ap);
}

static const char *header_value(ami__http_req *r, const char *name)
{
    const char *p = r->resp_headers.ptr, *end = p ? p + r->resp_headers.size : NULL;
    while (p && p < end) {
        const char *v = p + strlen(p) + 1;
        if (!strcasecmp(p, name)) return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

/* 1 when the request went on to its next hop (the handle was re-added). */
static int next_hop(ami__http_req *r, long status)
{
    if (r->redirect_mode == AMI__REDIRECT_MANUAL) return 0;
    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) return 0;
    const char *loc = header_value(r, "location");
    if (!loc) return 0;
    if (r->redirect_mode == AMI__REDIRECT_ERROR) {
        fail(r, "TypeError", "fetch: %s redirected (status %ld) and the request's redirect mode is \"error\"", r->url, status);
        return 0;
    }
    if (++r->hops > MAX_HOPS) { fail(r, "TypeError", "fetch: too many redirects (over %d) from %s", MAX_HOPS, r->url); return 0; }
    char *next = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_REDIRECT_URL, &next);
    if (!next) { fail(r, "TypeError", "fetch: bad Location \"%.200s\" in a redirect from %s", loc, r->url); return 0; }
    char msg[400];
    int is_type = 0;
    if (ami__perms_url(r->perms, next, msg, sizeof msg, &is_type)) {
        fail(r, is_type ? "TypeError" : "PermissionDenied", "fetch: redirect to %.300s: %s", next, msg);
        return 0;
    }
    char *copy = ami__strdup(next);
    if (!copy) { fail(r, "TypeError", "fetch: out of memory"); return 0; }
    ami_free(r->url);
    r->url = copy;
    r->redirected = 1;
    if (status == 303 ? strcmp(r->method, "HEAD") : (status <= 302 && !strcmp(r->method, "POST"))) {
        char *get = ami__strdup("GET");
        if (get) { ami_free(r->method); r->method = get; }
        ami_free(r->body);
        r->body = NULL;
        r->body_len = 0;
        /* the body's headers go with it */
        struct curl_slist *kept = NULL;
        for (struct curl_slist *h = r->headers; h; h = h->next)
            if (strncasecmp(h->data, "content-type:", 13) && strncasecmp(h->data, "content-length:", 15))
                kept = curl_slist_append(kept, h->data);
        curl_slist_free_all(r->headers);
        r->headers = kept;
    }
    curl_multi_remove_handle(svc_multi, r->easy);
    if (setup_easy(r) || curl_multi_add_handle(svc_multi, r->easy) != CURLM_OK) {
        fail(r, "TypeError", "fetch: cannot start the request");
        return 0;
    }
    return 1;
}

static void on_done(ami__http_req *r, CURLcode cc)
{
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (__atomic_load_n(&r->cancelled, __ATOMIC_ACQUIRE)) {
        fail(r, "AbortError", "The signal has been aborted");
    } else if (r->too_large) {
        fail(r, "ResponseTooLarge", "fetch: the response body of %s is over the limit of %zu bytes (fetch_body_max)",
             r->url, r->body_max);
    } else if (cc != CURLE_OK) {
        switch (cc) {
        case CURLE_OPERATION_TIMEDOUT:
            fail(r, "RequestTimeout", "fetch: %s timed out after %ld ms", r->url, r->timeout_ms);
            break;
        case CURLE_COULDNT_CONNECT:
            fail(r, "ConnectionRefused", "fetch: cannot connect to %s (ECONNREFUSED or unreachable)", r->url);
            break;
        case CURLE_COULDNT_RESOLVE_HOST:
            fail(r, "NetworkError", "fetch: cannot resolve the host of %s", r->url);
            break;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
            fail(r, "NetworkError", "fetch: %s: TLS certificate verification failed (%s)", r->url, curl_easy_strerror(cc));
            break;
        case CURLE_UNSUPPORTED_PROTOCOL:
            fail(r, "TypeError", "fetch: unsupported scheme in %s (only http and https)", r->url);
            break;
        default:
            fail(r, "NetworkError", "fetch: %s: %s", r->url, curl_easy_strerror(cc));
        }
    } else if (next_hop(r, status)) {
        return;
    }
    r->status = (int)status;
    if (!r->err_name) {
        char *eff = NULL;
        curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
        r->final_url = ami__strdup(eff ? eff : r->url);
    }
    finish(r);
}

static void *service_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&svc_mu);
        ami__http_req *in = svc_incoming;
        svc_incoming = NULL;
        pthread_mutex_unlock(&svc_mu);
        while (in) {
            ami__http_req *r = in;
            in = in->next;
            r->next = svc_active;
            svc_active = r;
            if (setup_easy(r) || curl_multi_add_handle(svc_multi, r->easy) != CURLM_OK) {
                fail(r, "TypeError", "fetch: cannot start the request");
                finish(r);
            }
        }
        /* cancelled requests end now, without waiting for their next byte */
        for (ami__http_req *r = svc_active, *next; r; r = next) {
            next = r->next;
            if (__atomic_load_n(&r->cancelled, __ATOMIC_ACQUIRE)) on_done(r, CURLE_ABORTED_BY_CALLBACK);
        }
        int running = 0;
        curl_multi_perform(svc_multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(svc_multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            ami__http_req *r = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            if (r) on_done(r, msg->data.result);
        }
        curl_multi_poll(svc_multi, NULL, 0, 1000, NULL);
    }
    return NULL;
}

int ami__http_submit(ami__http_req *r)
{
    pthread_once(&svc_once, service_init);
    if (!svc_ok) return ami__error_set(AMI_ERROR, "fetch: the HTTP client service could not start");
    r->deadline = ami_time_mono_ms() + r->timeout_ms;
    __atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);   /* the service's reference */
    pthread_mutex_lock(&svc_mu);
    r->next = svc_incoming;
    svc_incoming = r;
    pthread_mutex_unlock(&svc_mu);
    curl_multi_wakeup(svc_multi);
    return 0;
}

void ami__http_cancel(ami__http_req *r)
{
    __atomic_store_n(&r->cancelled, 1, __ATOMIC_RELEASE);
    if (svc_multi) curl_multi_wakeup(svc_multi);
}
