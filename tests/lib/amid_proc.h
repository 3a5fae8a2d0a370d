/*
 * Test harness for tests that run a real amid process beside a store handle
 * of their own: start amid (node s-0001, heartbeat and stats every 300 ms,
 * graceful shutdown 1 s, stderr to a log file), read its RSS and heartbeat,
 * create workers and read the counters their scripts keep; or start one
 * member of a leader-failover cluster (short lease, no HTTP).
 * Header-only: include it from one test program, after check.h.
 */
#ifndef AMI_TEST_AMID_PROC_H
#define AMI_TEST_AMID_PROC_H
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "ami/node.h"
#include "ami/election.h"

#define AMID_NID "s-0001"

static __attribute__((unused)) void nap_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Start the build's amid on the SQLite file `db`, its output into `logpath`. */
static __attribute__((unused)) pid_t amid_spawn(const char *db, const char *logpath)
{
    char amid[512];
    snprintf(amid, sizeof amid, "%s/amid", check_build_dir());
    pid_t p = fork();
    REQUIRE(p >= 0);
    if (p == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { dup2(fd, 2); dup2(fd, 1); }
        execl(amid, "amid", "--nid", AMID_NID, "--db", db, "--heartbeat-ms", "300", "--stats-ms", "300",
              "--graceful-shutdown-ms", "1000", (char *)NULL);
        _exit(127);
    }
    return p;
}

/* Start amid as cluster member `nid` on `db` (a SQLite path or an etcd:// URI) with
 * a 1 s lease (renew 300 ms, retry 100 ms), no HTTP; its output appended to
 * <tmpdir>/<nid>.log, its local store <tmpdir>/<nid>.local. */
static __attribute__((unused)) pid_t amid_spawn_member(const char *db, const char *nid)
{
    char amid[512], log[600], local[600];
    snprintf(amid, sizeof amid, "%s/amid", check_build_dir());
    snprintf(log, sizeof log, "%s/%s.log", check_tmpdir(), nid);
    snprintf(local, sizeof local, "sqlite:%s/%s.local", check_tmpdir(), nid);
    pid_t p = fork();
    REQUIRE(p >= 0);
    if (p == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) { dup2(fd, 2); dup2(fd, 1); }
        execl(amid, "amid", "--nid", nid, "--db", db, "--local-db", local, "--lease-ms", "1000", "--renew-ms", "300",
              "--retry-ms", "100", "--heartbeat-ms", "200", "--stats-ms", "500",
              "--graceful-shutdown-ms", "500", "--listen", "off", (char *)NULL);
        _exit(127);
    }
    return p;
}

/* Index in nids[0..n) of the member that holds worker sid's lease and has renewed it at
 * least once (so it is past its campaign and the others are campaigning), polled every
 * 20 ms for up to timeout_ms; -1 when none does in time. */
static __attribute__((unused)) int amid_renewed_leader(ami_store *st, const char *sid, const char *const *nids,
                                                       int n, int timeout_ms)
{
    int64_t t0 = ami_time_mono_ms();
    while (ami_time_mono_ms() - t0 < timeout_ms) {
        ami_lease ls;
        if (ami_election_get(&ls, st, sid) == 0 && !ls.expired && ls.renewed_at > ls.timestamp)
            for (int q = 0; q < n; q++) if (!strcmp(ls.leader, nids[q])) return q;
        nap_ms(20);
    }
    return -1;
}

/* Resident set of process p in KiB (-1 when it is gone). */
static __attribute__((unused)) long rss_kb(pid_t p)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)p);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}

/* ms since amid's heartbeat was written (-1 when there is none). */
static __attribute__((unused)) int64_t heartbeat_age(ami_store *st)
{
    json_t *k = ami_key_new("ami", "node", AMID_NID, NULL), *e = NULL;
    int64_t age = -1;
    if (ami_store_get(&e, st, k) == 0) {
        json_t *at = json_object_get(json_object_get(e, "value"), "heartbeatAt");
        if (json_is_integer(at)) age = ami_time_now_ms() - json_integer_value(at);
    }
    json_decref(e);
    json_decref(k);
    return age;
}

/* Create a worker from a setWorker body; its sid (free it). */
static __attribute__((unused)) char *create_worker(ami_store *st, const char *body_json)
{
    json_t *body = check_json(body_json), *e = NULL;
    REQUIRE(ami_registry_create(&e, st, AMID_NID, body) == 0);
    char *sid = strdup(json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "sid")));
    json_decref(e);
    json_decref(body);
    return sid;
}

/* The integer a worker's script keeps at ["tick", sid] (0 when there is none). */
static __attribute__((unused)) long long ticks(ami_store *st, const char *sid)
{
    json_t *k = ami_key_new("tick", sid, NULL), *e = NULL;
    long long v = 0;
    if (ami_store_get(&e, st, k) == 0) v = json_integer_value(json_object_get(json_object_get(e, "value"), "raw"));
    json_decref(e);
    json_decref(k);
    return v;
}
#endif
