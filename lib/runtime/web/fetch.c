/*
 * W.fetch / W.fetchAbort, the natives behind the prelude's fetch
 * (lib/runtime/js/prelude_web.js) on the HTTP service (http_service.c).
 *
 * This form completes the request before it returns: the instance thread
 * waits for the service's done() (checking the instance's stop flag, which
 * cancels the request), then calls the callback, so the promise fetch
 * returns is settled when fetch returns.  Permissions (allow_net), the
 * timeout, the body cap and the CA file are the instance's (web.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "runtime/internal.h"
#include "runtime/web/web.h"
#include "runtime/web/http.h"
#include "core/core.h"
#include "util/util.h"

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
} fetch_wait;

/* the service's completion (its thread, r->mu held) */
static void fetch_done(ami__http_req *req)
{
    fetch_wait *w = req->owner;
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static ami_runtime *instance_of(duk_context *ctx)
{
    duk_memory_functions mf;
    duk_get_memory_functions(ctx, &mf);
    return mf.udata;
}

/* cb(err) with err = [name, message] */
static void call_error(duk_context *ctx, const char *name, const char *msg)
{
    duk_dup(ctx, 5);
    duk_push_array(ctx);
    duk_push_string(ctx, name);
    duk_put_prop_index(ctx, -2, 0);
    duk_push_string(ctx, msg);
    duk_put_prop_index(ctx, -2, 1);
    duk_call(ctx, 1);
    duk_pop(ctx);
}

/* W.fetch(method, url, headerLines, body|null, redirect, cb) -> id */
duk_ret_t ami__web_fetch(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    ami__web *web = r->web;
    const char *method = duk_require_string(ctx, 0);
    const char *url = duk_require_string(ctx, 1);
    const char *redirect = duk_get_string_default(ctx, 4, "follow");
    duk_require_function(ctx, 5);
    int64_t id = ++web->next_id;
    char msg[600];
    int is_type = 0;
    if (ami__perms_url(web->perms, url, msg, sizeof msg, &is_type)) {
        call_error(ctx, is_type ? "TypeError" : "PermissionDenied", msg);
        duk_push_number(ctx, (double)id);
        return 1;
    }
    ami__http_req *req = ami__http_req_new();
    if (!req) return ami__runtime_throw(ctx, "RangeError", "fetch: out of memory");
    req->method = ami__strdup(method);
    req->url = ami__strdup(url);
    req->redirect_mode = !strcmp(redirect, "manual") ? AMI__REDIRECT_MANUAL
                       : !strcmp(redirect, "error") ? AMI__REDIRECT_ERROR : AMI__REDIRECT_FOLLOW;
    req->timeout_ms = web->timeout_ms;
    req->body_max = web->body_max;
    req->ca_file = web->ca_file ? ami__strdup(web->ca_file) : NULL;
    req->perms = ami__perms_ref(web->perms);
    int oom = !req->method || !req->url || (web->ca_file && !req->ca_file);
    if (duk_is_array(ctx, 2)) {
        duk_size_t n = duk_get_length(ctx, 2);
        for (duk_size_t i = 0; i < n && !oom; i++) {
            duk_get_prop_index(ctx, 2, (duk_uarridx_t)i);
            struct curl_slist *l = curl_slist_append(req->headers, duk_safe_to_string(ctx, -1));
            duk_pop(ctx);
            if (l) req->headers = l; else oom = 1;
        }
    }
    if (!oom && !duk_is_null_or_undefined(ctx, 3)) {
        duk_size_t n = 0;
        void *p = duk_get_buffer_data(ctx, 3, &n);
        if (p && n) {
            if ((req->body = ami_malloc(n))) { memcpy(req->body, p, n); req->body_len = n; }
            else oom = 1;
        }
    }
    if (oom) {
        ami__http_req_unref(req);
        return ami__runtime_throw(ctx, "RangeError", "fetch: out of memory");
    }
    fetch_wait w;
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    w.done = 0;
    req->owner = &w;
    req->done = fetch_done;
    req->id = id;
    if (ami__http_submit(req)) {
        ami__http_req_unref(req);
        pthread_cond_destroy(&w.cv);
        pthread_mutex_destroy(&w.mu);
        call_error(ctx, "NetworkError", "fetch: the HTTP service cannot run");
        duk_push_number(ctx, (double)id);
        return 1;
    }
    int cancelled = 0;
    pthread_mutex_lock(&w.mu);
    while (!w.done) {
        if (!cancelled && __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
            cancelled = 1;
            pthread_mutex_unlock(&w.mu);
            ami__http_cancel(req);
            pthread_mutex_lock(&w.mu);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&w.cv, &w.mu, &ts);
    }
    pthread_mutex_unlock(&w.mu);
    /* done() has returned (it held r->mu while signalling): the request is ours again */
    pthread_mutex_lock(&req->mu);
    pthread_mutex_unlock(&req->mu);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    ami__runtime_host_enter(ctx, r);   /* a network wait is an await point: the slice restarts */
    if (req->err_name) {
        snprintf(msg, sizeof msg, "%s", req->err_msg);
        const char *name = req->err_name;
        ami__http_req_unref(req);
        call_error(ctx, name, msg);
        duk_push_number(ctx, (double)id);
        return 1;
    }
    duk_dup(ctx, 5);
    duk_push_null(ctx);
    duk_push_int(ctx, req->status);
    duk_push_string(ctx, req->status_text ? req->status_text : "");
    duk_push_string(ctx, req->final_url ? req->final_url : url);
    duk_push_array(ctx);
    {
        const char *p = req->resp_headers.ptr, *end = p ? p + req->resp_headers.size : NULL;
        duk_uarridx_t k = 0;
        while (p && p < end) {
            size_t l = strlen(p);
            duk_push_lstring(ctx, p, l);
            duk_put_prop_index(ctx, -2, k++);
            p += l + 1;
        }
    }
    size_t blen = req->resp_body.size;
    void *dst = duk_push_fixed_buffer(ctx, blen);
    if (blen) memcpy(dst, req->resp_body.ptr, blen);
    duk_push_buffer_object(ctx, -1, 0, blen, DUK_BUFOBJ_UINT8ARRAY);
    duk_remove(ctx, -2);
    duk_push_boolean(ctx, req->redirected);
    ami__http_req_unref(req);
    duk_call(ctx, 7);
    duk_pop(ctx);
    duk_push_number(ctx, (double)id);
    return 1;
}

/* W.fetchAbort(id): the requests of this form are over when fetch returns */
duk_ret_t ami__web_fetch_abort(duk_context *ctx)
{
    (void)ctx;
    return 0;
}
