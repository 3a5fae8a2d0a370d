/*
 * ami/webfix.h — the WebFIX API (docs/design.md §9, spec 003) as a transport-free
 * dispatcher: a WebFIX JSON request and a session header in, an HTTP status
 * and a JSON body out.  amid serves it over HTTP; hosts, bindings and tests
 * may call it directly.  Also the signed-login helpers (secp256k1 keys, PEM
 * on disk) that amictl and tests use on the client side.
 */
#ifndef AMI_WEBFIX_H
#define AMI_WEBFIX_H

#include <jansson.h>
#include "ami/common.h"
#include "ami/store.h"
#include "ami/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque dispatcher.  Thread-safe: many threads may call ami_webfix_handle at once. */
typedef struct ami_webfix ami_webfix;

/** Fills *out with a JSON array of templates (caller's reference); 0 or a negative AMI_E… code. */
typedef int (*ami_webfix_templates_fn)(json_t **out, void *payload);

/** Largest request body accepted (bytes); larger ones get HTTP 413. */
#define AMI_WEBFIX_MAX_BODY ((size_t)1 << 20)

/**
 * What getWorkerStats, getWorkerLogs and the log streams answer for.  The
 * other methods read the shared store and do not depend on it.
 *  - NODE: this node only — its live stats and log ring when there is a node,
 *    else the stats records the node `nid` wrote and its local store.
 *  - CLUSTER: every node — the node's own live rows (if any) plus the stats
 *    records of the other nodes, and the lines of every node's local store
 *    found next to the shared one (ami_node_local_uri, needs store_uri).
 * Either way a stats row that says running while its node has no live
 * heartbeat reads as state "lost" (not running: the node was killed), and
 * rows of deleted workers are left out.  Nodes write their rows with a
 * 10-minute expiry, so a gone node's rows leave by themselves.
 */
typedef enum { AMI_WEBFIX_SCOPE_NODE = 0, AMI_WEBFIX_SCOPE_CLUSTER = 1 } ami_webfix_scope;

/** Dispatcher options.  Initialise with AMI_WEBFIX_OPTIONS_INIT. */
typedef struct ami_webfix_options {
    unsigned int version;          /* AMI_WEBFIX_OPTIONS_VERSION */
    ami_node *node;                /* borrowed; NULL = store-only (stats/logs read from the stores) */
    ami_store *store;              /* borrowed shared store; NULL = the node's */
    ami_store *local_store;        /* borrowed node-local store (logs); NULL = the node's, if any */
    const char *nid;               /* node id for setWorker/stats; NULL = the node's, else "local" */
    const char *network;           /* network name of log keys, default "localnet" */
    const char *const *owners;     /* owner public keys: 66 hex digits (compressed secp256k1) */
    size_t owners_count;           /* 0 = open mode: no session needed, every caller is an owner */
    int allow_viewers;             /* non-zero: a valid login by a non-owner key gets role "viewer" */
    int64_t session_ttl_ms;        /* default 24 h */
    int64_t clock_skew_ms;         /* login timestamp tolerance, default 5 min */
    size_t max_sessions;           /* live sessions kept, default 100000 (503 beyond) */
    ami_webfix_templates_fn templates_fn;  /* listTemplates; NULL = the built-in ones (ami_template_list) */
    void *templates_payload;
    /* version 2: */
    ami_webfix_scope scope;        /* default NODE */
    const char *store_uri;         /* the shared store's URI: where CLUSTER scope finds the nodes' local stores */
} ami_webfix_options;

#define AMI_WEBFIX_OPTIONS_VERSION 2
#define AMI_WEBFIX_OPTIONS_INIT { AMI_WEBFIX_OPTIONS_VERSION, NULL, NULL, NULL, NULL, "localnet", NULL, 0, 0, \
                                  (int64_t)24 * 3600 * 1000, (int64_t)5 * 60 * 1000, 100000, NULL, NULL, \
                                  AMI_WEBFIX_SCOPE_NODE, NULL }

/**
 * Create a dispatcher.  setWorker, updateWorker and validateScript compile
 * scripts through the registry (ami_registry_check_script).  Owner keys are checked (AMI_EINVAL naming a bad one);
 * a store is required (opts->store or opts->node).  Free with ami_webfix_free.
 */
AMI_EXTERN(int) ami_webfix_new(ami_webfix **out, const ami_webfix_options *opts);
/** Free a dispatcher and its sessions (NULL is fine). */
AMI_EXTERN(void) ami_webfix_free(ami_webfix *wf);

/**
 * Handle one request.  `body` is the request body (`len` bytes, need not be
 * NUL-terminated); `session` is the `stels-session` header or NULL.  On
 * return *http_status is 200, 207, 400, 401, 403, 404, 409, 413, 500 or 503
 * and `response` holds the JSON body.  Returns 0 whenever a response was
 * produced (error statuses included); AMI_EINVAL/AMI_ENOMEM otherwise.
 */
AMI_EXTERN(int) ami_webfix_handle(ami_webfix *wf, const char *body, size_t len, const char *session,
                                  int *http_status, ami_buf *response);

/** The node id the dispatcher answers for (borrowed; lives as long as wf). */
AMI_EXTERN(const char *) ami_webfix_nid(const ami_webfix *wf);

/** Session roles. */
typedef enum { AMI_WEBFIX_ROLE_NONE = 0, AMI_WEBFIX_ROLE_VIEWER = 1, AMI_WEBFIX_ROLE_OWNER = 2 } ami_webfix_role;

/**
 * Check a session token (for transports' own routes, e.g. log streams).
 * *out is the role; AMI_EAUTH when missing, unknown or expired (open mode:
 * always owner).
 */
AMI_EXTERN(int) ami_webfix_session_check(ami_webfix_role *out, ami_webfix *wf, const char *session);

/**
 * A worker's log lines with ts > after_ts, oldest first, at most `limit`
 * (0 = all kept): array of {ts, level, nid, sid, msg}; from the node when
 * there is one, else from the local store [network,"logs",sid,ts].
 */
AMI_EXTERN(int) ami_webfix_logs(json_t **out, ami_webfix *wf, const char *sid, int64_t after_ts, size_t limit);

/**
 * Append the worker and WebFIX parts of a Prometheus text exposition
 * (per-worker executions/errors counters, running and leader gauges, node
 * info, WebFIX calls by method and status) to `out`.
 */
AMI_EXTERN(int) ami_webfix_metrics(ami_webfix *wf, ami_buf *out);

/* ---- client side: keys and signed login ---- */

/** Length of a compressed secp256k1 public key in hex (33 bytes). */
#define AMI_WEBFIX_PUBKEY_HEX 66

/**
 * Generate a secp256k1 key pair, write the private key as PEM to `path`
 * (created with mode 0600; an existing file is refused with AMI_EINVAL) and
 * put the public key's hex into out (67 bytes).  Errors: AMI_EIO, AMI_EINVAL.
 */
AMI_EXTERN(int) ami_webfix_keygen(char out[AMI_WEBFIX_PUBKEY_HEX + 1], const char *path);

/** Read a PEM private (or public) secp256k1 key and give its public key hex (67 bytes). AMI_EIO, AMI_EINVAL. */
AMI_EXTERN(int) ami_webfix_key_public(char out[AMI_WEBFIX_PUBKEY_HEX + 1], const char *path);

/**
 * Build a signed connectionNode request body for the key in `key_path`
 * (PEM private key): {"webfix":"1.0","method":"connectionNode","body":
 * {publicKey, timestamp, nonce, signature}} with the current time and a fresh
 * random nonce.  *out is the JSON text (free with ami_free).
 */
AMI_EXTERN(int) ami_webfix_sign_login(char **out, const char *key_path);

#ifdef __cplusplus
}
#endif
#endif
