/*
 * The HTTP client behind fetch(): per instance, one libcurl multi handle
 * driven on the instance's own thread through the socket interface, as an
 * I/O source of its loop (loop.h, loop_io.c).  A request is sent from the
 * thread that calls fetch() and its response is read there too: no service
 * thread in between.  The multi handle keeps the connections alive between
 * the requests of a run (and of the handlers a server serves after it); it
 * is closed, with its connections, when a run ends with nothing in flight,
 * and with the loop's resources (stop, reload, free).  Redirects are followed
 * here, hop by hop, so each hop's URL is checked against allow_net first.
 */
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <curl/curl.h>
#include "runtime/internal.h"
#include "runtime/loop.h"
#include "runtime/web/http.h"
#include "core/core.h"
#include "util/util.h"

#define MAX_HOPS 20

typedef struct ami__http_client {
    ami__io_source io;          /* the loop's I/O source */
    ami__resource res;          /* the loop's resource: closed on stop, reload, free */
    ami_runtime *inst;
    CURLM *multi;
    struct pollfd *socks;       /* curl's sockets and what it waits for (CURLMOPT_SOCKETFUNCTION) */
    int nsocks, cap;
    struct pollfd *ready;       /* scratch for a non-blocking poll of socks */
    int rcap;
    int64_t due;                /* curl's timer (monotonic ms), -1 none */
    ami__http_req *active;      /* added to the multi handle */
    int nactive;
    CURL *idle[8];              /* finished easy handles kept for reuse */
    int idle_plain[8];          /* ...and whether their last request was a plain GET */
    int nidle;
    struct curl_slist *defaults;   /* the header lines of a request that sets none (r->headers NULL) */
    ami_buf spare_headers, spare_body;   /* response buffers of a delivered request, for the next one */
} ami__http_client;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void curl_init_once(void) { curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }

void ami__http_req_unref(ami__http_req *r)
{
    if (!r || --r->refs > 0) return;
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
    ami_free(r);
}

ami__http_req *ami__http_req_new(void)
{
    ami__http_req *r = ami_malloc(sizeof *r);
    if (!r) return NULL;
    memset(r, 0, sizeof *r);
    r->refs = 1;
    return r;
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
    if (r->resp_body.size + len > r->body_max) { r->too_large = 1; return 0; }
    if (ami_buf_put(&r->resp_body, p, len)) return 0;
    return len;
}


static int setup_easy(ami__http_req *r)
{
    ami__http_client *c = r->client;
    int was_plain = r->easy_plain;
    if (!r->easy && c->nidle) {
        r->easy = c->idle[--c->nidle];
        was_plain = c->idle_plain[c->nidle];
    }
    if (!r->easy) {
        if (!(r->easy = curl_easy_init())) return -1;
        was_plain = 1;
    }
    CURL *e = r->easy;
    /* A plain GET (no CA file) sets every option a plain GET before it set:
     * no reset then (a reset frees buffers the next transfer allocates again,
     * which costs a malloc_consolidate of the fragments the heap left). */
    r->easy_plain = !strcmp(r->method, "GET") && !r->ca_file;
    if (!(was_plain && r->easy_plain)) curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");   /* gzip/deflate/br as libcurl supports */
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers ? r->headers : c->defaults);
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
    ami__http_client *c = r->client;
    curl_multi_remove_handle(c->multi, r->easy);
    for (ami__http_req **pp = &c->active; *pp; pp = &(*pp)->next)
        if (*pp == r) { *pp = r->next; c->nactive--; break; }
    r->next = NULL;
    r->client = NULL;
    /* the easy handle goes back to the client (its connection stays in the multi handle's cache) */
    if (r->easy && c->nidle < (int)(sizeof c->idle / sizeof c->idle[0])) {
        c->idle_plain[c->nidle] = r->easy_plain;
        c->idle[c->nidle++] = r->easy;
        r->easy = NULL;
    }
    if (r->done) r->done(r);
    r->done = NULL;
    ami__http_req_unref(r);   /* the client's reference */
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
    curl_multi_remove_handle(r->client->multi, r->easy);
    if (setup_easy(r) || curl_multi_add_handle(r->client->multi, r->easy) != CURLM_OK) {
        fail(r, "TypeError", "fetch: cannot start the request");
        return 0;
    }
    return 1;
}

static void on_done(ami__http_req *r, CURLcode cc)
{
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (r->too_large) {
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
        /* the URL libcurl ended at, when it is not the one asked for (no copy in the common case) */
        char *eff = NULL;
        curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
        if (eff && strcmp(eff, r->url)) r->final_url = ami__strdup(eff);
    }
    finish(r);
}

/* Hand the finished transfers to their requests. */
static void drain(ami__http_client *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        ami__http_req *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r) on_done(r, msg->data.result);
    }
}

/* ---- the loop's I/O source ---- */

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    ami__http_client *c = userp;
    (void)e;
    (void)socketp;
    int i = 0;
    while (i < c->nsocks && c->socks[i].fd != s) i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < c->nsocks) c->socks[i] = c->socks[--c->nsocks];
        return 0;
    }
    if (i == c->nsocks) {
        if (c->nsocks == c->cap) {
            int cap = c->cap ? c->cap * 2 : 4;
            struct pollfd *p = realloc(c->socks, (size_t)cap * sizeof *p);
            if (!p) return -1;
            c->socks = p;
            c->cap = cap;
        }
        c->socks[c->nsocks++].fd = s;
    }
    c->socks[i].events = (short)((what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0));
    c->socks[i].revents = 0;
    return 0;
}

static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
    ami__http_client *c = userp;
    (void)m;
    c->due = timeout_ms < 0 ? -1 : ami_time_mono_ms() + timeout_ms;
    return 0;
}

static int io_fds(ami__io_source *s, struct pollfd *pfd, int max, int64_t *due)
{
    ami__http_client *c = (ami__http_client *)s;
    if (c->due >= 0 && (*due < 0 || c->due < *due)) *due = c->due;
    if (c->nsocks && c->nsocks <= max) memcpy(pfd, c->socks, (size_t)c->nsocks * sizeof *pfd);
    return c->nsocks;
}

static void kick_timeout(ami__http_client *c)
{
    int running = 0;
    c->due = -1;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

static void io_run(ami__io_source *s)
{
    ami__http_client *c = (ami__http_client *)s;
    int np = 0;
    const struct pollfd *polled = ami__loop_io_polled(c->inst, s, &np);
    if (c->nsocks || (polled && np)) {
        /* a copy: curl changes its socket list while it acts */
        int want = polled ? np : c->nsocks;
        if (c->rcap < want) {
            struct pollfd *p = realloc(c->ready, (size_t)want * sizeof *p);
            if (p) { c->ready = p; c->rcap = want; }
        }
        int n = want <= c->rcap ? want : c->rcap;
        /* what the loop's wait just saw (no second poll), or a poll of our own */
        if (n) memcpy(c->ready, polled ? polled : c->socks, (size_t)n * sizeof *c->ready);
        if (n && (polled || poll(c->ready, (nfds_t)n, 0) > 0)) {
            for (int i = 0; i < n; i++) {
                short re = c->ready[i].revents;
                if (!re) continue;
                int ev = (re & (POLLIN | POLLHUP) ? CURL_CSELECT_IN : 0) | (re & POLLOUT ? CURL_CSELECT_OUT : 0) |
                         (re & (POLLERR | POLLNVAL) ? CURL_CSELECT_ERR : 0);
                int running = 0;
                curl_multi_socket_action(c->multi, c->ready[i].fd, ev, &running);
            }
        }
    }
    if (c->due >= 0 && ami_time_mono_ms() >= c->due) kick_timeout(c);
    drain(c);
}

static void client_free(ami__http_client *c)
{
    ami_runtime *inst = c->inst;
    ami__loop_remove_io(inst, &c->io);
    while (c->active) {
        /* detached without done(): the loop is closing (its tasks are dropped) */
        ami__http_req *r = c->active;
        c->active = r->next;
        curl_multi_remove_handle(c->multi, r->easy);
        r->next = NULL;
        r->client = NULL;
        ami__http_req_unref(r);
    }
    for (int i = 0; i < c->nidle; i++) curl_easy_cleanup(c->idle[i]);
    curl_multi_cleanup(c->multi);
    curl_slist_free_all(c->defaults);
    ami_buf_dispose(&c->spare_headers);
    ami_buf_dispose(&c->spare_body);
    free(c->socks);
    free(c->ready);
    if (inst->web && inst->web->http == c) inst->web->http = NULL;
    ami_free(c);
}

static void res_close(ami__resource *res)
{
    ami__http_client *c = (ami__http_client *)((char *)res - offsetof(ami__http_client, res));
    client_free(c);
}

/* A run ended: with nothing in flight the connections close (an idle worker holds no socket). */
static void io_end(ami__io_source *s)
{
    ami__http_client *c = (ami__http_client *)s;
    if (c->nactive) return;
    ami__loop_remove_resource(c->inst, &c->res);
    client_free(c);
}

static ami__http_client *client_of(ami_runtime *inst)
{
    ami__web *w = inst->web;
    if (w->http) return w->http;
    pthread_once(&curl_once, curl_init_once);
    if (!curl_ok) { ami__error_set(AMI_ERROR, "fetch: libcurl could not start"); return NULL; }
    ami__http_client *c = ami_malloc(sizeof *c);
    if (!c) { ami__error_oom(); return NULL; }
    memset(c, 0, sizeof *c);
    c->inst = inst;
    c->due = -1;
    if (!(c->multi = curl_multi_init())) {
        ami_free(c);
        ami__error_set(AMI_ERROR, "fetch: cannot make a libcurl multi handle");
        return NULL;
    }
    /* a request without header lines: any type (accept), a body is sent without a type (libcurl
     * would call it a form), no "Expect: 100-continue" round trip */
    struct curl_slist *h = curl_slist_append(NULL, "accept: */*"), *g;
    if (h && (g = curl_slist_append(h, "Content-Type:"))) h = g;
    else { curl_slist_free_all(h); h = NULL; }
    if (h && (g = curl_slist_append(h, "Expect:"))) h = g;
    else { curl_slist_free_all(h); h = NULL; }
    if (!h) {
        curl_multi_cleanup(c->multi);
        ami_free(c);
        ami__error_oom();
        return NULL;
    }
    c->defaults = h;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 8L);
    c->io.fds = io_fds;
    c->io.run = io_run;
    c->io.end = io_end;
    c->res.close = res_close;
    ami__loop_add_io(inst, &c->io);
    ami__loop_add_resource(inst, &c->res);
    w->http = c;
    return c;
}

int ami__http_submit(ami_runtime *inst, ami__http_req *r)
{
    ami__http_client *c = client_of(inst);
    if (!c) return AMI_ERROR;
    r->deadline = ami_time_mono_ms() + r->timeout_ms;
    r->client = c;
    if (!r->resp_headers.ptr && !r->resp_body.ptr) {   /* the buffers of the request delivered before */
        r->resp_headers = c->spare_headers;
        r->resp_body = c->spare_body;
        memset(&c->spare_headers, 0, sizeof c->spare_headers);
        memset(&c->spare_body, 0, sizeof c->spare_body);
    }
    if (setup_easy(r) || curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
        r->client = NULL;
        return ami__error_set(AMI_ERROR, "fetch: cannot start the request");
    }
    r->refs++;   /* the client's */
    r->next = c->active;
    c->active = r;
    c->nactive++;
    /* start it now: on a kept-alive connection the request is on the wire when fetch() returns */
    kick_timeout(c);
    drain(c);
    return 0;
}

void ami__http_cancel(ami__http_req *r)
{
    if (!r->client) return;
    fail(r, "AbortError", "The signal has been aborted");
    finish(r);
}

void ami__http_recycle(ami_runtime *inst, ami__http_req *r)
{
    ami__http_client *c = inst->web ? inst->web->http : NULL;
    if (!c || r->client || c->spare_body.ptr || c->spare_headers.ptr) return;
    if (r->resp_body.asize > 64 * 1024 || r->resp_headers.asize > 16 * 1024) return;   /* a big one is not kept */
    c->spare_headers = r->resp_headers;
    c->spare_body = r->resp_body;
    memset(&r->resp_headers, 0, sizeof r->resp_headers);
    memset(&r->resp_body, 0, sizeof r->resp_body);
}
