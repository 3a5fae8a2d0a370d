/*
 * Deno.serve inside an instance: one libmicrohttpd daemon per server, run
 * on the instance's own thread (no thread of its own: its epoll descriptor
 * is an I/O source of the instance's loop, loop.h).  A complete request goes
 * to the handler at once, from inside the daemon's run (a macrotask,
 * ami__loop_run_now): this file makes the Request (its state record in one
 * step, scripts/duk_record.c) and calls the handler; a Response it returns
 * is answered from here, anything else goes to the prelude's settle (a
 * promise: W.serveRespond when it settles; a throw: W.serveFail).  An answer
 * given before the run returns (at once, or in the microtasks) is queued on
 * the connection directly; otherwise the connection is suspended until the
 * answer resumes it and sends the response, from the same thread.  Where a task cannot run at once
 * the request is queued in the instance's loop as a task.  A server is a loop resource (closed on stop, reload, free: the
 * port is free again) and keeps the instance alive while it listens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "runtime/internal.h"
#include "runtime/loop.h"
#include "runtime/web/web.h"
#include "core/core.h"
#include "util/util.h"

typedef struct serve_srv serve_srv;

/* One request, shared by its connection (MHD, on the instance's thread) and the handler; a stop may answer it from another thread. */
typedef struct serve_req {
    pthread_mutex_t mu;
    int refs;
    serve_srv *srv;                 /* valid while the connection is (the daemon outlives its connections) */
    struct MHD_Connection *conn;    /* NULL once MHD completed the connection */
    char *method, *url;
    char *raw_uri;                  /* path and query as the client sent them */
    int started;
    ami_buf headers;                /* name\0value\0 … */
    ami_buf body;
    int too_large;
    int dispatched;
    int suspended;
    struct MHD_Response *response;  /* set when answered */
    unsigned status;
    char remote[64];
    int remote_port;
    /* instance side */
    int64_t id;
    struct serve_req *next;         /* in the server's pending list (instance thread) */
} serve_req;

struct serve_srv {
    ami__resource res;              /* first: the loop's resource */
    ami__io_source io;              /* the daemon's epoll descriptor, served on the instance's thread */
    int epoll_fd;
    ami_runtime *inst;              /* NULL once closing (under mu) */
    pthread_mutex_t mu;
    struct MHD_Daemon *daemon;
    int fd;
    int port;
    int64_t id;
    size_t body_max;
    serve_req *pending;             /* posted or handed to JS, not answered (instance thread) */
    int in_run;                     /* inside MHD_run (instance thread): no nested run, no stop */
    int run_again;                  /* a connection was resumed during the run: run once more */
    int close_pending;              /* W.serveClose from a handler inside the run: closed after it */
    void *handler, *settle;         /* W.serve's functions (the stash's servecb keeps them alive) */
    struct serve_srv *next;         /* in the web state's list */
};

static ami_runtime *instance_of(duk_context *ctx)
{
    duk_memory_functions mf;
    duk_get_memory_functions(ctx, &mf);
    return mf.udata;
}

static void sreq_unref(serve_req *q)
{
    if (!q || __atomic_sub_fetch(&q->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    if (q->response) MHD_destroy_response(q->response);
    ami_free(q->method);
    ami_free(q->url);
    ami_free(q->raw_uri);
    ami_buf_dispose(&q->headers);
    ami_buf_dispose(&q->body);
    pthread_mutex_destroy(&q->mu);
    ami_free(q);
}

/* Answer q (any thread): the response is queued when MHD resumes the connection. */
static void sreq_answer(serve_req *q, unsigned status, struct MHD_Response *resp)
{
    pthread_mutex_lock(&q->mu);
    if (q->response || !q->conn) {
        pthread_mutex_unlock(&q->mu);
        if (resp) MHD_destroy_response(resp);
        return;
    }
    q->response = resp;
    q->status = status;
    if (q->suspended) {
        q->suspended = 0;
        MHD_resume_connection(q->conn);
        __atomic_store_n(&q->srv->run_again, 1, __ATOMIC_RELEASE);   /* daemon_run: one more run */
    }
    pthread_mutex_unlock(&q->mu);
}

static struct MHD_Response *text_response(const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (r) MHD_add_response_header(r, "content-type", "text/plain;charset=UTF-8");
    return r;
}

static void drop_req(void *data)
{
    serve_req *q = data;
    sreq_answer(q, 503, text_response("Service Unavailable: the worker is stopping\n"));
    sreq_unref(q);
}

static void daemon_run(serve_srv *s);

static void srv_unlink_pending(serve_srv *s, serve_req *q)
{
    for (serve_req **pp = &s->pending; *pp; pp = &(*pp)->next)
        if (*pp == q) { *pp = q->next; q->next = NULL; return; }
}

/* [ ] -> [ settle handler url ]: the server's settle function and handler (W.serve), and the
 * request's URL as on_access made it */
static duk_ret_t push_request(duk_context *ctx, void *udata)
{
    serve_req *q = udata;
    duk_push_heapptr(ctx, q->srv->settle);
    duk_push_heapptr(ctx, q->srv->handler);
    ami__utf8_push(ctx, (const unsigned char *)q->url, strlen(q->url), 0);
    return 3;
}

/* [ handler url ] -> [ out ]: the request (a Request with its state record, as the prelude's
 * Request makes it: url, method, headers undefined, hraw, redirect, body, used, signal) and
 * the handler's info ({ remoteAddr: { transport, hostname, port } }), then the handler called
 * with them.  Run protected: what throws here is the handler's failure. */
static duk_ret_t call_handler(duk_context *ctx, void *udata)
{
    serve_req *q = udata;
    ami__web *w = instance_of(ctx)->web;
    duk_idx_t url = duk_get_top(ctx) - 1;   /* a safe call's frame is the caller's: relative indices */
    duk_size_t ulen;
    const char *u = duk_get_lstring(ctx, url, &ulen);
    if (!u || !ami__web_href_normal(u, ulen)) {
        /* not in normal form: the prelude's hrefOf (URL) */
        duk_push_global_stash(ctx);
        duk_get_prop_string(ctx, -1, "servekit");
        duk_get_prop_string(ctx, -1, "href");
        duk_dup(ctx, url);
        duk_call(ctx, 1);
        duk_replace(ctx, url);
        duk_set_top(ctx, url + 1);
    }
    duk_dup(ctx, url);
    duk_push_string(ctx, q->method);
    duk_push_undefined(ctx);
    void *h = duk_push_fixed_buffer(ctx, q->headers.size);
    if (q->headers.size) memcpy(h, q->headers.ptr, q->headers.size);
    duk_push_string(ctx, "follow");
    if (q->body.size || (strcmp(q->method, "GET") && strcmp(q->method, "HEAD"))) {
        void *b = duk_push_fixed_buffer(ctx, q->body.size);
        if (q->body.size) memcpy(b, q->body.ptr, q->body.size);
        duk_push_buffer_object(ctx, -1, 0, q->body.size, DUK_BUFOBJ_UINT8ARRAY);
        duk_remove(ctx, -2);
    } else {
        duk_push_null(ctx);
    }
    duk_push_false(ctx);
    duk_push_null(ctx);
    ami__duk_push_record(ctx, NULL, w->key_req, 8, 0);          /* [ handler url state ] */
    ami__duk_push_record(ctx, w->req_proto, w->key_s, 1, 1);    /* [ handler url req ] */
    duk_push_string(ctx, "tcp");
    duk_push_string(ctx, q->remote);
    duk_push_int(ctx, q->remote_port);
    ami__duk_push_record(ctx, NULL, w->key_addr, 3, 0);
    ami__duk_push_record(ctx, NULL, w->key_info, 1, 0);         /* [ handler url req info ] */
    duk_remove(ctx, url);
    duk_call(ctx, 2);
    return 1;
}

/* The request id is waiting for its answer (instance thread), or NULL. */
static serve_req *find_pending(ami__web *w, int64_t id)
{
    for (serve_srv *s = w->servers; s; s = s->next)
        for (serve_req *x = s->pending; x; x = x->next)
            if (x->id == id) return x;
    return NULL;
}

/* Whether the value at idx is a Response (Response.prototype on its prototype chain). */
static int is_response(duk_context *ctx, ami__web *w, duk_idx_t idx)
{
    if (!duk_is_object(ctx, idx)) return 0;
    duk_idx_t top = duk_get_top(ctx);
    int found = 0;
    duk_get_prototype(ctx, idx);
    for (int depth = 0; depth < 64 && duk_is_object(ctx, -1); depth++) {
        if (duk_get_heapptr(ctx, -1) == w->resp_proto) { found = 1; break; }
        duk_get_prototype(ctx, -1);
        duk_remove(ctx, -2);
    }
    duk_set_top(ctx, top);
    return found;
}

/* The MHD response of the Response at idx (its state as the prelude keeps it: status, the
 * header list — hlist while the headers were not read, else the Headers' list — and the body
 * bytes); NULL when idx is not a Response.  May throw (out of memory). */
static struct MHD_Response *mhd_response_of(duk_context *ctx, ami__web *w, duk_idx_t idx, unsigned *status)
{
    if (!is_response(ctx, w, idx)) return NULL;
    idx = duk_normalize_index(ctx, idx);
    duk_idx_t top = duk_get_top(ctx);
    duk_get_prop_string(ctx, idx, "_s");        /* top: state */
    duk_get_prop_string(ctx, top, "status");    /* top + 1 */
    *status = (unsigned)duk_to_int(ctx, top + 1);
    duk_get_prop_string(ctx, top, "body");      /* top + 2 */
    duk_get_prop_string(ctx, top, "headers");  /* top + 3: a Headers once read */
    if (duk_is_object(ctx, top + 3)) duk_get_prop_string(ctx, top + 3, "_list");
    else {
        duk_get_prop_string(ctx, top, "hlist");
        if (duk_is_undefined(ctx, -1)) {
            /* fetched headers still as raw bytes: the prelude's responseList */
            duk_pop(ctx);
            duk_push_global_stash(ctx);
            duk_get_prop_string(ctx, -1, "servekit");
            duk_get_prop_string(ctx, -1, "responseList");
            duk_dup(ctx, top);
            duk_call(ctx, 1);
        }
    }
    duk_idx_t list = duk_get_top(ctx) - 1;
    duk_size_t blen = 0;
    const void *b = duk_is_null_or_undefined(ctx, top + 2) ? NULL : duk_require_buffer_data(ctx, top + 2, &blen);
    struct MHD_Response *resp = MHD_create_response_from_buffer(blen, (void *)(b ? b : ""), MHD_RESPMEM_MUST_COPY);
    if (!resp) ami__runtime_throw(ctx, "RangeError", "Deno.serve: out of memory");
    duk_size_t n = duk_get_length(ctx, list);
    for (duk_size_t i = 0; i < n; i++) {
        duk_get_prop_index(ctx, list, (duk_uarridx_t)i);
        duk_get_prop_index(ctx, -1, 0);
        duk_get_prop_index(ctx, -2, 1);
        const char *hn = duk_safe_to_string(ctx, -2), *hv = duk_safe_to_string(ctx, -1);
        if (strcasecmp(hn, "content-length")) MHD_add_response_header(resp, hn, hv);
        duk_pop_3(ctx);
    }
    duk_set_top(ctx, top);
    return resp;
}

/* Answer q with the Response at idx (the instance's thread): 0, or -1 when idx is not a Response. */
static int respond_with(duk_context *ctx, serve_req *q, duk_idx_t idx)
{
    unsigned status = 0;
    struct MHD_Response *resp = mhd_response_of(ctx, instance_of(ctx)->web, idx, &status);
    if (!resp) return -1;
    serve_srv *srv = q->srv;
    srv_unlink_pending(srv, q);
    sreq_answer(q, status, resp);
    sreq_unref(q);
    /* the response goes out now, from this thread (inside the daemon's run: when it returns) */
    if (!srv->in_run) daemon_run(srv);
    return 0;
}

/* On the instance's thread: the request to the server's handler.  A Response it returns at
 * once is answered here; a promise, anything else, or a throw goes to the prelude's settle
 * (a stop or a slice error under way is rethrown, as the prelude's job loop does). */
static void task_request(duk_context *ctx, void *data)
{
    serve_req *q = data;
    ami_runtime *inst = instance_of(ctx);
    ami__web *w = inst->web;
    serve_srv *s = NULL;
    for (serve_srv *x = w->servers; x; x = x->next)
        if (x == q->srv) { s = x; break; }
    if (!s) { drop_req(q); return; }   /* the server was closed meanwhile */
    q->id = ++w->next_id;
    q->next = s->pending;
    s->pending = q;                    /* the task's reference moves to the pending list */
    duk_idx_t top = duk_get_top(ctx);
    if (duk_safe_call(ctx, push_request, q, 0, 3) != 0) {
        srv_unlink_pending(s, q);
        sreq_answer(q, 500, text_response("Internal Server Error\n"));
        sreq_unref(q);
        duk_set_top(ctx, top + 1);
        (void)duk_throw(ctx);
    }
    int64_t id = q->id;
    /* [ settle handler url ] -> [ settle out ] */
    int threw = duk_safe_call(ctx, call_handler, q, 2, 1) != 0;
    if (threw && (inst->abort || __atomic_load_n(&inst->stop, __ATOMIC_ACQUIRE))) (void)duk_throw(ctx);
    /* the handler may have closed the server (q answered then): look q up again by id */
    serve_req *p = threw ? NULL : find_pending(w, id);
    if (p && respond_with(ctx, p, -1) == 0) { duk_set_top(ctx, top); return; }
    duk_push_number(ctx, (double)id);
    duk_insert(ctx, -2);
    duk_push_boolean(ctx, threw);
    duk_call(ctx, 3);
    duk_set_top(ctx, top);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    serve_req *q = cls;
    ami_buf_put(&q->headers, key, strlen(key) + 1);
    ami_buf_put(&q->headers, value ? value : "", (value ? strlen(value) : 0) + 1);
    return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    serve_srv *s = cls;
    serve_req *q = *con_cls;
    if (!q) return MHD_NO;   /* the URI callback could not allocate */
    if (!q->started) {
        q->started = 1;
        (void)url;
        const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "host");
        ami_buf u = AMI_BUF_INIT;
        ami_buf_printf(&u, "http://%s%s", host && *host ? host : "localhost", q->raw_uri ? q->raw_uri : "/");
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
            const struct sockaddr_in *sin = (const struct sockaddr_in *)ci->client_addr;
            inet_ntop(AF_INET, &sin->sin_addr, q->remote, sizeof q->remote);
            q->remote_port = ntohs(sin->sin_port);
        } else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6) {
            const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ci->client_addr;
            inet_ntop(AF_INET6, &sin6->sin6_addr, q->remote, sizeof q->remote);
            q->remote_port = ntohs(sin6->sin6_port);
        }
        q->method = ami__strdup(method);
        q->url = ami_buf_detach(&u);
        MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, q);
        if (!q->method || !q->url) return MHD_NO;
        return MHD_YES;
    }
    if (*upload_size) {
        if (q->body.size + *upload_size > s->body_max) q->too_large = 1;
        else ami_buf_put(&q->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&q->mu);
    struct MHD_Response *resp = q->response;
    unsigned status = q->status;
    q->response = NULL;
    pthread_mutex_unlock(&q->mu);
    if (resp) {
        enum MHD_Result rc = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return rc;
    }
    if (q->dispatched) return MHD_YES;   /* resumed without an answer: nothing to do yet */
    q->dispatched = 1;
    if (q->too_large) {
        struct MHD_Response *r = text_response("Payload Too Large\n");
        enum MHD_Result rc = MHD_queue_response(conn, 413, r);
        MHD_destroy_response(r);
        return rc;
    }
    pthread_mutex_lock(&s->mu);
    ami_runtime *inst = s->inst;
    pthread_mutex_unlock(&s->mu);
    if (inst && s->in_run && !s->close_pending) {
        /* the handler runs now; what it answers before returning (or in its microtasks) goes out
         * on this connection without a suspension */
        __atomic_add_fetch(&q->refs, 1, __ATOMIC_ACQ_REL);   /* the task's */
        if (ami__loop_run_now(inst, task_request, q) == 0) {
            pthread_mutex_lock(&q->mu);
            struct MHD_Response *now = q->response;
            unsigned now_status = q->status;
            q->response = NULL;
            if (!now) {
                q->suspended = 1;
                MHD_suspend_connection(conn);
            }
            pthread_mutex_unlock(&q->mu);
            if (!now) return MHD_YES;
            enum MHD_Result rc = MHD_queue_response(conn, now_status, now);
            MHD_destroy_response(now);
            return rc;
        }
        __atomic_sub_fetch(&q->refs, 1, __ATOMIC_ACQ_REL);   /* not run: posted below */
    }
    pthread_mutex_lock(&s->mu);
    inst = s->inst;
    int posted = -1;
    if (inst) {
        pthread_mutex_lock(&q->mu);
        q->suspended = 1;
        MHD_suspend_connection(conn);
        pthread_mutex_unlock(&q->mu);
        __atomic_add_fetch(&q->refs, 1, __ATOMIC_ACQ_REL);   /* the task's */
        posted = ami__loop_post_local(inst, task_request, drop_req, q);   /* MHD runs on the instance's thread */
    }
    pthread_mutex_unlock(&s->mu);
    if (posted == -1) {
        struct MHD_Response *r = text_response("Service Unavailable\n");
        enum MHD_Result rc = MHD_queue_response(conn, 503, r);
        MHD_destroy_response(r);
        return rc;
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls; (void)conn; (void)toe;
    serve_req *q = *con_cls;
    if (!q) return;
    pthread_mutex_lock(&q->mu);
    q->conn = NULL;
    pthread_mutex_unlock(&q->mu);
    *con_cls = NULL;
    sreq_unref(q);
}

/* Called first for every request with the URI as sent: its result is the request's *con_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    serve_req *q = ami_malloc(sizeof *q);
    if (!q) return NULL;
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    q->refs = 1;   /* the connection's */
    q->srv = cls;
    q->conn = conn;
    q->raw_uri = ami__strdup(uri ? uri : "/");
    return q;
}

static void srv_close(ami__resource *res)
{
    serve_srv *s = (serve_srv *)res;
    ami__web *w = s->inst ? s->inst->web : NULL;
    pthread_mutex_lock(&s->mu);
    ami_runtime *inst = s->inst;
    s->inst = NULL;
    pthread_mutex_unlock(&s->mu);
    /* requests waiting for the handler: 503, so MHD can finish them */
    while (s->pending) {
        serve_req *q = s->pending;
        s->pending = q->next;
        sreq_answer(q, 503, text_response("Service Unavailable: the worker stopped\n"));
        sreq_unref(q);
    }
    if (s->daemon) {
        if (inst) ami__loop_remove_io(inst, &s->io);
        MHD_run(s->daemon);   /* the 503s go out (the daemon has no thread of its own) */
        MHD_quiesce_daemon(s->daemon);
        MHD_stop_daemon(s->daemon);
    }
    if (s->fd >= 0) close(s->fd);
    if (inst && w) {
        for (serve_srv **pp = (serve_srv **)&w->servers; *pp; pp = &(*pp)->next)
            if (*pp == s) { *pp = s->next; break; }
    }
    pthread_mutex_destroy(&s->mu);
    ami_free(s);
}

static int bind_listen(const char *host, int port, int *out_port, char *err, size_t errlen)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int g = getaddrinfo(host, ps, &hints, &ai);
    if (g) { snprintf(err, errlen, "cannot resolve hostname \"%s\": %s", host, gai_strerror(g)); return -1; }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) { snprintf(err, errlen, "socket: %s", strerror(errno)); freeaddrinfo(ai); return -1; }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    *out_port = port;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *out_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* ---- the loop's I/O source ---- */

static int io_fds(ami__io_source *io, struct pollfd *pfd, int max, int64_t *due)
{
    serve_srv *s = (serve_srv *)((char *)io - offsetof(serve_srv, io));
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(s->daemon, &ms) == MHD_YES) {
        int64_t d = ami_time_mono_ms() + (int64_t)(ms > 86400000ULL ? 86400000ULL : ms);
        if (*due < 0 || d < *due) *due = d;
    }
    if (max >= 1) {
        pfd[0].fd = s->epoll_fd;
        pfd[0].events = POLLIN;
        pfd[0].revents = 0;
    }
    return 1;
}

/* One run of the daemon; handlers may run inside it (on_access), and answer
 * connections suspended before: those go out in one more run.  A handler
 * that closed this server inside the run has it closed now (s is freed). */
static void daemon_run(serve_srv *s)
{
    for (int i = 0; i < 4; i++) {
        s->in_run = 1;
        __atomic_store_n(&s->run_again, 0, __ATOMIC_RELEASE);
        MHD_run(s->daemon);
        s->in_run = 0;
        if (s->close_pending) {
            srv_close(&s->res);
            return;
        }
        if (!__atomic_load_n(&s->run_again, __ATOMIC_ACQUIRE)) break;
    }
}

static void io_run(ami__io_source *io)
{
    daemon_run((serve_srv *)((char *)io - offsetof(serve_srv, io)));
}

/* W.serve(port, hostname, handler, settle, serveKit) -> [serverId, port]: handler(req, info) as the
 * script gave it; settle(reqId, out, threw) for what the handler did not answer at once;
 * serveKit the prelude's { requestProto, responseProto, href, responseList } (task_request) */
duk_ret_t ami__web_serve(duk_context *ctx)
{
    ami_runtime *inst = instance_of(ctx);
    ami__web *w = inst->web;
    ami__runtime_host_enter(ctx, inst);
    int port = duk_require_int(ctx, 0);
    const char *host = duk_require_string(ctx, 1);
    duk_require_function(ctx, 2);
    duk_require_function(ctx, 3);
    duk_require_object(ctx, 4);
    if (port < 1 || port > 65535) ami__runtime_throw(ctx, "TypeError", "Deno.serve: port must be 1-65535 (got %d)", port);
    if (!ami__perms_listen(w->perms, port))
        ami__runtime_throw(ctx, "PermissionDenied", "Requires net access to \"%s:%d\" for listening; the node allows it with allow_listen=%d",
                           host, port, port);
    char err[300];
    int bound = port;
    int fd = bind_listen(host, port, &bound, err, sizeof err);
    if (fd < 0)
        ami__runtime_throw(ctx, errno == EADDRINUSE ? "AddrInUse" : "NetworkError", "Deno.serve: %s", err);
    serve_srv *s = ami_malloc(sizeof *s);
    if (!s) { close(fd); ami__runtime_throw(ctx, "RangeError", "Deno.serve: out of memory"); }
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->fd = fd;
    s->port = bound;
    s->inst = inst;
    s->body_max = w->body_max;
    s->id = ++w->next_id;
    s->res.close = srv_close;
    /* [handler, settle], by server id (which keeps them alive), and the kit (before the daemon starts: pushes may throw) */
    ami__web_keys(ctx, w);
    duk_push_global_stash(ctx);
    duk_dup(ctx, 4);
    duk_put_prop_string(ctx, -2, "servekit");   /* keeps the prototypes alive */
    duk_get_prop_string(ctx, 4, "requestProto");
    w->req_proto = duk_require_heapptr(ctx, -1);
    duk_get_prop_string(ctx, 4, "responseProto");
    w->resp_proto = duk_require_heapptr(ctx, -1);
    duk_pop_2(ctx);
    if (!duk_get_prop_string(ctx, -1, "servecb")) {
        duk_pop(ctx);
        duk_push_bare_object(ctx);
        duk_dup(ctx, -1);
        duk_put_prop_string(ctx, -3, "servecb");
    }
    duk_push_number(ctx, (double)s->id);
    duk_push_array(ctx);
    duk_dup(ctx, 2);
    duk_put_prop_index(ctx, -2, 0);
    duk_dup(ctx, 3);
    duk_put_prop_index(ctx, -2, 1);
    duk_put_prop(ctx, -3);
    duk_pop_2(ctx);
    s->handler = duk_get_heapptr(ctx, 2);
    s->settle = duk_get_heapptr(ctx, 3);
    s->daemon = MHD_start_daemon(MHD_USE_EPOLL_LINUX_ONLY | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO,
                                 0, NULL, NULL, on_access, s,
                                 MHD_OPTION_LISTEN_SOCKET, fd,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
                                 MHD_OPTION_END);
    const union MHD_DaemonInfo *di = s->daemon ? MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!di) {
        if (s->daemon) MHD_stop_daemon(s->daemon);
        close(fd);
        pthread_mutex_destroy(&s->mu);
        ami_free(s);
        ami__runtime_throw(ctx, "NetworkError", "Deno.serve: cannot start the HTTP server on %s:%d", host, port);
    }
    s->epoll_fd = di->epoll_fd;
    s->io.fds = io_fds;
    s->io.run = io_run;
    ami__loop_add_io(inst, &s->io);
    s->next = w->servers;
    w->servers = s;
    ami__loop_add_resource(inst, &s->res);
    ami__loop_ref(inst);
    duk_push_array(ctx);
    duk_push_number(ctx, (double)s->id);
    duk_put_prop_index(ctx, -2, 0);
    duk_push_int(ctx, s->port);
    duk_put_prop_index(ctx, -2, 1);
    return 1;
}

/* W.serveClose(serverId): stop listening now (the port is free when this returns) */
duk_ret_t ami__web_serve_close(duk_context *ctx)
{
    ami_runtime *inst = instance_of(ctx);
    int64_t id = (int64_t)duk_require_number(ctx, 0);
    for (serve_srv *s = inst->web->servers; s; s = s->next) {
        if (s->id != id) continue;
        ami__loop_remove_resource(inst, &s->res);
        ami__loop_unref(inst);
        if (s->in_run) {
            /* called by a handler inside the daemon's run: the port is free now, the daemon
             * stops when the run returns (daemon_run) */
            MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
            if (lfd != MHD_INVALID_SOCKET && lfd == s->fd) {
                close(s->fd);
                s->fd = -1;
            }
            s->close_pending = 1;
        } else {
            srv_close(&s->res);
        }
        duk_push_global_stash(ctx);
        if (duk_get_prop_string(ctx, -1, "servecb")) {
            duk_push_number(ctx, (double)id);
            duk_del_prop(ctx, -2);
        }
        duk_pop_2(ctx);
        break;
    }
    return 0;
}

/* W.serveRespond(reqId, response): answer the request with a Response (a TypeError when it
 * is none); nothing when the request was answered already or its server closed */
duk_ret_t ami__web_serve_respond(duk_context *ctx)
{
    ami__web *w = instance_of(ctx)->web;
    int64_t id = (int64_t)duk_require_number(ctx, 0);
    if (!is_response(ctx, w, 1))
        ami__runtime_throw(ctx, "TypeError", "Deno.serve: the handler must return a Response or a promise of one");
    serve_req *q = find_pending(w, id);
    if (q) respond_with(ctx, q, 1);
    return 0;
}

/* W.serveFail(reqId): answer 500 (the handler failed; the prelude logged why) */
duk_ret_t ami__web_serve_fail(duk_context *ctx)
{
    ami__web *w = instance_of(ctx)->web;
    serve_req *q = find_pending(w, (int64_t)duk_require_number(ctx, 0));
    if (!q) return 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(21, (void *)"Internal Server Error", MHD_RESPMEM_PERSISTENT);
    if (!resp) ami__runtime_throw(ctx, "RangeError", "Deno.serve: out of memory");
    MHD_add_response_header(resp, "content-type", "text/plain;charset=UTF-8");
    serve_srv *srv = q->srv;
    srv_unlink_pending(srv, q);
    sreq_answer(q, 500, resp);
    sreq_unref(q);
    if (!srv->in_run) daemon_run(srv);
    return 0;
}
