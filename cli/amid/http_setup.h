/*
 * Glue between amid's configuration (config.h) and its HTTP layer (http.h):
 * reads and claims the HTTP/auth keys, builds the WebFIX dispatcher over the
 * node, and starts/stops the server.  Keys: listen, http_threads,
 * connection_timeout, max_connections, owners, allow_viewers, session_ttl,
 * scope, console, codemirror.
 */
#ifndef AMID_HTTP_SETUP_H
#define AMID_HTTP_SETUP_H
#include <limits.h>
#include <stddef.h>
#include "config.h"
#include "http.h"

typedef struct amid_http_setup {
    amid_http_config http;
    char address[256];
    char **owners;             /* owner keys (hex), owners_count of them */
    size_t owners_count;
    int allow_viewers;
    long long session_ttl_s;
    ami_webfix_scope scope;    /* scope = cluster (default) | node: what stats and logs answer for */
    const char *store_uri;     /* the shared store (set by main): where the cluster's local stores are */
    char *tls_cert, *tls_key;  /* PEM text read from tls_cert / tls_key; NULL = plain HTTP */
    int disabled;              /* listen = off */
    int explicit_listen;       /* listen was configured (else the default is best effort) */
    char console_dir[PATH_MAX];    /* the web console's files; "" = no console */
    char codemirror_dir[PATH_MAX]; /* the editor component's files; "" = none */
    ami_webfix *wf;
    amid_http *server;
} amid_http_setup;

/* Read and claim the HTTP keys from cfg.  0, or -1 with a message in err (a usage error). */
int amid_http_configure(amid_http_setup *s, amid_config *cfg, char *err, size_t errlen);
/*
 * Build the dispatcher over `node` and start listening.  0, or -1 with a
 * message in err.  When `listen` was not configured and the default address
 * is taken (another amid on this host), warn and go on without HTTP.
 */
int amid_http_launch(amid_http_setup *s, ami_node *node, char *err, size_t errlen);
/* Stop serving and free everything (safe on a setup that never launched). */
void amid_http_teardown(amid_http_setup *s);
#endif
