/*
 * ami/common.h — library init, error codes, per-thread last error, allocator
 * hooks, version, and the owned buffer type used to hand strings to callers.
 */
#ifndef AMI_COMMON_H
#define AMI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define AMI_EXTERN(type) __attribute__((visibility("default"))) type
#else
#define AMI_EXTERN(type) type
#endif

#define AMI_VERSION_MAJOR 0
#define AMI_VERSION_MINOR 1
#define AMI_VERSION_PATCH 0
/** Compile-time version as one number: major*10000 + minor*100 + patch. */
#define AMI_VERSION_NUMBER (AMI_VERSION_MAJOR * 10000 + AMI_VERSION_MINOR * 100 + AMI_VERSION_PATCH)

/*
 * Every error code, once: X(name, value, message).  0 is success; every
 * failure is negative.  ami_strerror() is generated from this table.
 *
 *  AMI_ERROR          something failed that has no better code (see ami_error_last())
 *  AMI_ENOMEM         an allocation failed
 *  AMI_EINVAL         an argument was malformed (wrong type, NULL, bad URI, bad JSON)
 *  AMI_ENOTFOUND      the named thing does not exist (worker, key, file)
 *  AMI_ECONFLICT      an optimistic check failed (stale versionstamp); nothing was written
 *  AMI_EKEYTOOLARGE   an encoded key is over 2 KiB
 *  AMI_EVALUETOOLARGE a value's JSON text is over 64 KiB
 *  AMI_EIO            the store or the file system failed (disk, SQLite, network)
 *  AMI_EBUSY          the store stayed locked by another process past the retry budget
 *  AMI_ETIMEOUT       a wait ran out of time (change feed, lease, request)
 *  AMI_EUNSUPPORTED   the backend lacks the capability, or the feature is not built
 *  AMI_EVALIDATION    input was well-formed but not acceptable (message is user-facing)
 *  AMI_ESCRIPT        a worker script failed to compile or threw
 *  AMI_ELIMIT         a runtime limit was hit (heap, time slice, recursion, log size)
 *  AMI_ESTOPPED       the operation was interrupted by a stop request
 *  AMI_ELEASE         a lease was lost or is held by another node
 *  AMI_EAUTH          authentication failed or the session is missing/expired
 *  AMI_EDENIED        authenticated, but not allowed (not an owner)
 *  AMI_EAMBIGUOUS     a prefix matched more than one thing
 */
#define AMI_ERROR_TABLE(X)                                              \
    X(AMI_OK,             0,   "success")                               \
    X(AMI_ERROR,          -1,  "generic error")                         \
    X(AMI_ENOMEM,         -2,  "out of memory")                         \
    X(AMI_EINVAL,         -3,  "invalid argument")                      \
    X(AMI_ENOTFOUND,      -4,  "not found")                             \
    X(AMI_ECONFLICT,      -5,  "version conflict")                      \
    X(AMI_EKEYTOOLARGE,   -6,  "key too large (over 2 KiB encoded)")    \
    X(AMI_EVALUETOOLARGE, -7,  "value too large (over 64 KiB)")         \
    X(AMI_EIO,            -8,  "I/O or storage error")                  \
    X(AMI_EBUSY,          -9,  "store busy")                            \
    X(AMI_ETIMEOUT,       -10, "timed out")                             \
    X(AMI_EUNSUPPORTED,   -11, "not supported")                         \
    X(AMI_EVALIDATION,    -12, "validation failed")                     \
    X(AMI_ESCRIPT,        -13, "script error")                          \
    X(AMI_ELIMIT,         -14, "limit exceeded")                        \
    X(AMI_ESTOPPED,       -15, "stopped")                               \
    X(AMI_ELEASE,         -16, "lease lost")                            \
    X(AMI_EAUTH,          -17, "authentication failed")                 \
    X(AMI_EDENIED,        -18, "permission denied")                     \
    X(AMI_EAMBIGUOUS,     -19, "ambiguous prefix")

typedef enum {
#define AMI__ERR_ENUM(name, value, msg) name = value,
    AMI_ERROR_TABLE(AMI__ERR_ENUM)
#undef AMI__ERR_ENUM
} ami_error_code;

/** Initialise libami (idempotent, reference counted; clears this thread's last error). Returns the new count, or a negative code. */
AMI_EXTERN(int) ami_init(void);
/** Undo one ami_init(); the last call releases global state. Returns the remaining count. */
AMI_EXTERN(int) ami_shutdown(void);

/** Static text for an error code; unknown codes give "unknown error". Never NULL. */
AMI_EXTERN(const char *) ami_strerror(int code);
/*
 * The last error.  Every libami call that fails (returns a negative AMI_E…
 * code) records a message and that code for the calling thread before it
 * returns.  A call that succeeds does
 * NOT reset them, so read them right after a call failed — not to learn
 * whether it failed.  Only ami_error_clear() and ami_init() reset them.
 * Other threads never see this thread's error.
 */
/** This thread's last error message (borrowed, valid until the next libami call on this thread). Never NULL; "" when none. */
AMI_EXTERN(const char *) ami_error_last(void);
/** The code that went with ami_error_last() (0 when none). */
AMI_EXTERN(int) ami_error_last_code(void);
/** Reset this thread's last error to "" and 0. */
AMI_EXTERN(void) ami_error_clear(void);

/**
 * A script that does not compile: the error's class, its reason and where in
 * the user's script (lines and columns are the user's, also after lowering).
 * Filled by ami_runtime_check_script() and kept with this thread's last error
 * by every call that compiles a script (ami_runtime_new, ami_registry_create
 * and _update, the WebFIX methods that reach them).
 */
typedef struct ami_script_error {
    char name[64];       /* error class, e.g. "SyntaxError" */
    char message[512];   /* the reason, without the position, e.g. "unexpected token '}'" */
    int line;            /* 1-based line; 0 when unknown */
    int column;          /* 1-based column; 0 when unknown */
} ami_script_error;
#define AMI_SCRIPT_ERROR_INIT { "", "", 0, 0 }

/**
 * When this thread's last error is a script that does not compile, copy where
 * and why into *out and return 0; otherwise return AMI_ENOTFOUND and leave
 * *out alone.  ami_error_last() then holds the same error as text:
 * "[context: ]Name: message (line L, column C)".
 */
AMI_EXTERN(int) ami_error_last_script(ami_script_error *out);

/** Allocator hooks: all libami allocations (not SQLite's or Jansson's own) go through these. */
typedef struct ami_allocator {
    unsigned int version;                 /* AMI_ALLOCATOR_VERSION */
    void *(*malloc_fn)(size_t size, void *payload);
    void *(*realloc_fn)(void *ptr, size_t size, void *payload);
    void (*free_fn)(void *ptr, void *payload);
    void *payload;
} ami_allocator;
#define AMI_ALLOCATOR_VERSION 1

/** Install allocator hooks (copied); NULL restores malloc/realloc/free. Call before ami_init(); AMI_EINVAL on a bad version. */
AMI_EXTERN(int) ami_allocator_set(const ami_allocator *alloc);
/** Allocate through the hooks; NULL on failure. Free with ami_free(). */
AMI_EXTERN(void *) ami_malloc(size_t size);
/** Resize through the hooks; NULL on failure (the old block stays valid). */
AMI_EXTERN(void *) ami_realloc(void *ptr, size_t size);
/** Free memory that libami handed out (NULL is fine). */
AMI_EXTERN(void) ami_free(void *ptr);

/** Run-time version string, e.g. "0.1.0" (static). */
AMI_EXTERN(const char *) ami_version(void);
/** Run-time version number, comparable with AMI_VERSION_NUMBER. */
AMI_EXTERN(int) ami_version_number(void);

/**
 * An owned, growable, NUL-terminated byte buffer.  Functions that return
 * text fill one; the caller releases it with ami_buf_dispose().  Initialise
 * with AMI_BUF_INIT.
 */
typedef struct ami_buf {
    char *ptr;     /* NUL-terminated; NULL until something was written */
    size_t size;   /* bytes used, not counting the NUL */
    size_t asize;  /* bytes allocated */
} ami_buf;
#define AMI_BUF_INIT { NULL, 0, 0 }

/** Make room for at least `size` more bytes. AMI_ENOMEM on failure. */
AMI_EXTERN(int) ami_buf_grow(ami_buf *buf, size_t size);
/** Append `len` bytes (kept NUL-terminated). AMI_ENOMEM on failure. */
AMI_EXTERN(int) ami_buf_put(ami_buf *buf, const void *data, size_t len);
/** Append a C string. */
AMI_EXTERN(int) ami_buf_puts(ami_buf *buf, const char *str);
/** Append printf-formatted text. */
AMI_EXTERN(int) ami_buf_printf(ami_buf *buf, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/** Empty the buffer, keeping its memory. */
AMI_EXTERN(void) ami_buf_clear(ami_buf *buf);
/** Give the text to the caller (free with ami_free()); the buffer becomes empty. Never NULL unless out of memory. */
AMI_EXTERN(char *) ami_buf_detach(ami_buf *buf);
/** Free the buffer's memory and reset it to AMI_BUF_INIT. */
AMI_EXTERN(void) ami_buf_dispose(ami_buf *buf);

/** Milliseconds since the Unix epoch (wall clock). */
AMI_EXTERN(int64_t) ami_time_now_ms(void);
/** Milliseconds from a monotonic clock (for deadlines; unrelated to wall time). */
AMI_EXTERN(int64_t) ami_time_mono_ms(void);

#ifdef __cplusplus
}
#endif
#endif
