/*
 * The WebSocket client: one process-wide libwebsockets context on its own
 * service thread (libwebsockets is not thread-safe: instances queue commands
 * and wake it with lws_cancel_service).  Events (open, message, close,
 * error) are posted into the owning instance's loop; the prelude turns them
 * into the WebSocket object's events.  An open socket is a loop resource
 * (closed on stop, reload, free) and keeps the instance alive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <libwebsockets.h>
#include "runtime/internal.h"
#include "runtime/loop.h"
#include "runtime/web/web.h"
#include "core/core.h"
#include "util/util.h"

enum { EV_OPEN, EV_MESSAGE, EV_CLOSE, EV_ERROR };

typedef struct ws_frame {
    struct ws_frame *next;
    int binary;
    size_t len;
    unsigned char data[];        /* LWS_PRE bytes of room, then the payload */
} ws_frame;

typedef struct ws_conn {
    ami__resource res;           /* first: the loop's resource (instance side) */
    pthread_mutex_t mu;
    int refs;
    ami_runtime *inst;           /* NULL once closed by the instance (under mu) */
    int64_t id;
    /* target */
    char *host, *path, *origin, *protocols, *ca_file;
    int port, tls;
    /* commands from the instance (under mu) */
    ws_frame *out_head, *out_tail;
    int close_code;              /* > 0: close requested */
    char close_reason[124];
    int want_connect;
    int abandon;                 /* the instance is gone: close without events */
    /* service thread */
    struct lws *wsi;
    ami_buf in;                  /* a message being assembled */
    int in_binary;
    int peer_code;
    char peer_reason[124];
    int ended;                   /* close/error delivered */
    struct ws_conn *next_cmd;    /* in the service's command list */
    int queued;
    /* instance side */
    struct ws_conn *next;
} ws_conn;

typedef struct {
    ws_conn *c;
    int type;
    int code;
    int binary;
    size_t len;
    char data[];
} ws_event;

static pthread_once_t ws_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t ws_mu = PTHREAD_MUTEX_INITIALIZER;
static struct lws_context *ws_ctx;
static ws_conn *ws_cmds;          /* connections with pending commands (under ws_mu) */
static int ws_ok;

static ami_runtime *instance_of(duk_context *ctx)
{
    duk_memory_functions mf;
    duk_get_memory_functions(ctx, &mf);
    return mf.udata;
}

static void conn_unref(ws_conn *c)
{
    if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    for (ws_frame *f = c->out_head, *n; f; f = n) { n = f->next; ami_free(f); }
    ami_free(c->host);
    ami_free(c->path);
    ami_free(c->origin);
    ami_free(c->protocols);
    ami_free(c->ca_file);
    ami_buf_dispose(&c->in);
    pthread_mutex_destroy(&c->mu);
    ami_free(c);
}

/* Queue c for the service thread and wake it (any thread). */
static void kick(ws_conn *c)
{
    pthread_mutex_lock(&ws_mu);
    if (!c->queued) {
        c->queued = 1;
        __atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
        c->next_cmd = ws_cmds;
        ws_cmds = c;
    }
    pthread_mutex_unlock(&ws_mu);
    lws_cancel_service(ws_ctx);
}

/* ---- events into the instance ---- */

static void drop_event(void *data)
{
    ws_event *e = data;
    conn_unref(e->c);
    ami_free(e);
}

typedef struct { ws_event *e; } push_arg;

static duk_ret_t push_event(duk_context *ctx, void *udata)
{
    ws_event *e = udata;
    duk_push_global_stash(ctx);
    duk_get_prop_string(ctx, -1, "wscb");
    duk_push_number(ctx, (double)e->c->id);
    duk_get_prop(ctx, -2);
    duk_remove(ctx, -2);
    duk_remove(ctx, -2);
    duk_push_int(ctx, e->type);
    if (e->type == EV_MESSAGE && e->binary) {
        void *b = duk_push_fixed_buffer(ctx, e->len);
        if (e->len) memcpy(b, e->data, e->len);
        duk_push_buffer_object(ctx, -1, 0, e->len, DUK_BUFOBJ_ARRAYBUFFER);
        duk_remove(ctx, -2);
    } else {
        ami__utf8_push(ctx, (const unsigned char *)e->data, e->len, 0);
    }
    duk_push_int(ctx, e->code);
    return 4;
}

static void conn_detach(ami_runtime *inst, ws_conn *c)
{
    ami__web *w = inst->web;
    for (ws_conn **pp = (ws_conn **)&w->sockets; *pp; pp = &(*pp)->next)
        if (*pp == c) { *pp = c->next; w->n_sockets--; break; }
    ami__loop_remove_resource(inst, &c->res);
    ami__loop_unref(inst);
    pthread_mutex_lock(&c->mu);
    c->inst = NULL;
    pthread_mutex_unlock(&c->mu);
}

static void task_event(duk_context *ctx, void *data)
{
    ws_event *e = data;
    ami_runtime *inst = instance_of(ctx);
    int live = 0;
    for (ws_conn *c = inst->web->sockets; c; c = c->next)
        if (c == e->c) { live = 1; break; }
    if (!live) { drop_event(e); return; }
    ws_conn *c = e->c;
    int last = e->type == EV_CLOSE;
    if (last) conn_detach(inst, c);   /* the socket's end: no longer a handle */
    duk_idx_t top = duk_get_top(ctx);
    int rc = duk_safe_call(ctx, push_event, e, 0, 4);
    int64_t id = c->id;
    drop_event(e);
    if (last) conn_unref(c);          /* the instance's */
    if (rc != 0) { duk_set_top(ctx, top + 1); (void)duk_throw(ctx); }
    if (last) {
        /* forget the callback first: the call may throw */
        duk_push_global_stash(ctx);
        duk_get_prop_string(ctx, -1, "wscb");
        duk_push_number(ctx, (double)id);
        duk_del_prop(ctx, -2);
        duk_pop_2(ctx);
    }
    duk_call(ctx, 3);
    duk_set_top(ctx, top);
}

/* Service thread: post an event to c's instance (if it still has one). */
static void post(ws_conn *c, int type, int code, int binary, const void *p, size_t n)
{
    pthread_mutex_lock(&c->mu);
    ami_runtime *inst = c->abandon ? NULL : c->inst;
    if (inst) {
        ws_event *e = ami_malloc(sizeof *e + n + 1);
        if (e) {
            e->c = c;
            e->type = type;
            e->code = code;
            e->binary = binary;
            e->len = n;
            if (n) memcpy(e->data, p, n);
            e->data[n] = '\0';
            __atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
            ami__loop_post(inst, task_event, drop_event, e);
        }
    }
    pthread_mutex_unlock(&c->mu);
}

/* ---- the service thread ---- */

static struct lws_vhost *vhost_for(const char *ca_file)
{
    char name[32];
    unsigned h = 5381;
    for (const char *p = ca_file ? ca_file : ""; *p; p++) h = h * 33 + (unsigned char)*p;
    snprintf(name, sizeof name, "ami-%08x", h);
    struct lws_vhost *v = lws_get_vhost_by_name(ws_ctx, name);
    if (v) return v;
    /* libwebsockets keeps the vhost_name pointer (no copy), so the name must
     * live as long as the context: kept on a list for the process's life */
    static struct vname { struct vname *next; char name[32]; } *names;
    struct vname *vn = malloc(sizeof *vn);
    if (!vn) return NULL;
    memcpy(vn->name, name, sizeof vn->name);
    vn->next = names;
    names = vn;
    extern const struct lws_protocols ami__ws_protocols[];
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = ami__ws_protocols;
    info.vhost_name = vn->name;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = ca_file;
    return lws_create_vhost(ws_ctx, &info);
}

static void end_conn(ws_conn *c, int code, const char *reason, int error, const char *errmsg)
{
    if (c->ended) return;
    c->ended = 1;
    if (error) post(c, EV_ERROR, 0, 0, errmsg, strlen(errmsg));
    post(c, EV_CLOSE, code, 0, reason, strlen(reason));
}

static void run_commands(void)
{
    pthread_mutex_lock(&ws_mu);
    ws_conn *list = ws_cmds;
    ws_cmds = NULL;
    for (ws_conn *c = list; c; c = c->next_cmd) c->queued = 0;
    pthread_mutex_unlock(&ws_mu);
    while (list) {
        ws_conn *c = list;
        list = c->next_cmd;
        pthread_mutex_lock(&c->mu);
        int connect = c->want_connect, abandon = c->abandon;
        c->want_connect = 0;
        int have_work = c->out_head || c->close_code;
        pthread_mutex_unlock(&c->mu);
        if (connect && !abandon) {
            struct lws_client_connect_info ci;
            memset(&ci, 0, sizeof ci);
            ci.context = ws_ctx;
            ci.vhost = vhost_for(c->ca_file);
            ci.address = c->host;
            ci.port = c->port;
            ci.path = c->path;
            ci.host = c->host;
            ci.origin = c->origin;
            ci.protocol = c->protocols && c->protocols[0] ? c->protocols : NULL;
            ci.local_protocol_name = "ami-ws";
            ci.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
            ci.userdata = c;
            ci.pwsi = &c->wsi;
            __atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);   /* the connection's (dropped at its end) */
            if (!ci.vhost || !lws_client_connect_via_info(&ci)) {
                c->wsi = NULL;
                end_conn(c, 1006, "", 1, "WebSocket: cannot start the connection");
                conn_unref(c);
            }
        } else if (c->wsi && (have_work || abandon)) {
            lws_callback_on_writable(c->wsi);
        }
        conn_unref(c);   /* the command list's */
    }
}

static int on_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    ws_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        run_commands();
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (c) post(c, EV_OPEN, 0, 0, "", 0);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!c) return 0;
        if (lws_is_first_fragment(wsi)) { ami_buf_clear(&c->in); c->in_binary = lws_frame_is_binary(wsi); }
        ami_buf_put(&c->in, in, len);
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            post(c, EV_MESSAGE, 0, c->in_binary, c->in.ptr ? c->in.ptr : "", c->in.size);
            ami_buf_clear(&c->in);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (!c) return 0;
        pthread_mutex_lock(&c->mu);
        ws_frame *f = c->out_head;
        if (f) { c->out_head = f->next; if (!c->out_head) c->out_tail = NULL; }
        int code = c->close_code, abandon = c->abandon, more = c->out_head != NULL;
        char reason_text[124];
        snprintf(reason_text, sizeof reason_text, "%s", c->close_reason);
        pthread_mutex_unlock(&c->mu);
        if (f) {
            int n = lws_write(wsi, f->data + LWS_PRE, f->len, f->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
            ami_free(f);
            if (n < 0) return -1;
            if (more || code || abandon) lws_callback_on_writable(wsi);
            return 0;
        }
        if (abandon) return -1;
        if (code) {
            lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)reason_text, strlen(reason_text));
            c->peer_code = code;
            snprintf(c->peer_reason, sizeof c->peer_reason, "%s", reason_text);
            return -1;
        }
        return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (c && len >= 2) {
            const unsigned char *p = in;
            c->peer_code = p[0] << 8 | p[1];
            size_t rl = len - 2 < sizeof c->peer_reason - 1 ? len - 2 : sizeof c->peer_reason - 1;
            memcpy(c->peer_reason, p + 2, rl);
            c->peer_reason[rl] = '\0';
        } else if (c) {
            c->peer_code = 1005;
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        if (!c) return 0;
        char msg[300];
        snprintf(msg, sizeof msg, "WebSocket: cannot connect to %s:%d: %.200s", c->host, c->port,
                 in ? (const char *)in : "connection failed");
        c->wsi = NULL;
        end_conn(c, 1006, "", 1, msg);
        conn_unref(c);   /* the connection's */
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!c) return 0;
        c->wsi = NULL;
        end_conn(c, c->peer_code ? c->peer_code : 1006, c->peer_reason, 0, "");
        conn_unref(c);   /* the connection's */
        return 0;
    default:
        return 0;
    }
}

const struct lws_protocols ami__ws_protocols[] = {
    { "ami-ws", on_ws, 0, 64 * 1024, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void *service_main(void *arg)
{
    (void)arg;
    for (;;) lws_service(ws_ctx, 0);
    return NULL;
}

static void service_init(void)
{
    lws_set_log_level(0, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = ami__ws_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.gid = -1;
    info.uid = -1;
    ws_ctx = lws_create_context(&info);
    if (!ws_ctx) return;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, service_main, NULL) == 0) ws_ok = 1;
    pthread_attr_destroy(&attr);
    vhost_for(NULL);   /* the default vhost (system CA store); lws_service needs one */
}

/* ---- the instance side ---- */

static void conn_close_res(ami__resource *res)
{
    ws_conn *c = (ws_conn *)res;
    ami_runtime *inst = c->inst;
    if (inst) {
        ami__web *w = inst->web;
        for (ws_conn **pp = (ws_conn **)&w->sockets; *pp; pp = &(*pp)->next)
            if (*pp == c) { *pp = c->next; w->n_sockets--; break; }
    }
    pthread_mutex_lock(&c->mu);
    c->inst = NULL;
    c->abandon = 1;
    pthread_mutex_unlock(&c->mu);
    kick(c);
    conn_unref(c);   /* the instance's */
}

/* W.wsOpen(url, protocols, cb) -> id */
duk_ret_t ami__web_ws_open(duk_context *ctx)
{
    ami_runtime *inst = instance_of(ctx);
    ami__web *w = inst->web;
    ami__runtime_host_enter(ctx, inst);
    const char *url = duk_require_string(ctx, 0);
    const char *protocols = duk_require_string(ctx, 1);
    duk_require_function(ctx, 2);
    ami__web_check_connect(ctx, w, "WebSocket", url, "SyntaxError", w->n_sockets, w->sockets_max, "sockets are already open",
                           "sockets_max");
    int tls;
    if (!strncasecmp(url, "wss://", 6)) tls = 1;
    else if (!strncasecmp(url, "ws://", 5)) tls = 0;
    else ami__runtime_throw(ctx, "SyntaxError", "WebSocket: the URL's scheme must be ws or wss (got %.100s)", url);
    pthread_once(&ws_once, service_init);
    if (!ws_ok) ami__runtime_throw(ctx, "NetworkError", "WebSocket: the client service could not start");
    /* split ws[s]://host[:port]/path (the prelude normalised it with URL) */
    const char *a = url + (tls ? 6 : 5), *pe = a + strcspn(a, "/?#");
    const char *at = NULL;
    for (const char *q = a; q < pe; q++) if (*q == '@') at = q;
    if (at) a = at + 1;
    const char *hend = *a == '[' ? memchr(a, ']', (size_t)(pe - a)) : NULL;
    hend = hend ? hend + 1 : memchr(a, ':', (size_t)(pe - a));
    if (!hend) hend = pe;
    int port = tls ? 443 : 80;
    if (hend < pe && *hend == ':') port = atoi(hend + 1);
    ws_conn *c = ami_malloc(sizeof *c);
    if (!c) ami__runtime_throw(ctx, "RangeError", "WebSocket: out of memory");
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->refs = 1;   /* the instance's */
    c->inst = inst;
    c->tls = tls;
    c->port = port;
    size_t hl = (size_t)(hend - a);
    if (hl > 2 && a[0] == '[') { a++; hl -= 2; }
    c->host = ami__strndup(a, hl);
    const char *path = *pe == '/' || *pe == '?' ? pe : "/";
    ami_buf pb = AMI_BUF_INIT;
    if (*path == '?') ami_buf_puts(&pb, "/");
    ami_buf_put(&pb, path, strcspn(path, "#"));
    c->path = ami_buf_detach(&pb);
    ami_buf ob = AMI_BUF_INIT;
    ami_buf_printf(&ob, "%s://%s", tls ? "https" : "http", c->host ? c->host : "");
    c->origin = ami_buf_detach(&ob);
    c->protocols = ami__strdup(protocols);
    c->ca_file = w->ca_file ? ami__strdup(w->ca_file) : NULL;
    if (!c->host || !c->path || !c->origin || !c->protocols || (w->ca_file && !c->ca_file)) {
        conn_unref(c);
        ami__runtime_throw(ctx, "RangeError", "WebSocket: out of memory");
    }
    c->id = ++w->next_id;
    c->res.close = conn_close_res;
    duk_push_global_stash(ctx);
    if (!duk_get_prop_string(ctx, -1, "wscb")) {
        duk_pop(ctx);
        duk_push_bare_object(ctx);
        duk_dup(ctx, -1);
        duk_put_prop_string(ctx, -3, "wscb");
    }
    duk_push_number(ctx, (double)c->id);
    duk_dup(ctx, 2);
    duk_put_prop(ctx, -3);
    duk_pop_2(ctx);
    c->next = w->sockets;
    w->sockets = c;
    w->n_sockets++;
    ami__loop_add_resource(inst, &c->res);
    ami__loop_ref(inst);
    c->want_connect = 1;
    kick(c);
    duk_push_number(ctx, (double)c->id);
    return 1;
}

static ws_conn *find_conn(ami_runtime *inst, int64_t id)
{
    for (ws_conn *c = inst->web->sockets; c; c = c->next)
        if (c->id == id) return c;
    return NULL;
}

/* W.wsSend(id, data (string | bytes), binary) -> bytes queued */
duk_ret_t ami__web_ws_send(duk_context *ctx)
{
    ami_runtime *inst = instance_of(ctx);
    ws_conn *c = find_conn(inst, (int64_t)duk_require_number(ctx, 0));
    if (!c) return 0;
    int binary = duk_to_boolean(ctx, 2);
    const void *p;
    duk_size_t n;
    ami_buf tmp = AMI_BUF_INIT;
    if (binary) p = duk_require_buffer_data(ctx, 1, &n);
    else {
        const char *s = duk_require_lstring(ctx, 1, &n);
        const char *t;
        size_t tn;
        if (ami__cesu8_to_utf8(s, n, &tmp, &t, &tn)) { ami_buf_dispose(&tmp); ami__runtime_throw(ctx, "RangeError", "out of memory"); }
        p = t;
        n = tn;
    }
    ws_frame *f = ami_malloc(sizeof *f + LWS_PRE + n);
    if (!f) { ami_buf_dispose(&tmp); ami__runtime_throw(ctx, "RangeError", "WebSocket.send: out of memory"); }
    f->next = NULL;
    f->binary = binary;
    f->len = n;
    if (n) memcpy(f->data + LWS_PRE, p, n);
    ami_buf_dispose(&tmp);
    pthread_mutex_lock(&c->mu);
    if (c->out_tail) c->out_tail->next = f; else c->out_head = f;
    c->out_tail = f;
    pthread_mutex_unlock(&c->mu);
    kick(c);
    duk_push_number(ctx, (double)n);
    return 1;
}

/* W.wsClose(id, code, reason) */
duk_ret_t ami__web_ws_close(duk_context *ctx)
{
    ami_runtime *inst = instance_of(ctx);
    ws_conn *c = find_conn(inst, (int64_t)duk_require_number(ctx, 0));
    if (!c) return 0;
    int code = duk_get_int_default(ctx, 1, 1000);
    const char *reason = duk_get_string_default(ctx, 2, "");
    pthread_mutex_lock(&c->mu);
    c->close_code = code ? code : 1000;
    snprintf(c->close_reason, sizeof c->close_reason, "%s", reason);
    pthread_mutex_unlock(&c->mu);
    kick(c);
    return 0;
}
