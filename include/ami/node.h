/*
 * ami/node.h — a node: the scheduler that runs this node's share of the
 * workers in the shared store (docs/design.md §5–7), with lease election for leader
 * workers, the error policy, stats, logs and heartbeats.
 *
 * A host opens a node with options, starts it (threads run in the
 * background), queries it, and stops it (graceful shutdown releases leases,
 * writes final stats and removes the heartbeat).
 */
#ifndef AMI_NODE_H
#define AMI_NODE_H

#include <jansson.h>
#include "ami/common.h"
#include "ami/store.h"
#include "ami/classify.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque node handle. All functions are thread-safe. */
typedef struct ami_node ami_node;

/** One worker log line, as handed to a log sink (borrowed for the duration of the call). */
typedef struct ami_node_log_record {
    int64_t ts;           /* ms since epoch */
    const char *level;    /* "info" | "warn" | "error" | "debug" */
    const char *nid;
    const char *sid;
    const char *msg;
} ami_node_log_record;

/**
 * Receives every worker log line — the script's logger.* lines and the node's own
 * lines about that worker (elections, fencing, errors, policy stops).  Called
 * from node and worker threads, possibly with node locks held: it must be
 * thread-safe and quick, and must not call ami_node_* functions.
 */
typedef void (*ami_node_log_fn)(const ami_node_log_record *rec, void *payload);

/** One finished iteration (a run of the script body), as handed to an iteration callback. */
typedef struct ami_node_iteration {
    const char *sid;          /* the worker */
    const char *nid;          /* this node */
    int code;                 /* 0: the body returned; else its AMI_E… code (AMI_ESCRIPT, AMI_ELIMIT, AMI_ESTOPPED, AMI_ELEASE) */
    const char *error;        /* "Name: message" when code != 0, else NULL */
    int64_t duration_ms;      /* wall time of the run */
    uint64_t iteration;       /* 1 for the first run of this worker on this node, then 2, 3, … */
} ami_node_iteration;

/**
 * Called after every iteration of every worker on this node, on the runner
 * thread that ran it, with no node lock held (every field is borrowed for the
 * call).  It may call ami_node_* query functions (stats, logs, leader info) but
 * should be quick: the worker and that runner wait for it.  Must be thread-safe.
 */
typedef void (*ami_node_iteration_fn)(const ami_node_iteration *it, void *payload);

/**
 * Node options.  Initialise with AMI_NODE_OPTIONS_INIT, then set what you
 * need.  New fields are only ever added at the end (with a new version), a
 * zero or NULL field means its default, and a host built against an older
 * header keeps working: ami_node_open reads only the fields of the version
 * the host was compiled with.
 */
typedef struct ami_node_options {
    /* Zero means the default for capacity, lease_ms, renew_ms (lease_ms / 3), retry_ms,
     * heartbeat_ms, stats_ms, resync_ms, heap_bytes, slice_ms, log_line_bytes and every
     * field from version 2 on; graceful_shutdown_ms, log_ring and loop_delay_ms take 0
     * literally (no wait, no ring, no delay), so start from AMI_NODE_OPTIONS_INIT. */
    unsigned int version;          /* AMI_NODE_OPTIONS_VERSION */
    const char *store_uri;         /* shared store (required), e.g. "sqlite:/var/lib/ami/ami.db" */
    const char *local_store_uri;   /* node-local store (Stels.local, worker logs); NULL = "sqlite:<shared path>.<nid>.local" */
    const char *nid;               /* node id (required), e.g. "s-0001" */
    const char *network;           /* network name, default "localnet" */
    int capacity;                  /* max running workers, default 1024 */
    int lease_ms;                  /* leader lease, default 60000 */
    int renew_ms;                  /* renew interval, default 20000 */
    int retry_ms;                  /* campaign/renew retry, default 2000 */
    int heartbeat_ms;              /* heartbeat interval, default 5000 (expiry 3x) */
    int graceful_shutdown_ms;      /* on stop, let iterations finish this long before interrupting, default 5000 */
    int stats_ms;                  /* persist stats every, default 2000 */
    int resync_ms;                 /* registry check period, default 5000: a quiet registry is re-listed every 12th */
    size_t heap_bytes;             /* per instance, default 64 MiB */
    int slice_ms;                  /* max synchronous slice, default 5000 */
    size_t log_line_bytes;         /* max log line, default 65536 */
    int log_ring;                  /* log lines kept per worker in memory, default 1000 (the local store keeps 5x) */
    ami_node_log_fn log_fn;        /* optional sink for worker log lines */
    void *log_payload;
    int loop_delay_ms;             /* delay between loop iterations; < 0 (default) = the priority's
                                      (critical 1, high 10, normal 100, low 1000 ms); 0 = none (benchmarks) */
    /* version 2 */
    ami_store *store;              /* shared store handle instead of store_uri (borrowed; must outlive the node),
                                      e.g. a "sqlite::memory:" store the host also uses */
    ami_store *local_store;        /* node-local store handle instead of local_store_uri (borrowed); NULL with
                                      `store` set and no local_store_uri: a private in-memory store */
    ami_node_iteration_fn on_iteration;   /* optional, see ami_node_iteration_fn */
    void *iteration_payload;
    int log_lines_per_s;           /* a worker's script log lines per second, default 200; more are dropped
                                      and a "N log lines dropped" line says so; 0 = default, < 0 = no limit */
    int log_bytes_per_s;           /* a worker's script log bytes per second, default 262144; 0 = default, < 0 = no limit */
    /* version 3: worker network I/O (docs/scripting.md "Network"): permissions as lists separated by commas or
     * blanks (copied; NULL or "" allows nothing) and limits (0 = the default). */
    const char *allow_net;         /* hosts fetch/WebSocket may reach: "api.example.com", "host:8443", "*.example.com", "*" */
    const char *allow_listen;      /* ports Deno.serve may bind: "8080", "9000-9100" */
    const char *allow_env;         /* environment variables Deno.env.get may read: "TZ", "*" */
    const char *ca_file;           /* extra PEM CA file for https/wss besides the system store */
    int fetch_timeout_ms;          /* one HTTP request, default 30000 */
    size_t fetch_body_bytes;       /* response body cap, default 16 MiB */
    int fetch_max;                 /* requests in flight per instance, default 32 */
    int sockets_max;               /* open WebSockets per instance, default 16 */
    /* version 4 */
    const char *cex;               /* "paper": every Stels.runtime.cex connector trades on a paper book in the
                                      shared store (docs/scripting.md "Exchanges"); NULL, "" or "live": as configured */
    /* version 5 */
    int runner_threads;            /* threads that run the instances which are ready (a waiting worker holds none,
                                      docs/node.md "Threads"); 0 = the number of cores */
} ami_node_options;

#define AMI_NODE_OPTIONS_VERSION 5
#define AMI_NODE_OPTIONS_INIT { AMI_NODE_OPTIONS_VERSION, NULL, NULL, NULL, "localnet", 1024, 60000, 20000, \
                                2000, 5000, 5000, 2000, 5000, (size_t)64 << 20, 5000, 65536, 1000, NULL, NULL, -1, \
                                NULL, NULL, NULL, NULL, 200, 262144, \
                                NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, 0 }

/**
 * Open a node: opens both stores and validates options (AMI_EINVAL with a
 * message naming the bad option or an unknown version; AMI_EIO when a store
 * cannot be opened).  Accepts options of versions 1 to AMI_NODE_OPTIONS_VERSION.  Nothing runs
 * until ami_node_start.
 */
AMI_EXTERN(int) ami_node_open(ami_node **out, const ami_node_options *opts);

/**
 * Replace the node's retry policy (copied; docs/design.md §7 numbers, see ami/classify.h).
 * Takes effect for the next error of every instance.  AMI_EINVAL on a NULL
 * policy or an unknown version.  Errors are classified with the process
 * default classifier (ami_classifier_default), which the host may extend.
 */
AMI_EXTERN(int) ami_node_set_policy(ami_node *node, const ami_policy *policy);

/** Start the scheduler, election, heartbeat and stats threads. AMI_EINVAL if already started. */
AMI_EXTERN(int) ami_node_start(ami_node *node);

/**
 * Graceful shutdown: stop accepting work, ask every instance to stop, wait up
 * to graceful_shutdown_ms, interrupt the rest, release held leases, write
 * final stats, remove the heartbeat.  Idempotent; returns when all is done.
 */
AMI_EXTERN(int) ami_node_stop(ami_node *node);

/** Stop (if running) and free the node and its stores (NULL is fine). */
AMI_EXTERN(void) ami_node_free(ami_node *node);

/** The node's id (borrowed, lives as long as the node). */
AMI_EXTERN(const char *) ami_node_id(const ami_node *node);
/** The shared store the node uses (borrowed). */
AMI_EXTERN(ami_store *) ami_node_store(ami_node *node);
/** The node-local store (borrowed). */
AMI_EXTERN(ami_store *) ami_node_local_store(ami_node *node);

/**
 * This node's worker stats in the getWorkerStats shape of spec 003 §5
 * (totals + workers[] with sid, started, uptime, executions, errors,
 * networkErrors, criticalErrors, consecutiveErrors, errorRate, lastError,
 * lastErrorType, lastRun, lastRunAgo, scriptHash, isRunning, plus state,
 * term, nid; stopReason when the policy stopped it).  Lists the workers this
 * node has scheduled (leader workers on their leader only).  *out is the caller's.
 */
AMI_EXTERN(int) ami_node_stats(json_t **out, ami_node *node);

/**
 * A worker's recent log lines on this node, oldest first, at most `limit`
 * (0 = all kept): array of {ts, level, nid, sid, msg}.  From the in-memory
 * ring, or from the node-local store when the ring is empty (e.g. after a
 * restart).  *out is the caller's.
 */
AMI_EXTERN(int) ami_node_logs(json_t **out, ami_node *node, const char *sid, size_t limit);

/** getLeaderInfo of spec 003 §6 for a worker (reads the lease from the store). *out is the caller's. */
AMI_EXTERN(int) ami_node_leader_info(json_t **out, ami_node *node, const char *sid);

/**
 * The node-local store a node with id `nid` uses by default next to the shared
 * store `store_uri`: "sqlite:<shared path>.<nid>.local" (the shared URI's
 * "sqlite:" and "?options" dropped).  The one place this naming lives: nodes,
 * `amictl run` and the cluster-wide log readers all call it.  *out is the
 * caller's (ami_free).  AMI_EINVAL when an argument is missing.
 */
AMI_EXTERN(int) ami_node_local_uri(char **out, const char *store_uri, const char *nid);
/** What ami_node_wait waits for. */
typedef enum {
    AMI_NODE_WAIT_ITERATION = 1,  /* at least one iteration (successful or not) has ended on this node */
    AMI_NODE_WAIT_FINISHED,       /* a single-mode worker completed its run (or was already done) */
    AMI_NODE_WAIT_STOPPED,        /* the worker ran here and no longer runs: finished, stopped by policy,
                                     deactivated, deleted or displaced */
    AMI_NODE_WAIT_ERRORED         /* at least one iteration ended with an error (or the script did not compile) */
} ami_node_wait_condition;

/**
 * Block until `condition` holds for worker `sid` on this node, or
 * `timeout_ms` passes (< 0: no limit).  The worker need not be known yet: a
 * worker just created in the registry is waited for (the node picks it up
 * within its resync interval, usually at once through the change feed).
 * Conditions hold from the start of the node (an iteration counted before
 * the call satisfies ITERATION).  Returns 0 when the condition holds,
 * AMI_ETIMEOUT (message says the worker's state), AMI_ESTOPPED when the node
 * stops meanwhile, AMI_EINVAL on a bad argument.  Any thread; the GIL-free
 * way for a binding to wait.
 */
AMI_EXTERN(int) ami_node_wait(ami_node *node, const char *sid, int condition, int timeout_ms);

/** Live nodes from their heartbeats: array of {nid, network, startedAt, heartbeatAt, running, capacity, version}. */
AMI_EXTERN(int) ami_node_list(json_t **out, ami_store *store);

#ifdef __cplusplus
}
#endif
#endif
