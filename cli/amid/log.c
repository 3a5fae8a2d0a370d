/* amid's log lines: text with a UTC timestamp and a level, or JSON lines (log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jansson.h>
#include "ami.h"
#include "log.h"

static amid_log_format format = AMID_LOG_TEXT;

void amid_log_set_format(amid_log_format f) { format = f; }

static void stamp(char *out, size_t n, int64_t ts)
{
    time_t s = (time_t)(ts / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03dZ", when, (int)(ts % 1000));
}

static void emit(int64_t ts, const char *level, const char *source, const char *nid, const char *sid, const char *msg)
{
    char when[40];
    stamp(when, sizeof when, ts);
    flockfile(stderr);
    if (format == AMID_LOG_JSON) {
        json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s}", "ts", (json_int_t)ts, "time", when, "level", level, "source",
                              source, "msg", msg ? msg : "");
        if (o && nid) json_object_set_new(o, "nid", json_string(nid));
        if (o && sid) json_object_set_new(o, "sid", json_string(sid));
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s) fprintf(stderr, "%s\n", s);
        free(s);
        json_decref(o);
    } else if (sid) {
        fprintf(stderr, "%s %s [%.8s] %s: %s\n", when, nid ? nid : "-", sid, level, msg);
    } else {
        fprintf(stderr, "%s %-5s amid: %s\n", when, level, msg);
    }
    fflush(stderr);
    funlockfile(stderr);
}

void amid_log(const char *level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit(ami_time_now_ms(), level, "amid", NULL, NULL, msg);
}

void amid_log_worker(int64_t ts, const char *level, const char *nid, const char *sid, const char *msg)
{
    emit(ts, level, "worker", nid, sid, msg);
}
