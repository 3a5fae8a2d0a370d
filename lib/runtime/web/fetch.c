/*
 * fetch() inside an instance: W.fetch starts a request on the instance's HTTP
 * client (http_service.c) and returns its id; the completion comes back as a
 * task queued in the instance's loop, which calls the prelude's callback.
 * Each request in flight is a loop resource (closed on stop, reload, free)
 * and holds the instance alive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/internal.h"
#include "runtime/loop.h"
#include "runtime/web/web.h"
#include "runtime/web/http.h"
#include "core/core.h"
#include "util/util.h"

typedef struct fetch_op {
    ami__resource res;          /* first: the loop's resource */
    ami__http_req *req;         /* our reference */
    ami_runtime *inst;
    int64_t id;
    struct fetch_op *next;
} fetch_op;

static ami_runtime *instance_of(duk_context *ctx)
{
    duk_memory_functions mf;
    duk_get_memory_functions(ctx, &mf);
    return mf.udata;
}

static void op_unlink(ami__web *w, fetch_op *op)
{
    for (fetch_op **pp = (fetch_op **)&w->fetches; *pp; pp = &(*pp)->next)
        if (*pp == op) { *pp = op->next; w->n_fetches--; break; }
}

/* The loop closes the request (stop, reload, free): detach it from the instance and cancel it. */
static void op_close(ami__resource *res)
{
    fetch_op *op = (fetch_op *)res;
    op->req->owner = NULL;
    ami__http_cancel(op->req);
    op_unlink(op->inst->web, op);
    ami__http_req_unref(op->req);
    ami_free(op);
}

static void drop_done(void *data) { ami__http_req_unref(data); }

typedef struct { ami__http_req *req; int64_t id; } deliver_arg;

/* [ ] -> [ fetchDone, target, args... ] ready for duk_call(ctx, 8); the headers go as their raw
 * bytes (name\0value\0 …: W.headerPairs reads them when a script asks) */
static duk_ret_t push_result(duk_context *ctx, void *udata)
{
    deliver_arg *a = udata;
    ami__http_req *r = a->req;
    duk_push_global_stash(ctx);
    duk_get_prop_string(ctx, -1, "fetchdone");
    duk_get_prop_string(ctx, -2, "fetchcb");
    duk_push_number(ctx, (double)a->id);
    duk_get_prop(ctx, -2);              /* [stash done table target] */
    duk_push_number(ctx, (double)a->id);
    duk_del_prop(ctx, -3);
    duk_remove(ctx, -2);
    duk_remove(ctx, -3);                /* [done target] */
    if (r->err_name) {
        duk_push_array(ctx);
        duk_push_string(ctx, r->err_name);
        duk_put_prop_index(ctx, -2, 0);
        ami__utf8_push(ctx, (const unsigned char *)r->err_msg, strlen(r->err_msg), 0);
        duk_put_prop_index(ctx, -2, 1);
        return 3;
    }
    duk_push_null(ctx);
    duk_push_int(ctx, r->status);
    const char *st = r->status_text ? r->status_text : "";
    ami__utf8_push(ctx, (const unsigned char *)st, strlen(st), 0);
    duk_push_string(ctx, r->final_url ? r->final_url : r->url);
    void *h = duk_push_fixed_buffer(ctx, r->resp_headers.size);
    if (r->resp_headers.size) memcpy(h, r->resp_headers.ptr, r->resp_headers.size);
    void *b = duk_push_fixed_buffer(ctx, r->resp_body.size);
    if (r->resp_body.size) memcpy(b, r->resp_body.ptr, r->resp_body.size);
    duk_push_buffer_object(ctx, -1, 0, r->resp_body.size, DUK_BUFOBJ_UINT8ARRAY);
    duk_remove(ctx, -2);
    duk_push_boolean(ctx, r->redirected);
    return 9;
}

/* On the instance's thread: hand the result to the prelude's callback. */
static void task_done(duk_context *ctx, void *data)
{
    ami__http_req *r = data;
    ami_runtime *inst = instance_of(ctx);
    ami__web *w = inst->web;
    fetch_op *op = NULL;
    for (fetch_op *o = w->fetches; o; o = o->next)
        if (o->req == r) { op = o; break; }
    if (!op) { ami__http_req_unref(r); return; }   /* closed meanwhile */
    op_unlink(w, op);
    ami__loop_remove_resource(inst, &op->res);
    ami__loop_unref(inst);
    deliver_arg a = { r, op->id };
    ami_free(op);
    duk_idx_t top = duk_get_top(ctx);
    int rc = duk_safe_call(ctx, push_result, &a, 0, 9);
    int nargs = rc == 0 && r->err_name ? 2 : 8;
    if (rc == 0) ami__http_recycle(inst, r);   /* its bytes are in the JS values now */
    ami__http_req_unref(r);   /* the op's */
    ami__http_req_unref(r);   /* the task's */
    if (rc != 0) {
        duk_set_top(ctx, top + 1);   /* the error */
        (void)duk_throw(ctx);
    }
    /* [fetchDone target args(9 slots, the unused ones undefined)] */
    duk_set_top(ctx, top + 1 + nargs);
    duk_call(ctx, nargs);
    duk_set_top(ctx, top);
}

/* The client is done with r (instance thread, inside its loop or a fetch call). */
static void on_req_done(ami__http_req *r)
{
    ami_runtime *inst = r->owner;
    if (!inst) return;
    r->refs++;   /* the task's */
    ami__loop_post_local(inst, task_done, drop_done, r);
}

/* The request's header lines; NULL with *oom 0 when there are none (the client's defaults go then). */
static struct curl_slist *arg_headers(duk_context *ctx, duk_idx_t idx, int *oom)
{
    struct curl_slist *h = NULL;
    duk_size_t n = duk_is_null_or_undefined(ctx, idx) ? 0 : duk_get_length(ctx, idx);
    *oom = 0;
    if (!n) return NULL;
    int has_accept = 0, has_type = 0;
    for (duk_size_t i = 0; i < n; i++) {
        duk_get_prop_index(ctx, idx, (duk_uarridx_t)i);
        const char *line = duk_to_string(ctx, -1);
        if (!strncasecmp(line, "accept:", 7)) has_accept = 1;
        if (!strncasecmp(line, "content-type:", 13)) has_type = 1;
        struct curl_slist *g = curl_slist_append(h, line);
        duk_pop(ctx);
        if (!g) { curl_slist_free_all(h); *oom = 1; return NULL; }
        h = g;
    }
    /* as the client's defaults: any type, a body without a type is sent without one (libcurl would
     * call it a form), no "Expect: 100-continue" round trip on bodies */
    const char *more[3] = { has_accept ? NULL : "accept: */*", has_type ? NULL : "Content-Type:", "Expect:" };
    for (int i = 0; i < 3; i++) {
        struct curl_slist *g = more[i] ? curl_slist_append(h, more[i]) : h;
        if (!g) { curl_slist_free_all(h); *oom = 1; return NULL; }
        h = g;
    }
    return h;
}

/* W.fetch(method, url, headerLines|null, bodyBytes|null, redirect, target) -> id; when the request
 * ends, the function given to W.fetchDone is called with (target, err, status, statusText, url,
 * rawHeaders, body, redirected) */
duk_ret_t ami__web_fetch(duk_context *ctx)
{
    ami_runtime *inst = instance_of(ctx);
    ami__web *w = inst->web;
    ami__runtime_host_enter(ctx, inst);
    const char *method = duk_require_string(ctx, 0);
    const char *url = duk_require_string(ctx, 1);
    const char *redirect = duk_require_string(ctx, 4);
    ami__web_check_connect(ctx, w, "fetch", url, "TypeError", w->n_fetches, w->fetch_max, "requests are already in flight",
                           "fetch_max");
    size_t blen = 0;
    const void *bp = NULL;
    if (!duk_is_null_or_undefined(ctx, 3)) {
        duk_size_t n = 0;
        bp = duk_require_buffer_data(ctx, 3, &n);
        blen = n;
    }
    ami__http_req *r = ami__http_req_new();
    fetch_op *op = ami_malloc(sizeof *op);
    if (!r || !op) { ami__http_req_unref(r); ami_free(op); ami__runtime_throw(ctx, "RangeError", "fetch: out of memory"); }
    memset(op, 0, sizeof *op);
    r->method = ami__strdup(method);
    r->url = ami__strdup(url);
    int hdr_oom = 0;
    r->headers = arg_headers(ctx, 2, &hdr_oom);
    if (blen || bp) {
        r->body = ami_malloc(blen ? blen : 1);
        if (r->body && blen) memcpy(r->body, bp, blen);
        r->body_len = blen;
    }
    r->redirect_mode = !strcmp(redirect, "manual") ? AMI__REDIRECT_MANUAL : !strcmp(redirect, "error") ? AMI__REDIRECT_ERROR
                                                                                                       : AMI__REDIRECT_FOLLOW;
    r->timeout_ms = w->timeout_ms;
    r->body_max = w->body_max;
    r->ca_file = w->ca_file ? ami__strdup(w->ca_file) : NULL;
    r->perms = ami__perms_ref(w->perms);
    r->done = on_req_done;
    r->owner = inst;
    if (!r->method || !r->url || hdr_oom || ((blen || bp) && !r->body) || (w->ca_file && !r->ca_file)) {
        ami__http_req_unref(r);
        ami_free(op);
        ami__runtime_throw(ctx, "RangeError", "fetch: out of memory");
    }
    int64_t id = ++w->next_id;
    /* the target, by id (stored before anything is started: pushes may throw) */
    duk_push_global_stash(ctx);
    if (!duk_get_prop_string(ctx, -1, "fetchcb")) {
        duk_pop(ctx);
        duk_push_bare_object(ctx);
        duk_dup(ctx, -1);
        duk_put_prop_string(ctx, -3, "fetchcb");
    }
    duk_push_number(ctx, (double)id);
    duk_dup(ctx, 5);
    duk_put_prop(ctx, -3);
    duk_pop_2(ctx);
    op->req = r;
    op->inst = inst;
    op->id = id;
    op->res.close = op_close;
    if (ami__http_submit(inst, r)) {
        ami__http_req_unref(r);
        ami_free(op);
        ami__runtime_throw(ctx, "NetworkError", "fetch: %s", ami_error_last());
    }
    op->next = w->fetches;
    w->fetches = op;
    w->n_fetches++;
    ami__loop_add_resource(inst, &op->res);
    ami__loop_ref(inst);
    duk_push_number(ctx, (double)id);
    return 1;
}

/* W.fetchAbort(id): the request ends with an AbortError (delivered like a result; the prelude
 * has rejected its promise already) */
duk_ret_t ami__web_fetch_abort(duk_context *ctx)
{
    ami_runtime *inst = instance_of(ctx);
    int64_t id = (int64_t)duk_require_number(ctx, 0);
    for (fetch_op *o = inst->web->fetches; o; o = o->next)
        if (o->id == id) { ami__http_cancel(o->req); break; }
    return 0;
}

/* W.fetchDone(fn): the function every fetch completion calls (the prelude sets it once) */
duk_ret_t ami__web_fetch_done(duk_context *ctx)
{
    duk_require_function(ctx, 0);
    duk_push_global_stash(ctx);
    duk_dup(ctx, 0);
    duk_put_prop_string(ctx, -2, "fetchdone");
    return 0;
}

/* W.headerPairs(rawHeaders) -> [[lowercase name, value], …] of a fetched response */
duk_ret_t ami__web_header_pairs(duk_context *ctx)
{
    duk_size_t n = 0;
    const char *p = duk_require_buffer_data(ctx, 0, &n);
    ami__web_push_header_pairs(ctx, p, n);
    return 1;
}
