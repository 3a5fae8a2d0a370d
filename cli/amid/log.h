/*
 * amid's own log lines on stderr: "2026-12-02T01:02:03.456Z info amid: …"
 * (log_format = text, the default) or one JSON object per line
 * {"ts":…,"time":"…","level":"…","source":"amid","msg":"…"} (log_format = json).
 * Worker log lines use the same two formats (source "worker", with nid and sid).
 */
#ifndef AMID_LOG_H
#define AMID_LOG_H
#include <stdint.h>

typedef enum { AMID_LOG_TEXT = 0, AMID_LOG_JSON = 1 } amid_log_format;
void amid_log_set_format(amid_log_format f);
/* One line of amid's own: level "info" | "warn" | "error". */
void amid_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One worker line (what the node's log sink hands over). */
void amid_log_worker(int64_t ts, const char *level, const char *nid, const char *sid, const char *msg);
#endif
