/*
 * ami/sys/store_backend.h — the interface a store backend implements.
 *
 * Like SQLite's VFS or libgit2's git_odb_backend: a struct of function
 * pointers with `version` first, capability bits, and methods that may be
 * NULL when a capability is absent.  The struct is only ever grown at the
 * end.  A backend sees encoded keys (bytes from ami_key_encode, which sort
 * bytewise in key order) and values as JSON text; the front end does all
 * JSON work, size checks and locking, so calls arrive one at a time per
 * ami_store handle.  Every method returns 0 or a negative AMI_E… code and
 * may record a message with ami__error_set (internal) — a backend written
 * outside libami just returns the code.
 */
#ifndef AMI_SYS_STORE_BACKEND_H
#define AMI_SYS_STORE_BACKEND_H

#include "ami/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 2 added watch_from; a version 1 backend (without it) is still accepted. */
#define AMI_STORE_BACKEND_VERSION 2

/* Capability bits AMI_STORE_CAP_* are in ami/store.h. */

/** One check or mutation handed to commit(). */
typedef struct ami_store_op {
    enum { AMI_STORE_OP_CHECK, AMI_STORE_OP_SET, AMI_STORE_OP_DELETE } type;
    const unsigned char *key;   /* encoded key */
    size_t key_len;
    const char *versionstamp;   /* CHECK: expected versionstamp, "" = must be absent */
    const char *value;          /* SET: JSON text, NUL-terminated */
    size_t value_len;
    int64_t expire_at_ms;       /* SET: wall-clock expiry (0 = never), computed by the front end */
} ami_store_op;

/** Called by list() once per live entry, in the requested order; return non-zero to stop early. */
typedef int (*ami_store_list_cb)(const unsigned char *key, size_t key_len, const char *value,
                                 size_t value_len, const char *versionstamp, void *payload);

typedef struct ami_store_backend ami_store_backend;

/** The type of ami_store_backend.watch_from. */
typedef int (*ami_store_watch_from_fn)(ami_store_backend *be, const unsigned char *prefix, size_t prefix_len,
                                       const char *after, int timeout_ms, uint64_t wakes, ami_versionstamp vs);

struct ami_store_backend {
    unsigned int version;        /* AMI_STORE_BACKEND_VERSION */
    unsigned int capabilities;   /* AMI_STORE_CAP_* */
    const char *name;            /* "sqlite", "etcd", … */

    /** Read one live key: 0 on a hit (value's content replaced, vs filled); AMI_ENOTFOUND on a miss or expired key (value untouched). */
    int (*get)(ami_store_backend *be, const unsigned char *key, size_t key_len, ami_buf *value,
               ami_versionstamp vs);

    /** Visit live entries with start <= key < end (either may be NULL for open), ascending or descending, at most `limit` (0 = all), from one snapshot. */
    int (*list)(ami_store_backend *be, const unsigned char *start, size_t start_len,
                const unsigned char *end, size_t end_len, size_t limit, int reverse,
                ami_store_list_cb cb, void *payload);

    /**
     * Apply ops atomically: if every CHECK holds (an expired key counts as absent),
     * write every SET/DELETE with one new, strictly greater versionstamp
     * (*committed = 1, vs filled); otherwise write nothing (*committed = 0).
     */
    int (*commit)(ami_store_backend *be, const ami_store_op *ops, size_t n_ops, int *committed,
                  ami_versionstamp vs);

    /** Newest committed versionstamp ("" if none). */
    int (*current)(ami_store_backend *be, ami_versionstamp vs);

    /**
     * Wait (up to timeout_ms; < 0 forever) for a commit newer than `after` that touched an
     * encoded key in [prefix, prefix+0xFF) — the prefix key and the keys under it
     * (prefix_len 0 = any).  0 with vs set; AMI_ETIMEOUT; AMI_ESTOPPED after wake().
     * Called WITHOUT the front end's lock, possibly from several threads at once,
     * concurrently with the other methods.  NULL without AMI_STORE_CAP_WATCH.
     */
    int (*watch)(ami_store_backend *be, const unsigned char *prefix, size_t prefix_len,
                 const char *after, int timeout_ms, ami_versionstamp vs);

    /** Make waiting watch() calls return AMI_ESTOPPED. May be called from any thread while watch() runs. */
    void (*wake)(ami_store_backend *be);

    /** Close and free the backend. */
    void (*free)(ami_store_backend *be);

    /* ---- version 2 ---- */

    /**
     * Optional (NULL = the front end falls back to watch()): watch(), except that
     * AMI_ESTOPPED is returned as soon as the backend has had a number of wake() calls
     * other than `wakes`, counted from its creation — so a wake() made after the caller
     * read that count (ami_store_wakes) but before this call began still ends it at once.
     * Same threading as watch().
     */
    ami_store_watch_from_fn watch_from;
};

/**
 * Wrap a backend in a store handle.  On success the store owns `backend`
 * (its free() runs in ami_store_free); on failure the caller still owns it.
 * Errors: AMI_EINVAL (NULL, a version other than 1 or 2, or a required method missing).
 */
AMI_EXTERN(int) ami_store_open_backend(ami_store **out, ami_store_backend *backend);

#ifdef __cplusplus
}
#endif
#endif
