/* Internal utilities (never exported): strings, random ids, hashing, time, logging.
 * util sits on core (allocation, errors) and is below every other area. */
#ifndef AMI_UTIL_H
#define AMI_UTIL_H
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include "ami/common.h"
#include "core/core.h"

/* Copies through ami_malloc; NULL on failure (free with ami_free). */
char *ami__strdup(const char *s);
char *ami__strndup(const char *s, size_t n);

/* Fill `buf` with cryptographically random bytes (getrandom). 0 or AMI_EIO. */
int ami__random_bytes(void *buf, size_t len);
/* Random UUID v4, lowercase, NUL-terminated into out[37]. */
int ami__uuid4(char out[37]);
/* Lowercase hex of SHA-256(data) into out[65]. */
void ami__sha256_hex(const void *data, size_t len, char out[65]);
/* Lowercase hex encoding of `len` bytes into out (2*len+1 bytes). */
void ami__hex_encode(const void *data, size_t len, char *out);

/* Append standard base64 (with padding) of data to out; 0 or AMI_ENOMEM/AMI_EINVAL. */
int ami__base64_encode(ami_buf *out, const void *data, size_t len);
/* Append the bytes that base64 `text` (len a multiple of 4) encodes; AMI_EINVAL when malformed. */
int ami__base64_decode(ami_buf *out, const char *text, size_t len);

/* Sleep on the monotonic clock. */
void ami__sleep_ms(int64_t ms);
/* Wait on cv (mu held, as pthread_cond_timedwait) for at most ms milliseconds. */
void ami__cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms);
/* The same for a cv made by ami__cond_init_mono (immune to wall-clock
 * jumps); pthread_cond_timedwait's result. */
int ami__cond_wait_mono_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms);
/* Initialise cv on the monotonic clock, for ami__cond_wait_mono_ms; the
 * caller destroys it with pthread_cond_destroy.  pthread_cond_init's result. */
int ami__cond_init_mono(pthread_cond_t *cv);
/* ISO-8601 UTC with milliseconds ("2025-10-15T12:00:00.000Z") into out[25]. */
void ami__iso_time(int64_t ms, char out[32]);

/* Diagnostic logging to stderr; level from AMI_LOG (error|warn|info|debug, default warn). */
enum { AMI__LOG_ERROR, AMI__LOG_WARN, AMI__LOG_INFO, AMI__LOG_DEBUG };
void ami__log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
