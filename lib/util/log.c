/* Diagnostic logging to stderr, level from AMI_LOG. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/util.h"

static int log_level(void)
{
    static int level = -1;
    if (level < 0) {
        const char *e = getenv("AMI_LOG");
        level = AMI__LOG_WARN;
        if (e && !strcmp(e, "error")) level = AMI__LOG_ERROR;
        else if (e && !strcmp(e, "info")) level = AMI__LOG_INFO;
        else if (e && !strcmp(e, "debug")) level = AMI__LOG_DEBUG;
    }
    return level;
}

void ami__log(int level, const char *fmt, ...)
{
    static const char *names[] = { "error", "warn", "info", "debug" };
    if (level > log_level()) return;
    char ts[32];
    ami__iso_time(ami_time_now_ms(), ts);
    va_list ap;
    va_start(ap, fmt);
    char line[2048];
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s ami %s: %s\n", ts, names[level], line);
}
