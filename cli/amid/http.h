/*
 * amid's HTTP layer (libmicrohttpd, internal epoll thread pool): WebFIX on
 * POST /, GET /healthz, GET /metrics, and the log stream
 * GET /api/worker/logs/stream?sid=…&follow=true (server-sent events), and
 * the web console's static files on other GETs (console.h).
 */
#ifndef AMID_HTTP_H
#define AMID_HTTP_H
#include <stddef.h>
#include "ami.h"
#include "ami/webfix.h"

typedef struct amid_http amid_http;

typedef struct amid_http_config {
    const char *address;          /* listen address, default "127.0.0.1" ("localhost" and IPv6 literals work) */
    int port;                     /* default 3000; 0 picks a free port (see amid_http_port) */
    int threads;                  /* epoll thread pool size, default 4 */
    unsigned int connection_timeout_s;  /* idle connection timeout, default 30 */
    unsigned int max_connections; /* connection cap, default 1024 */
    size_t max_body;              /* request body cap, default (and at most) AMI_WEBFIX_MAX_BODY: 413 beyond */
    size_t owners_count;          /* owners configured; 0 refuses a non-loopback address */
    int poll_ms;                  /* log stream poll interval, default 50 */
    const char *console_dir;      /* web console files served at GET /…; NULL = no console (GET / is 405) */
    const char *codemirror_dir;   /* served at /vendor/codemirror/…; NULL = not served */
    const char *tls_cert_pem;     /* PEM text: serve HTTPS; NULL = plain HTTP */
    const char *tls_key_pem;      /* PEM text of the certificate's key (with tls_cert_pem) */
} amid_http_config;

#define AMID_HTTP_CONFIG_INIT { "127.0.0.1", 3000, 4, 30, 1024, 0, 0, 50, NULL, NULL, NULL, NULL }

/**
 * Start serving `wf` (borrowed; `node` may be NULL).  Returns 0, or -1 with a
 * message from amid_http_error(): bad address, non-loopback without owners,
 * port in use.
 */
int amid_http_start(amid_http **out, const amid_http_config *cfg, ami_webfix *wf, ami_node *node);
/** 1 when `address` (an IPv4/IPv6 literal or "localhost") is a loopback address, 0 when not, -1 when invalid. */
int amid_http_address_is_loopback(const char *address);
/** Why the last amid_http_start on this thread failed (static text, never NULL). */
const char *amid_http_error(void);
/** The port actually bound (useful with port 0). */
int amid_http_port(const amid_http *http);
/** Stop serving (ends open log streams) and free (NULL is fine). */
void amid_http_stop(amid_http *http);

#endif
