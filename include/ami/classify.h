/*
 * ami/classify.h — error classes (network vs critical) and the retry policy
 * (docs/design.md §7): a rule table as data that the host can extend, backoff
 * sequences, the network pause, the critical stop at the priority's
 * tolerance and the stop after too many consecutive errors of any kind.
 *
 * Nothing here blocks or sleeps: the caller (the node scheduler) counts,
 * asks for a decision and waits itself.
 */
#ifndef AMI_CLASSIFY_H
#define AMI_CLASSIFY_H

#include "ami/common.h"
#include "ami/worker.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The class of a failed run.  NONE only appears as "no error yet" in a state. */
typedef enum {
    AMI_ERRCLASS_NONE = 0,
    AMI_ERRCLASS_NETWORK = 1,   /* transient: retry with a slow backoff */
    AMI_ERRCLASS_CRITICAL = 2   /* a problem in the code: short backoff, stop at the tolerance */
} ami_errclass;

/** Wire name of a class: "network", "critical", or NULL for AMI_ERRCLASS_NONE (lastErrorType). */
AMI_EXTERN(const char *) ami_errclass_name(ami_errclass cls);

/* ---- classifier: a table of rules ---- */

/** What a rule matches on. */
typedef enum {
    AMI_RULE_NAME = 1,     /* the thrown value's `name` equals `text` (case-sensitive) */
    AMI_RULE_MESSAGE = 2,  /* the `message` contains `text` (ASCII case-insensitive) */
    AMI_RULE_STATUS = 3    /* the HTTP status lies in [status_min, status_max] */
} ami_rule_kind;

/** One rule: when it matches, the error has class `cls`. */
typedef struct ami_classify_rule {
    ami_rule_kind kind;
    const char *text;         /* NAME / MESSAGE: the text to match (copied when added) */
    int status_min;           /* STATUS: inclusive range, e.g. 500..599 */
    int status_max;
    ami_errclass cls;         /* NETWORK or CRITICAL */
} ami_classify_rule;

/** A rule table; thread-safe (classify may run while a rule is being added). */
typedef struct ami_classifier ami_classifier;

/**
 * A new classifier holding the default table of docs/design.md §7 (network names
 * RequestTimeout, NetworkError, ConnectionRefused, RateLimitExceeded, InvalidAccessError,
 * AbortError, ExchangeNotAvailable, DDoSProtection, TimeoutError; messages
 * mentioning WebSocket, CloudFront, ECONNRESET, ECONNREFUSED, ETIMEDOUT,
 * "timed out"; status 403, 451, 429, 5xx).  Free with ami_classifier_free.
 * Errors: AMI_ENOMEM.
 */
AMI_EXTERN(int) ami_classifier_new(ami_classifier **out);
/** Free a classifier (NULL is fine; never the process default). */
AMI_EXTERN(void) ami_classifier_free(ami_classifier *cls);

/**
 * Add a rule (copied).  Rules added by the host are consulted before the
 * default table, in the order they were added, and the first match decides;
 * so a host rule can also turn a default-network error into a critical one.
 * Errors: AMI_EINVAL (unknown kind or class, NULL/empty text, empty range), AMI_ENOMEM.
 */
AMI_EXTERN(int) ami_classifier_add_rule(ami_classifier *cls, const ami_classify_rule *rule);
/** Drop every rule, the defaults included (then anything unmatched is critical). */
AMI_EXTERN(void) ami_classifier_clear(ami_classifier *cls);
/** Number of rules in the table (host rules + defaults). */
AMI_EXTERN(size_t) ami_classifier_count(ami_classifier *cls);

/**
 * Classify a thrown value by its `name`, `message` (either may be NULL) and
 * HTTP `status` (0 = none).  Returns NETWORK or CRITICAL — never NONE: an
 * error no rule matches is critical.  `cls` NULL means the process default.
 */
AMI_EXTERN(ami_errclass) ami_classifier_classify(ami_classifier *cls, const char *name,
                                                 const char *message, int status);

/**
 * The process-wide classifier (borrowed; created on first use with the
 * default table, lives until the process ends).  The host may add rules to
 * it; every node and runtime in the process that passes NULL uses it.
 */
AMI_EXTERN(ami_classifier *) ami_classifier_default(void);

/* ---- policy ---- */

/**
 * The retry policy: every number of docs/design.md §7 in one struct.  A threshold of
 * 0 disables that pause or stop.  Initialise with AMI_POLICY_INIT.
 *
 * Backoff after the k-th error of a class since the last success (k = 1, 2, …):
 *   min(base × factor^(k-1), max), rounded to the nearest ms.
 * So network waits 5000, 7500, 11250, 16875, 25313, 37969, 56953, 60000, …
 * and critical waits 1000, 2000, 4000, 8000, 10000, ….
 */
typedef struct ami_policy {
    unsigned int version;              /* AMI_POLICY_VERSION */
    int64_t network_backoff_ms;        /* 5000: wait after the first network error */
    double network_backoff_factor;     /* 1.5 */
    int64_t network_backoff_max_ms;    /* 60000 (0 = no cap) */
    unsigned int network_pause_after;  /* 20: every 20th consecutive network error pauses… */
    int64_t network_pause_ms;          /* 300000: …for 5 minutes, then runs go on */
    int64_t critical_backoff_ms;       /* 1000 */
    double critical_backoff_factor;    /* 2 */
    int64_t critical_backoff_max_ms;   /* 10000 (0 = no cap) */
    unsigned int critical_tolerance[4];/* indexed by ami_priority: critical 50, high 20, normal 10, low 5 */
    unsigned int max_consecutive_errors; /* 50: stop after this many consecutive errors of any kind */
} ami_policy;
#define AMI_POLICY_VERSION 1
#define AMI_POLICY_INIT { AMI_POLICY_VERSION, 5000, 1.5, 60000, 20, 300000, \
                          1000, 2.0, 10000, { 50, 20, 10, 5 }, 50 }

/**
 * Backoff in ms after the k-th consecutive error (k >= 1) of class `cls`
 * under `policy` (NULL = the defaults).  0 for k == 0 or AMI_ERRCLASS_NONE.
 */
AMI_EXTERN(int64_t) ami_policy_backoff_ms(const ami_policy *policy, ami_errclass cls, unsigned int k);

/**
 * Per-instance counters.  Initialise with AMI_POLICY_STATE_INIT (all zero).
 * "Consecutive" means since the last success: a success resets the three
 * consecutive counters.  consecutive_network / consecutive_critical count the
 * errors of that class since the last success; an error of the other class
 * neither counts nor resets them (a network blip between two failures of the
 * code does not make the code better, and vice versa).
 */
typedef struct ami_policy_state {
    uint64_t executions;             /* runs, successful or not */
    uint64_t errors;                 /* failed runs */
    uint64_t network_errors;
    uint64_t critical_errors;
    unsigned int consecutive_errors;   /* errors of any kind since the last success */
    unsigned int consecutive_network;  /* network errors since the last success */
    unsigned int consecutive_critical; /* critical errors since the last success */
    ami_errclass last_class;         /* class of the last error (NONE until one) */
} ami_policy_state;
#define AMI_POLICY_STATE_INIT { 0, 0, 0, 0, 0, 0, 0, AMI_ERRCLASS_NONE }

/** What to do after an error. */
typedef enum {
    AMI_DECISION_RETRY = 1,  /* wait delay_ms (the backoff), then run again */
    AMI_DECISION_PAUSE = 2,  /* network pause: wait delay_ms, then run again */
    AMI_DECISION_STOP = 3    /* stop the instance by policy; reason says why */
} ami_decision_kind;

typedef struct ami_policy_decision {
    ami_decision_kind kind;
    int64_t delay_ms;        /* RETRY/PAUSE: how long to wait; STOP: 0 */
    char reason[128];        /* STOP: e.g. "10 consecutive critical errors (tolerance of priority normal)";
                                PAUSE: "20 consecutive network errors: pausing 300 s"; RETRY: "" */
} ami_policy_decision;

/** Record a successful run: executions + 1, the consecutive counters back to 0. */
AMI_EXTERN(void) ami_policy_on_success(ami_policy_state *st);

/**
 * Record a failed run of class `cls` for an instance of `priority` and decide
 * what comes next (into *out).  Checked in this order: the priority's
 * critical tolerance reached → STOP; max_consecutive_errors reached → STOP;
 * a multiple of network_pause_after consecutive network errors → PAUSE;
 * otherwise RETRY after the class's backoff.  `policy` NULL = the defaults.
 * Errors: AMI_EINVAL (NULL state or out, bad policy version, unknown priority
 * or class); the state is then unchanged.
 */
AMI_EXTERN(int) ami_policy_on_error(ami_policy_decision *out, ami_policy_state *st,
                                    const ami_policy *policy, ami_priority priority, ami_errclass cls);

#ifdef __cplusplus
}
#endif
#endif
