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

/* Lifecycle of a worker's instance in the runner pool (node->mu): NONE, LIVE
 * (in the pool: building, running, waiting or winding down), EXITED (left
 * the pool; the slot may be started again or freed). */
enum { AMI__THR_NONE = 0, AMI__THR_LIVE, AMI__THR_EXITED };

/* Where a worker is in the pool (w->sched, node->pool.mu). */
enum { AMI__SCHED_NONE = 0, AMI__SCHED_PARKED, AMI__SCHED_QUEUED, AMI__SCHED_RUNNING };

/* What the runner does at the worker's next turn (w->phase; runner-owned). */
typedef enum {
    AMI__PH_GEN = 0,      /* build a heap for the latest script (a generation) */
    AMI__PH_BUILD_WAIT,   /* the script did not compile: back off until `deadline` */
    AMI__PH_NEXT_GEN,     /* the generation ended for a reload: again if still wanted */
    AMI__PH_ITER,         /* start an iteration (a run of the body) */
    AMI__PH_STEP,         /* the run is in progress: step it when ready */
    AMI__PH_DELAY,        /* between iterations until `deadline`, serving timers and I/O */
    AMI__PH_SERVE,        /* single mode done: serve subscriptions and handles until stopped */
    AMI__PH_END_GEN,      /* the generation ends: stop hook or free */
    AMI__PH_HOOK,         /* the stop hook runs until `deadline` */
    AMI__PH_FREE,         /* free the heap */
    AMI__PH_EXIT          /* leave the pool */
} ami__phase;

/* ami__runner_turn's result when the worker left the pool. */
#define AMI__TURN_EXIT ((int64_t)-2)

typedef struct ami__logline {
    int64_t ts;
    const char *level;    /* static */
    char *msg;
} ami__logline;

/* One worker known to this node (from the registry), with its instance,
 * lease and stats.  Fields are grouped by what guards them. */
typedef struct ami__worker {
    /* ---- set at creation, then read-only ---- */
    struct ami_node *node;
    char *sid;

    /* ---- the registry entry (node->mu; written by the scheduler) ---- */
    json_t *raw;              /* latest raw from the registry (owned) */
    char vs[AMI_VERSIONSTAMP_LEN + 1];   /* of the registry entry */
    int64_t text_hash;        /* of the registry entry's stored text, when a listing read it (0: not yet): the repair list parses a record again only when its versionstamp or this differs */
    char hash[9];             /* scriptHash of raw.script */
    int active;
    ami_exec_mode exec;
    ami_run_mode mode;
    ami_priority prio;
    ami_scope scope;
    char *origin_nid;         /* raw.nid */
    char *assigned;           /* raw.assignedNode or NULL */
    int seen;                 /* present in the latest listing */
    size_t leader_ix;         /* its place in node->leaders + 1; 0 when not there */
    int deleted;              /* gone from the registry; freed once its instance left the pool */
    struct ami__worker *next, *prev;   /* node->workers (doubly linked: a slot is freed without a walk) */
    int attn;                 /* on node->attn: the scheduler must look at it */
    struct ami__worker *attn_next;

    /* ---- the instance as other threads see it (node->mu) ---- */
    int thr_state;            /* AMI__THR_*: in the runner pool or not */
    ami_runtime *rt;          /* set while a heap exists (other threads only call stop / signal) */
    int quit;                 /* leave after the current run (graceful) */
    int reload;               /* start again with the latest raw */
    int evict;                /* displaced by a critical worker */
    char inst_hash[9];        /* script the instance runs */
    int inst_leader;          /* the instance runs as a leader worker (fenced writes) */
    char finished_hash[9];    /* single mode: done for this script ("" = not) */
    char stopped_hash[9];     /* stopped by policy for this script ("" = not) */
    int waiting;              /* due but no capacity */

    /* ---- the runner's own state: touched only by the runner thread that has
     * the worker (the pool hands it to one thread at a time), no lock ---- */
    ami__phase phase;
    int64_t deadline;         /* monotonic ms ending BUILD_WAIT, DELAY, HOOK */
    int64_t run_t0;           /* monotonic ms the current run started */
    char gen_hash[9];         /* the script of this generation */
    int gen_leader, gen_single;
    int64_t gen_term;
    int gen_again;            /* the generation ends for a reload (not an exit) */
    int delay_serve;          /* DELAY: serve the loop's handles until the deadline (even past a quit) */

    /* ---- place in the runner pool (node->pool.mu) ---- */
    int sched;                /* AMI__SCHED_* */
    int again;                /* became ready while on a runner thread: queue it again */
    int64_t due;              /* parked until (monotonic ms), -1 = until ready */
    int heap_pos;             /* index in the pool's deadline heap, -1 = not in it */
    struct ami__worker *qnext;

    /* ---- leader lease (node->mu; store calls on it serialised by node->lease_mu) ---- */
    int held;                 /* this node holds the lease and is not fenced */
    ami_lease lease;
    int64_t renewed_mono;     /* monotonic ms before the last successful acquire/renew */
    int64_t next_renew;
    int64_t next_campaign;
    int64_t guard_at;         /* monotonic ms of the last fenced write (renewals step around it) */

    /* ---- stats, spec 003 §5 (node->mu) ---- */
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
    int stats_dirty;          /* its row must be written (set by ami__worker_stats_touch) */
    int stats_queued;         /* on node->stats_queue: the next stats pass looks at it */
    struct ami__worker *stats_qnext, *stats_qprev;
    int stats_persisted;
    uint64_t persisted_execs; /* executions at the last write */
    int64_t persisted_at;     /* monotonic ms of the last write */

    /* ---- log ring and budget (node->log_mu) ---- */
    ami__logline *ring;
    int ring_len, ring_head, ring_cap;   /* ring_cap: the slots allocated (o.log_ring then) */
    size_t ring_bytes;        /* message bytes held by the ring */
    int64_t last_log_ts;
    int64_t lb_window;        /* monotonic ms the budget's window started: the script's lines in the current second */
    int lb_lines;
    size_t lb_bytes;
    uint64_t lb_dropped;      /* lines dropped since the last marker */
    int lb_listed;            /* on node->over_budget (lb_dropped was set; the log thread says it once the window ends) */
    struct ami__worker *lb_next;
    uint64_t lb_say;          /* the log thread's own: the count it says for W, and its list of them */
    struct ami__worker *lb_say_next;
} ami__worker;

/* The runner pool (lib/node/pool.c). */
/* One runner thread's place in the pool (under pool.mu). */
typedef struct ami__runner_slot {
    pthread_t thr;
    unsigned char live;       /* 0 empty, 1 running, 2 exited (to be joined) */
    int64_t turn_at;          /* monotonic ms its current turn began, 0 between turns */
    uint64_t turn_seq;        /* turns begun (the runner counts them) */
    uint64_t seen_seq;        /* the turn the stall watch sampled the CPU clock in (watch only) */
    int64_t seen_cpu;         /* the runner's CPU time (ns) at that sample (watch only) */
    clockid_t cpu_clock;      /* the runner thread's CPU-time clock */
} ami__runner_slot;

typedef struct ami__pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;        /* a worker was queued, or an earlier deadline parked (CLOCK_MONOTONIC) */
    pthread_cond_t watch_cv;  /* a runner became busy while none was (wakes the stall watch) */
    struct ami__runner_slot *slot;   /* base runners first, then the extra slots */
    int nbase;                /* runner_threads: always running */
    int nslots;               /* nbase + extra slots (the most runners at once) */
    int nlive;                /* runner threads running now */
    int nbusy;                /* runners inside a worker's turn */
    int nidle;                /* runners waiting for work */
    pthread_t watch;          /* the stall watch (adds an extra runner when all are held) */
    int watch_live;
    int quit;
    ami__worker *qhead, *qtail;   /* ready to run, FIFO */
    ami__worker **heap;       /* parked workers with a deadline, min-heap by due */
    int nheap, capheap;
} ami__pool;

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
    pthread_cond_t cv;        /* instances leaving the pool, stop progress, housekeeping wakes */
    pthread_cond_t wait_cv;   /* an iteration ended or an instance exited (ami_node_wait) */
    pthread_mutex_t lease_mu; /* serialises lease store calls (election thread vs shutdown) */
    pthread_mutex_t log_mu;
    pthread_cond_t logs_cv;   /* under log_mu: a first line queued, or the log thread must leave */

    json_t *corrupt;          /* unreadable worker records of the latest listing: [{key, sid, error}] */
    ami__worker *workers;
    json_t *index;            /* sid -> slot (pointer as an integer) */
    int nworkers;
    int running;              /* instances in the runner pool */
    int started;              /* ami_node_start ran */
    int stopping;             /* no new work */
    int stop_done;
    int threads_quit;         /* service threads must leave (set under mu, atomically: the log thread reads it under log_mu) */
    int kick;                 /* the scheduler should reconcile node->attn now */
    int64_t logs_next_flush;  /* the log thread's next flush while lines come (monotonic ms; its own) */
    int sched_waiting;        /* the scheduler sleeps in its store watch: a kick wakes it (ami__node_kick) */
    ami__worker *attn;        /* the workers whose reconcile may do something (ami__node_attend): a registry
                               * change, an instance that left, a start to retry, a wait for capacity, a
                               * deleted slot to free; every other worker is settled, so a pass costs
                               * these, not every worker */
    int stats_urgent;         /* a worker stopped or finished: persist its stats now, not on the timer */
    ami__worker *stats_queue; /* workers whose row may have to be written or deleted (ami__worker_stats_touch,
                               * ami__worker_stats_recheck): a stats pass looks at these, not every worker */
    ami__worker *stats_cursor;/* where the stats passes' round of unchanged rows goes on (NULL: from the start) */
    int64_t stats_visits;     /* workers looked at by stats passes so far (tests read it) */
    int64_t stats_passes;     /* stats passes so far (tests read it) */
    int n_leader;             /* workers the election thread must look at (leader mode or holding a lease record) */
    ami__worker **leaders;    /* those n_leader workers: the election thread walks these, not every worker
                                 (rebuilt when registry changes are applied; a reaped slot leaves it; under mu) */
    size_t leaders_cap;
    int64_t election_visits;  /* workers looked at by the election thread's passes so far (tests read it) */
    int64_t election_passes;  /* its passes so far */
    int64_t registry_lists;   /* full registry re-lists so far (the scheduler's O(workers) pass; tests read it) */
    int64_t registry_parsed;  /* registry records parsed by lists and feed reports so far (tests read it) */
    int64_t registry_changes; /* feed reports applied key by key, without a list (tests read it) */
    int64_t sched_passes;     /* the scheduler's trips round its loop (wake-ups, nearly; tests read it) */
    uint64_t starts;          /* instances started (ami__runner_start), for the trim after a burst */
    int64_t last_start_ms;    /* when the last one started (monotonic) */
    int64_t trims;            /* ami__pool_trim calls made (tests read it) */
    int64_t reconciles;       /* workers reconciled so far (a quiet node reconciles none; tests read it) */
    int relist_owed;          /* a record waits for a deleted slot to go: list at the next resync period */
    int64_t started_at;

    pthread_t sched_thr, elect_thr, hk_thr;
    ami__pool pool;           /* runner threads (their own lock: after mu in lock order) */

    pthread_t log_thr;        /* writes log lines to the local store (never the heartbeat's thread) */
    ami__pending_log *plog_head, *plog_tail;
    size_t plog_count, plog_bytes;
    json_t *log_fifos;        /* sid -> ami__log_fifo* (as an integer): the log keys written, oldest first; log thread only */
    ami__worker *over_budget; /* workers with dropped lines not yet said (log_mu): the log thread looks only at these */
};

/* ---- node.c ---- */
/* Decide and act for one worker (start, stop, reload, displace); under mu. */
void ami__node_reconcile(ami_node *node, ami__worker *w);
/* Whether W should run here now (ignoring capacity); under mu. */
int ami__node_wants(ami_node *node, const ami__worker *w);
/* Whether W is a leader worker this node may campaign for; under mu. */
int ami__node_leader_eligible(ami_node *node, const ami__worker *w);
/* Have the scheduler reconcile W at its next pass (and wake it); under mu. */
void ami__node_attend(ami_node *node, ami__worker *w);
/* Under mu: the scheduler should reconcile node->attn now (node->kick); when it
 * sleeps in its store watch, ami_store_wake() ends that (every watch on the node's
 * store returns AMI_ESTOPPED: once per scheduler sleep at most). */
void ami__node_kick(ami_node *node);
/* Ask an instance to stop now (interrupting); under mu. */
void ami__worker_interrupt(ami__worker *w);

/* ---- runner.c, fence.c ---- */
/* Put W's instance into the runner pool (it builds a heap at its first turn); under mu.  0 or AMI_E… */
int ami__runner_start(ami_node *node, ami__worker *w);
/* Run W until it waits (runner thread, no lock held): returns the monotonic ms
 * it wants to run again at, -1 when only a wake (ami__pool_wake) can make it
 * ready, or AMI__TURN_EXIT once it left the pool (W may be freed then). */
int64_t ami__runner_turn(ami_node *node, ami__worker *w);
/* The runtime's log sink for instances of this node. */
void ami__runner_log(const ami_log_record *rec, void *payload);
/* Count a failed run and decide what comes next; under mu.  Returns the delay, or -1 to stop. */
int64_t ami__runner_on_failure(ami_node *node, ami__worker *w, const char *name, const char *message, int line);
/* The pause between two iterations of W (ms); under mu. */
int64_t ami__runner_loop_delay(ami_node *node, const ami__worker *w);
/* Call the host's on_iteration for a run that ended with rc (no lock held). */
void ami__runner_report(ami_node *node, ami__worker *w, int rc, const ami_runtime_result *res, int64_t ms);
/* Whether W's self-fence deadline has passed (monotonic clock); under mu. */
int ami__fenced(ami_node *node, const ami__worker *w);
/* The Stels.net mutation guard of leader workers (ami_runtime_guard_fn; payload W). */
int ami__lease_guard(ami_atomic *batch, void *payload);
/* Whether a single-mode script is already done (here, or cluster-wide for a leader worker); no lock. */
int ami__single_done(ami_node *node, const char *sid, const char *hash, int leader);
/* Record a finished single run (a leader's markers commit only under its lease); no lock.  0 or AMI_E… */
int ami__single_mark_done(ami_node *node, ami__worker *w, const char *hash, int leader);

/* ---- pool.c ---- */
void ami__pool_init(ami__pool *p);
void ami__pool_destroy(ami__pool *p);
/* Start / join the runner threads (stop: after every worker left the pool).
 * The first start in the process also primes glibc's dynamic mmap and trim
 * thresholds (one freed 1 MiB block, pool.c) so transient big values are not
 * given back to the kernel and faulted in again every iteration. */
int ami__pool_start(ami_node *node);
void ami__pool_stop(ami_node *node);
/* Give the free memory inside malloc's arenas back to the kernel (glibc's
 * malloc_trim; nothing elsewhere, and nothing under the sanitizers, whose allocator
 * is their own).  The housekeeping thread calls it once starts have settled: a
 * burst of starts (the registry listing's JSON, the heaps' build scratch) leaves
 * free chunks between live blocks that glibc never trims by itself.  No lock held. */
void ami__pool_trim(ami_node *node);
/* Queue a worker that is not in the pool (takes pool.mu; mu may be held). */
void ami__pool_add(ami_node *node, ami__worker *w);
/* Make W ready now: parked -> queued; on a runner -> queued again after its turn (any thread, mu may be held). */
void ami__pool_wake(ami_node *node, ami__worker *w);
/* The runtime's `ready` callback (payload W). */
void ami__pool_ready(void *payload);
/* W leaves the pool (its last turn, under mu). */
void ami__pool_leave(ami_node *node, ami__worker *w);

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
/* Something in W's stats row changed (its state, counters, error, script, …):
 * the next stats pass writes it.  Sets w->stats_dirty and queues W on
 * node->stats_queue (once); every change of a row's content goes through here,
 * since a pass looks only at the queued workers (and a bounded share of the
 * others for the unchanged rows' refresh).  Under mu. */
void ami__worker_stats_touch(ami_node *node, ami__worker *w);
/* Whether W's row is shown may have changed (lease held or lost, instance
 * left, execution mode): the next stats pass looks at W (deletes its row when
 * no longer listed) without rewriting an unchanged row.  Under mu. */
void ami__worker_stats_recheck(ami_node *node, ami__worker *w);
/* W's slot is about to be freed: off the stats queue, and the refresh cursor
 * moves past it.  Under mu. */
void ami__worker_stats_forget(ami_node *node, ami__worker *w);
void *ami__housekeeping_main(void *arg);
/* Persist the queued workers' stats (every worker's when `all`), and rewrite
 * unchanged rows due for a refresh: the pass looks at a bounded share of the
 * workers for those (a round-robin cursor), not every worker.  Call without mu. */
void ami__stats_persist(ami_node *node, int all);
/* A worker's state changed: its stats row is written now, not at the next pass
 * (sets stats_urgent and wakes the housekeeping thread); under mu. */
void ami__stats_urgent(ami_node *node);
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
/* The delay before W's next iteration (at least `delay`): to the end of its
 * log budget's window while lines of it were dropped there.  Under mu. */
int64_t ami__log_budget_pace(ami_node *node, ami__worker *w, int64_t delay);
/* Free W's ring and take it off the over-budget list (under log_mu or when no thread can log). */
void ami__log_ring_free(ami_node *node, ami__worker *w);

/* ---- helpers ---- */
ami__worker *ami__node_find(ami_node *node, const char *sid);
/* Log a node-level line to W's log (level "warn"/"error"/"info") and the sink. */
void ami__node_wlog(ami_node *node, ami__worker *w, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
