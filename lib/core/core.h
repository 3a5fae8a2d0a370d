/* Internal: error reporting helpers shared by every area. */
#ifndef AMI_CORE_INTERNAL_H
#define AMI_CORE_INTERNAL_H
#include "ami/common.h"

/* Record `code` and a formatted message as this thread's last error; returns code. */
int ami__error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record code with its ami_strerror() text; returns code. */
int ami__error_code(int code);
/* Record an out-of-memory error; returns AMI_ENOMEM. */
int ami__error_oom(void);

#endif
