/* Internal: the node's shared state, per-worker slots and what its files share. */
#ifndef AMI_NODE_INTERNAL_H
#define AMI_NODE_INTERNAL_H
#include <pthread.h>
#include <jansson.h>
#include "ami/node.h"
#include "ami/worker.h"
#include "ami/runtime.h"
#include "ami/classify.h"
#include "ami/election.h"

/* Stack of an instance thread: Duktape recurses in C (the RegExp compiler,
 * eval of nested literals, the collector's marking) up to its own limits, which need about 3 MiB at
 * -O2 (AMI_RUNTIME_STACK_MIN) and ~4x that under AddressSanitizer; less lets
 * a one-line script overflow the stack and kill the node.  Only touched pages
 * count towards RSS. */
#if defined(__SANITIZE_ADDRESS__)
#define AMI__NODE_STACK_BYTES ((size_t)AMI_RUNTIME_STACK_MIN * 4)
#else
#define AMI__NODE_STACK_BYTES ((size_t)AMI_RUNTIME_STACK_MIN)
#endif

/* Longest lastError kept in stats (bytes); the full text is in the worker's log. */
#define AMI__LAST_ERROR_MAX 1024

/* Message bytes one worker's in-memory log ring holds at most (oldest lines go first). */
#define AMI__LOG_RING_BYTES ((size_t)4 << 20)
/* Bytes of log lines waiting for the local store, node-wide, at most (more are dropped and counted). */
#define AMI__LOG_PENDING_BYTES ((size_t)16 << 20)

/* Longest log message persisted to the node-local store (a value is at most 64 KiB). */
#define AMI__LOG_STORE_MAX 60000

/* Key part used for the cluster-wide done marker of leader single-mode
 * workers: ["ami","done",sid,"*"] (a nid never is "*"). */
#define AMI__DONE_CLUSTER "*"

/* How often one fenced write is tried again after a conflict with this
 * node's own lease renewal (each try waits for the renewal to be applied). */
#define AMI__FENCE_RETRIES 20

/* Where an instance is (stats "state"). */
typedef enum {
    AMI__ST_NONE = 0,     /* never scheduled here */
    AMI__ST_RUNNING,
    AMI__ST_SLEEPING,
    AMI__ST_BACKOFF,
    AMI__ST_PAUSED,
    AMI__ST_STOPPED,
    AMI__ST_FINISHED,
    AMI__ST_WAITING
} ami__state;

const char *ami__state_name(ami__state st);

/* Lifecycle of an instance thread. */
enum { AMI__THR_NONE = 0, AMI__THR_LIVE, AMI__THR_EXITED };

typedef struct ami__logline {
    int64_t ts;
    const char *level;    /* static */
    char *msg;
} ami__logline;

/* One worker known to this node (from the registry), with its instance,
 * lease and stats.  Guarded by node->mu unless noted. */
typedef struct ami__worker {
    struct ami_node *node;
    char *sid;
    json_t *raw;              /* latest raw from the registry (owned) */
    char vs[AMI_VERSIONSTAMP_LEN + 1];   /* of the registry entry */
    char hash[9];             /* scriptHash of raw.script */
    int active;
    ami_exec_mode exec;
    ami_run_mode mode;
    ami_priority prio;
    ami_scope scope;
    char *origin_nid;         /* raw.nid */
    char *assigned;           /* raw.assignedNode or NULL */
    int seen;                 /* present in the latest listing */
    int deleted;              /* gone from the registry; freed once its thread is joined */

    /* instance thread */
    pthread_t thr;
    int thr_state;
    pthread_cond_t cv;        /* wakes the instance's own delays */
    ami_runtime *rt;          /* set while a heap exists (other threads only call stop) */
    int quit;                 /* leave after the current run (graceful) */
    int reload;               /* start again with the latest raw */
    int evict;                /* displaced by a critical worker */
    char inst_hash[9];        /* script the instance runs */
    int inst_leader;          /* the instance runs as a leader worker (fenced writes) */
    char finished_hash[9];    /* single mode: done for this script ("" = not) */
    char stopped_hash[9];     /* stopped by policy for this script ("" = not) */
    int waiting;              /* due but no capacity */

    /* leader lease (the lease itself is guarded by node->lease_mu for store calls) */
    int held;                 /* this node holds the lease and is not fenced */
    ami_lease lease;
    int64_t renewed_mono;     /* monotonic ms before the last successful acquire/renew */
    int64_t next_renew;
    int64_t next_campaign;
    int64_t guard_at;         /* monotonic ms of the last fenced write (renewals step around it) */

    /* stats (spec 003 §5) */
    ami_policy_state ps;
    int64_t started;          /* first start on this node (0 = never) */
    int64_t last_run;         /* 0 = never */
    char *last_error;
    ami_errclass last_class;
    ami__state state;
    char stop_reason[160];
    int policy_stopped;       /* the record carries stoppedByPolicy: not started here until cleared */
    int policy_write;         /* the runner must write stoppedByPolicy into the record */
    int64_t term;
    uint64_t iterations;      /* runs ended on this node since it opened (ami_node_wait) */
    uint64_t iter_errors;     /* failed runs and compile failures since it opened (ami_node_wait) */
    int stats_dirty;
    int stats_persisted;
    uint64_t persisted_execs; /* executions at the last write */
    int64_t persisted_at;     /* monotonic ms of the last write */

    /* log ring, guarded by node->log_mu */
    ami__logline *ring;
    int ring_len, ring_head;
    size_t ring_bytes;        /* message bytes held by the ring */
    int64_t last_log_ts;
    /* log budget (guarded by node->log_mu): the script's lines in the current second */
    int64_t lb_window;        /* monotonic ms the window started */
    int lb_lines;
    size_t lb_bytes;
    uint64_t lb_dropped;      /* lines dropped since the last marker */

    struct ami__worker *next;
} ami__worker;

/* A log line waiting to be written to the local store (guarded by log_mu). */
typedef struct ami__pending_log {
    char *sid;
    int64_t ts;
    json_t *value;
    size_t bytes;             /* message bytes (counted in plog_bytes) */
    struct ami__pending_log *next;
} ami__pending_log;

struct ami_node {
    ami_node_options o;       /* string fields point at the copies below */
    char *store_uri, *local_uri, *nid, *network;
    char *perm_text[4];       /* copies of allow_net, allow_listen, allow_env, ca_file */
    ami_store *store;
    ami_store *local;
    ami_policy policy;
    ami_classifier *cls;      /* NULL = process default */

    pthread_mutex_t mu;
    pthread_cond_t cv;        /* instance exits, stop progress, housekeeping wakes */
    pthread_cond_t wait_cv;   /* an iteration ended or an instance exited (ami_node_wait) */
    pthread_mutex_t lease_mu; /* serialises lease store calls (election thread vs shutdown) */
    pthread_mutex_t log_mu;

    json_t *corrupt;          /* unreadable worker records of the latest listing: [{key, sid, error}] */
    ami__worker *workers;
    json_t *index;            /* sid -> slot (pointer as an integer) */
    int nworkers;
    int running;              /* instance threads alive */
    int started;              /* ami_node_start ran */
    int stopping;             /* no new work */
    int stop_done;
    int threads_quit;         /* service threads must leave */
    int kick;                 /* the scheduler should reconcile now */
    int stats_urgent;         /* a worker stopped or finished: persist its stats now, not on the timer */
    int n_leader;             /* workers the election thread must look at (leader mode or holding a lease record) */
    int64_t started_at;

    pthread_t sched_thr, elect_thr, hk_thr;

    pthread_t log_thr;        /* writes log lines to the local store (never the heartbeat's thread) */
    ami__pending_log *plog_head, *plog_tail;
    size_t plog_count, plog_bytes;
    json_t *log_fifos;        /* sid -> ami__log_fifo* (as an integer): the log keys written, oldest first; log thread only */
};

/* ---- node.c ---- */
/* Decide and act for one worker (start, stop, reload, displace); under mu. */
void ami__node_reconcile(ami_node *node, ami__worker *w);
/* Whether W should run here now (ignoring capacity); under mu. */
int ami__node_wants(ami_node *node, const ami__worker *w);
/* Whether W is a leader worker this node may campaign for; under mu. */
int ami__node_leader_eligible(ami_node *node, const ami__worker *w);
/* Ask an instance to stop now (interrupting); under mu. */
void ami__worker_interrupt(ami__worker *w);

/* ---- runner.c ---- */
/* Start W's instance thread; under mu.  0 or AMI_E… */
int ami__runner_start(ami_node *node, ami__worker *w);
/* The runtime's log sink for instances of this node. */
void ami__runner_log(const ami_log_record *rec, void *payload);

/* ---- leader.c ---- */
void *ami__election_main(void *arg);
/* Release W's lease if held (takes lease_mu; call without mu). */
void ami__leader_release(ami_node *node, ami__worker *w);
/* Self-fence margin for a lease length. */
int64_t ami__fence_margin(int64_t lease_ms);

/* ---- stats.c, heartbeat.c, logs.c, housekeeping.c ---- */
/* errorRate of spec 003: "0%" without errors, else errors/executions*100 with two decimals and "%". */
void ami__error_rate(char out[32], uint64_t errors, uint64_t executions);
/* One worker's stats object (spec 003 §5 + state, term, nid); under mu. */
json_t *ami__worker_stats_json(ami_node *node, ami__worker *w, int64_t now);
/* Whether W's stats appear in this node's stats; under mu. */
int ami__worker_stats_listed(ami_node *node, const ami__worker *w);
void *ami__housekeeping_main(void *arg);
/* Persist dirty stats (all when `all`); call without mu. */
void ami__stats_persist(ami_node *node, int all);
/* Write the heartbeat (or delete it when `remove`). */
void ami__heartbeat(ami_node *node, int remove);
/* Write pending log lines to the local store and prune. */
void ami__logs_flush(ami_node *node);
/* The log thread: flushes every 100 ms until threads_quit. */
void *ami__logs_main(void *arg);
/* Free the per-worker lists of written log keys (node teardown). */
void ami__logs_free(ami_node *node);
/* Pass one script log line through W's budget (lines and bytes per second) into its log. */
void ami__log_script(ami_node *node, ami__worker *w, int64_t ts, const char *level, const char *msg, size_t len);
/* Add one log line to W's ring and the pending queue. */
void ami__log_add(ami_node *node, ami__worker *w, int64_t ts, const char *level, const char *msg);
/* Free W's ring (under log_mu or when no thread can log). */
void ami__log_ring_free(ami__worker *w);

/* ---- helpers ---- */
ami__worker *ami__node_find(ami_node *node, const char *sid);
/* Log a node-level line to W's log (level "warn"/"error"/"info") and the sink. */
void ami__node_wlog(ami_node *node, ami__worker *w, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
