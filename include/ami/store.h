/*
 * ami/store.h — the shared key-value store: keys, entries, atomic commits,
 * expiry and the change feed.  Keys and values are Jansson values:
 *   key   = JSON array of parts, each a string, a number or a boolean
 *   value = any JSON value (stored as compact JSON text, at most 64 KiB)
 *   entry = {"key": [...], "value": <JSON|null>, "versionstamp": "<20 hex>"|null}
 * Functions that take a json_t* borrow it; a json_t** out is the caller's
 * (one reference, json_decref it).
 *
 * Key order: part by part; parts of different types order
 * string < number < false < true; strings by their UTF-8 bytes, numbers
 * numerically (integers and reals alike; -0 is 0), and a key sorts before
 * the keys that extend it (["a"] < ["a", 1] < ["ab"]).
 *
 * Versionstamps are 20 lowercase hex digits: a 16-digit commit counter that
 * grows by one per commit across every process sharing the store, then
 * "0000" (the first commit is "00000000000000010000").  Compare them as strings.
 *
 * Expiry uses the wall clock (ami_time_now_ms) of the committing and the
 * reading process.  An expired entry reads as absent at once.  Its removal
 * is a commit of its own on the change feed: made within a few ms of the
 * expiry while any handle on the store is inside ami_store_watch(), else by
 * a later commit (SQLite backend).
 *
 * A handle may be shared by threads; do not use one across fork().
 */
#ifndef AMI_STORE_H
#define AMI_STORE_H

#include <jansson.h>
#include "ami/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Opaque handle to an open store; thread-safe (reads are serialised
 * internally; on SQLite, commits from several threads at once share one
 * transaction, each keeping its own checks, result and versionstamp).
 */
typedef struct ami_store ami_store;

#define AMI_KEY_MAX_BYTES     2048     /* encoded key */
#define AMI_VALUE_MAX_BYTES   65536    /* JSON text of a value */
#define AMI_VERSIONSTAMP_LEN  20       /* hex digits */

/** A versionstamp: 20 lowercase hex digits + NUL; "" means none/absent. */
typedef char ami_versionstamp[AMI_VERSIONSTAMP_LEN + 1];

/**
 * Open a store.  `uri` is "sqlite:PATH", "sqlite:PATH?sync=full" (every
 * commit durable; default sync=normal: a crash loses nothing committed, a
 * power loss may lose the last commits), "sqlite:///abs/path", or a bare
 * PATH (SQLite, WAL mode): the file is created when missing, and several
 * processes may open one file (a local file system: SQLite's WAL needs shared
 * memory).  "etcd://HOST:PORT[,HOST:PORT…][/PREFIX][?OPTION=VALUE&…]" (or
 * "etcds://…" with cacert=, cert=, key=) opens a prefix of an etcd v3 cluster
 * through its gRPC gateway; every node of a cluster gives the same URI
 * (docs/operations.md lists the options).
 *
 * "sqlite::memory:" (or ":memory:") opens a new, empty, private in-memory
 * store: every open gives another one, only this handle sees it (share the
 * handle between threads, or give it to a node through
 * ami_node_options.store), and it is gone when the handle is freed.  Watch,
 * CAS and expiry work as on a file.
 * Errors: AMI_EINVAL (bad URI, unknown scheme or option, "file:" URIs),
 * AMI_EIO (cannot open/create, not a database; an etcd store is reached on
 * first use, so its errors come from the calls that follow),
 * AMI_EBUSY.
 */
AMI_EXTERN(int) ami_store_open(ami_store **out, const char *uri);

/**
 * Open a throw-away store: a new SQLite file in a fresh directory under
 * $TMPDIR (default /tmp).  *out_uri (may be NULL; free with ami_free) is its
 * "sqlite:…" URI, which other handles, nodes and processes may open while this
 * handle lives.  ami_store_free() of this handle removes the directory and
 * everything in it (the store, its WAL, node-local stores that default to
 * sit beside it): close the other handles and nodes first.
 * Errors: AMI_EIO (cannot create the directory or the file), AMI_ENOMEM.
 */
AMI_EXTERN(int) ami_store_open_temp(ami_store **out, char **out_uri);

/** Close the store and free it (NULL is fine).  Wake and join any watchers first. */
AMI_EXTERN(void) ami_store_free(ami_store *store);

#define AMI_STORE_CAP_CAS   (1u << 0)  /* commits honour checks atomically */
#define AMI_STORE_CAP_WATCH (1u << 1)  /* ami_store_watch() works */
#define AMI_STORE_CAP_TTL   (1u << 2)  /* expire_in_ms is honoured */

/** Capability bits of the store's backend (AMI_STORE_CAP_*). */
AMI_EXTERN(unsigned int) ami_store_capabilities(const ami_store *store);

/* ---- keys ---- */

/**
 * Encode a key (a JSON array of string/number/boolean parts) into its
 * order-preserving bytes (appended to `out`).  Errors: AMI_EINVAL (not an
 * array, empty, or a part of another type, NaN/inf), AMI_EKEYTOOLARGE.
 */
AMI_EXTERN(int) ami_key_encode(ami_buf *out, const json_t *key);
/** Decode bytes made by ami_key_encode into a new JSON array (*out is the caller's). AMI_EINVAL on malformed bytes. */
AMI_EXTERN(int) ami_key_decode(json_t **out, const void *bytes, size_t len);
/** Compare two keys in store order: -1, 0, 1.  Keys that fail to encode compare as equal (check first). */
AMI_EXTERN(int) ami_key_compare(const json_t *a, const json_t *b);

/* ---- reads ---- */

/**
 * Read one key.  *out is a new entry object (its "key" holds a reference to
 * `key`, as json_object_set would); a missing or expired key gives
 * {"key", "value": null, "versionstamp": null} and returns 0.
 * Errors: AMI_EINVAL/AMI_EKEYTOOLARGE (bad key), AMI_EIO.
 */
AMI_EXTERN(int) ami_store_get(json_t **out, ami_store *store, const json_t *key);

/**
 * Read one key as raw JSON text, without building JSON values (fast path).
 * On a hit, `value`'s content is replaced by the JSON text, `vs` receives the
 * versionstamp and 0 is returned; on a miss (or expired entry) AMI_ENOTFOUND
 * with `value` untouched and vs "".  Errors: AMI_EINVAL, AMI_EKEYTOOLARGE, AMI_EIO.
 */
AMI_EXTERN(int) ami_store_get_text(ami_buf *value, ami_versionstamp vs, ami_store *store, const json_t *key);

/** Options for ami_store_list.  Initialise with AMI_LIST_OPTIONS_INIT. */
typedef struct ami_list_options {
    unsigned int version;      /* AMI_LIST_OPTIONS_VERSION */
    const json_t *prefix;      /* entries strictly under this key (NULL or [] = everything) */
    const json_t *start;       /* inclusive lower bound (NULL = none) */
    const json_t *end;         /* exclusive upper bound (NULL = none) */
    size_t limit;              /* 0 = no limit */
    int reverse;               /* non-zero: descending key order */
    int keep_corrupt;          /* non-zero: a stored value that is not valid JSON lists as
                                  {key, value: null, versionstamp, corrupt: "<why>"} instead
                                  of failing the whole list with AMI_EIO */
} ami_list_options;
#define AMI_LIST_OPTIONS_VERSION 1
#define AMI_LIST_OPTIONS_INIT { AMI_LIST_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, 0 }

/**
 * List live entries in key order.  A prefix never matches a longer first
 * part (["ab"] is not under ["a"]) and does not match the prefix key itself.
 * With a prefix and start/end, the range is their intersection.  The list is
 * one consistent snapshot.  *out is a new JSON array of entry objects.
 * Errors: AMI_EINVAL, AMI_EKEYTOOLARGE, AMI_EIO.
 */
AMI_EXTERN(int) ami_store_list(json_t **out, ami_store *store, const ami_list_options *opts);

/* ---- atomic commits ---- */

/** An all-or-nothing batch of checks and mutations. */
typedef struct ami_atomic ami_atomic;

/** Start a new empty batch (free with ami_atomic_free). AMI_ENOMEM on failure. */
AMI_EXTERN(int) ami_atomic_new(ami_atomic **out);
/** Free a batch (NULL is fine). */
AMI_EXTERN(void) ami_atomic_free(ami_atomic *atomic);
/**
 * Require `key` to be at `versionstamp` at commit time; NULL or "" means the
 * key must be absent (or expired).  Errors: AMI_EINVAL, AMI_EKEYTOOLARGE.
 */
AMI_EXTERN(int) ami_atomic_check(ami_atomic *atomic, const json_t *key, const char *versionstamp);
/**
 * Set `key` to `value` (borrowed; serialised now).  expire_in_ms > 0 makes the
 * entry disappear that long after the commit; 0 means never.
 * Errors: AMI_EINVAL, AMI_EKEYTOOLARGE, AMI_EVALUETOOLARGE.
 */
AMI_EXTERN(int) ami_atomic_set(ami_atomic *atomic, const json_t *key, const json_t *value, int64_t expire_in_ms);
/** Delete `key` (no error if absent). Errors: AMI_EINVAL, AMI_EKEYTOOLARGE. */
AMI_EXTERN(int) ami_atomic_delete(ami_atomic *atomic, const json_t *key);

/**
 * Commit a batch.  When every check holds, all mutations are written with one
 * new versionstamp: *committed = 1 and `vs` receives it.  When a check fails
 * nothing is written: *committed = 0, vs = "", and 0 is returned — a
 * conflict is a result, not an error.  A batch with only checks (or nothing)
 * also gets a new versionstamp.  Expiry times are counted from this call.
 * Errors: AMI_EIO, AMI_EBUSY (locked by other processes past the retry budget),
 * AMI_EUNSUPPORTED (checks or expiry on a backend without CAS or TTL).
 * The batch may be committed again (e.g. after re-reading); `vs` may be NULL.
 */
AMI_EXTERN(int) ami_store_commit(ami_store *store, const ami_atomic *atomic, int *committed, ami_versionstamp vs);

/** Convenience: set one key unconditionally (expire_in_ms as ami_atomic_set); vs (may be NULL) receives the versionstamp. */
AMI_EXTERN(int) ami_store_set(ami_store *store, const json_t *key, const json_t *value, int64_t expire_in_ms, ami_versionstamp vs);
/** Convenience: delete one key unconditionally. */
AMI_EXTERN(int) ami_store_delete(ami_store *store, const json_t *key);

/* ---- change feed ---- */

/** The newest committed versionstamp in the store ("" on an empty store). */
AMI_EXTERN(int) ami_store_current(ami_store *store, ami_versionstamp vs);

/**
 * Wait until a commit newer than `after` touches `prefix` itself or a key
 * under it (NULL or [] = any key), by this or another process.  `after` is
 * a versionstamp you already saw (usually from ami_store_current() or a read;
 * "" or NULL = since the beginning).  Returns 0 with `vs` set to the newest
 * such commit (at once if one already happened), AMI_ETIMEOUT when
 * `timeout_ms` passes first (timeout_ms < 0 waits forever; 0 only checks),
 * AMI_ESTOPPED when ami_store_wake() was called meanwhile.  On AMI_ETIMEOUT
 * `vs` is the newest versionstamp through which the store vouches that
 * nothing under `prefix` changed ("" when it cannot say); watching again
 * from it misses nothing, and keeps `after` recent while other keys change.
 * It may be older than ami_store_current() (an etcd watch stream that went
 * silent vouches only for what it delivered).  Another
 * process's commit is seen within a few ms (≤ 50 ms).  Spurious wake-ups are
 * possible (after a very old `after`, the store answers "changed"); re-read
 * and watch again.  Does not block other calls on the handle.
 * Errors: AMI_EINVAL, AMI_EUNSUPPORTED (no change feed), AMI_EIO.
 */
AMI_EXTERN(int) ami_store_watch(ami_store *store, const json_t *prefix, const char *after,
                                int timeout_ms, ami_versionstamp vs);

/** Make every ami_store_watch() waiting on this handle return AMI_ESTOPPED now (any thread; later watches are unaffected). */
AMI_EXTERN(void) ami_store_wake(ami_store *store);

/** How many times ami_store_wake() has been called on this handle (0 for NULL); see ami_store_watch_unless_woken(). */
AMI_EXTERN(uint64_t) ami_store_wakes(ami_store *store);

/**
 * ami_store_watch(), but it also returns AMI_ESTOPPED, at once, when ami_store_wake()
 * was called after `wakes` was read from ami_store_wakes() — even before this call
 * began.  A thread that decides to wait under its own lock reads the count there, and
 * the thread that wakes it (taking the same lock, then calling ami_store_wake) cannot
 * slip between that decision and the watch's start.  With a backend of version 1
 * (no watch_from) only a wake before the call is seen early; one in the moment the
 * call begins may be missed.  Errors: as ami_store_watch().
 */
AMI_EXTERN(int) ami_store_watch_unless_woken(ami_store *store, const json_t *prefix, const char *after,
                                             int timeout_ms, uint64_t wakes, ami_versionstamp vs);

/* ---- helpers ---- */

/*
 * JSON for callers that cannot use Jansson's inline functions or allocator
 * (language bindings): text in, json_t out and back.
 */
/** Parse JSON text (`len` bytes; any value, not only objects) into *out (the caller's reference). AMI_EINVAL with line and column. */
AMI_EXTERN(int) ami_json_parse(json_t **out, const char *text, size_t len);
/** Compact JSON text of `value` (NULL gives "null"); free with ami_free.  NULL only when out of memory or for NaN/infinity. */
AMI_EXTERN(char *) ami_json_text(const json_t *value);
/** json_decref() as a real function (NULL is fine). */
AMI_EXTERN(void) ami_json_decref(json_t *value);

/** An entry's "value" (borrowed from `entry`; JSON null for an absent key); NULL when `entry` is not an object. */
AMI_EXTERN(json_t *) ami_entry_value(const json_t *entry);
/** An entry's versionstamp (borrowed from `entry`); NULL for an absent key or when `entry` is not an entry. */
AMI_EXTERN(const char *) ami_entry_versionstamp(const json_t *entry);

/** Build a key from parts: ami_key_new("ami", "worker", sid, NULL) → ["ami","worker",sid]. Caller owns it. */
AMI_EXTERN(json_t *) ami_key_new(const char *first, ...);

#ifdef __cplusplus
}
#endif
#endif
