/* Internal: the worker's web platform (docs/design.md §11) — web globals' natives,
 * permissions, limits, and the I/O services (fetch, WebSocket, Deno.serve). */
#ifndef AMI_RUNTIME_WEB_H
#define AMI_RUNTIME_WEB_H
#include <stddef.h>
#include <stdint.h>
#include "duktape.h"
#include "ami/runtime.h"

/* ---- permissions (perms.c) ---- */

typedef struct ami__net_rule {
    char *host;     /* lowercase; "*" any; "*.x" x and its subdomains */
    int port;       /* 0 = any */
} ami__net_rule;

typedef struct ami__perms {
    int refs;
    ami__net_rule *net;
    size_t n_net;
    int (*listen)[2];   /* [lo, hi] port ranges */
    size_t n_listen;
    char **env;
    size_t n_env;
} ami__perms;

/* Parse the comma/space separated lists ("host", "host:port", "*.domain", "*";
 * "8080", "9000-9100"; "NAME").  0 or AMI_EINVAL with the bad item in ami_error_last(). */
int ami__perms_new(ami__perms **out, const char *allow_net, const char *allow_listen, const char *allow_env);
/* Shared by the instance and its in-flight requests (thread-safe counts). */
ami__perms *ami__perms_ref(ami__perms *p);
void ami__perms_unref(ami__perms *p);
/* 1 when allowed.  host is as in a URL (IPv6 with or without brackets). */
int ami__perms_net(const ami__perms *p, const char *host, int port);
int ami__perms_listen(const ami__perms *p, int port);
int ami__perms_env(const ami__perms *p, const char *name);
/* Check a URL for fetch/WebSocket: scheme (http/https/ws/wss) and host:port.
 * 0 when allowed; else -1 with a message for PermissionDenied / TypeError in msg
 * (*is_type set when the URL itself is bad, not refused). */
int ami__perms_url(const ami__perms *p, const char *url, char *msg, size_t msglen, int *is_type);

/* ---- per-instance web state (web.c) ---- */

typedef struct ami__web {
    ami__perms *perms;
    char *ca_file;
    int timeout_ms;
    size_t body_max;
    int fetch_max;
    int sockets_max;
    int64_t mono0_ns;           /* performance.now() origin */
    void *fetches;              /* fetch.c: requests in flight (instance thread) */
    void *http;                 /* http_service.c: the HTTP client (made on first use) */
    int n_fetches;
    int64_t next_id;
    void *servers;              /* serve.c: listening servers (instance thread) */
    void *sockets;              /* websocket.c: open WebSockets (instance thread) */
    int n_sockets;
    /* the keys of the records made per request (ami__web_keys: interned strings the stash
     * keeps alive), in each record's order */
    int keys_made;
    void *key_s[1];             /* "_s": the hidden state of a Request or Response */
    void *key_resp[9];          /* a Response's state */
    void *key_req[8];           /* a Request's state */
    void *key_info[1];          /* a Deno.serve handler's second argument */
    void *key_addr[3];          /* its remoteAddr */
    void *req_proto, *resp_proto;   /* Request.prototype, Response.prototype (serve.c; the stash keeps them) */
} ami__web;

/* From the runtime options; 0 or AMI_EINVAL (bad permission list) / AMI_ENOMEM. */
int ami__web_new(ami__web **out, const ami_runtime_options *opts);
void ami__web_free(ami__web *w);

/* W.fetch / W.fetchAbort (fetch.c) */
duk_ret_t ami__web_fetch(duk_context *ctx);
duk_ret_t ami__web_fetch_abort(duk_context *ctx);
duk_ret_t ami__web_fetch_done(duk_context *ctx);
duk_ret_t ami__web_header_pairs(duk_context *ctx);

/* W.serve / W.serveClose / W.serveRespond / W.serveFail (serve.c) */
duk_ret_t ami__web_serve(duk_context *ctx);
duk_ret_t ami__web_serve_close(duk_context *ctx);
duk_ret_t ami__web_serve_respond(duk_context *ctx);
duk_ret_t ami__web_serve_fail(duk_context *ctx);

/* Make w's record keys (key_s … key_addr) on first use; may throw (out of memory). */
void ami__web_keys(duk_context *ctx, ami__web *w);
/* Whether s[0..n) is an absolute http(s) URL already in the WHATWG normal form
 * (W.href: then it is its own href). */
int ami__web_href_normal(const char *s, size_t n);

/* scripts/duk_record.c (appended to Duktape): see there */
void ami__duk_push_record(duk_context *ctx, void *proto, void *const *keys, int n, int hidden);
int ami__duk_record_pairs(duk_context *ctx, duk_idx_t idx);
void ami__duk_pack(duk_context *ctx, duk_idx_t count);

/* W.wsOpen / W.wsSend / W.wsClose (websocket.c) */
duk_ret_t ami__web_ws_open(duk_context *ctx);
duk_ret_t ami__web_ws_send(duk_context *ctx);
duk_ret_t ami__web_ws_close(duk_context *ctx);

/* The checks fetch and WebSocket make before opening a connection (web.c);
 * they throw in ctx.  The URL against allow_net: PermissionDenied naming the
 * host and the option that would allow it, or bad_url_error ("TypeError",
 * "SyntaxError") when the URL itself is bad; then the instance's limit:
 * RangeError "<api>: <open> <held> (the node's <limit_name> limit)" when
 * open >= max. */
void ami__web_check_connect(duk_context *ctx, const ami__web *w, const char *api, const char *url,
                            const char *bad_url_error, int open, int max, const char *held, const char *limit_name);
/* Push the array [[name, value], …] of a name\0value\0… list, names in
 * lowercase (ASCII), values as UTF-8 (a Latin-1 byte stays readable): the
 * list a Headers object keeps.  May throw. */
void ami__web_push_header_pairs(duk_context *ctx, const char *list, size_t size);

/* The worker's stop hook: post `sig` ("SIGTERM", "SIGINT") to the instance; the
 * listeners Deno.addSignalListener registered run once, on its thread, with
 * graceful_ms to finish.  Thread-safe; 0 or AMI_ESTOPPED / AMI_ENOMEM. */
int ami__runtime_signal(ami_runtime *r, const char *sig, int graceful_ms);

/* Whether the instance ever added a stop hook (Deno.addSignalListener).
 * Instance thread, between runs. */
int ami__runtime_has_stop_hook(ami_runtime *r);

/* host.web(): pushes an object with the natives the lazy web prelude uses. */
duk_ret_t ami__web_host(duk_context *ctx);

/* UTF-8 (possibly invalid) to a Duktape string: supplementary characters as
 * surrogate pairs, invalid sequences U+FFFD (or, when fatal, returns -1). */
int ami__utf8_push(duk_context *ctx, const unsigned char *p, size_t n, int fatal);

#endif
