/* Internal: the bottom layer — error reporting, allocation, UTF-8 cutting.
 * core includes nothing of libami but the public headers; util and every
 * area above build on it. */
#ifndef AMI_CORE_INTERNAL_H
#define AMI_CORE_INTERNAL_H
#include "ami/common.h"

/* Record `code` and a formatted message as this thread's last error; returns code. */
int ami__error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record code with its ami_strerror() text; returns code. */
int ami__error_code(int code);
/* Record an out-of-memory error; returns AMI_ENOMEM. */
int ami__error_oom(void);
/* Record a script that does not compile: the text "<context>Name: message (line L,
 * column C)" and the struct itself (ami_error_last_script); returns code. */
int ami__error_script(int code, const ami_script_error *se, const char *context);
/* "Name: message (line L, column C)" (the position only when known) into out. */
void ami__script_error_format(const ami_script_error *se, char *out, size_t outlen);

/* The longest prefix of s[0..len) of at most `max` bytes that does not end inside a
 * UTF-8 sequence (text cut there stays valid UTF-8 if it was). */
size_t ami__utf8_cut(const char *s, size_t len, size_t max);

#endif
