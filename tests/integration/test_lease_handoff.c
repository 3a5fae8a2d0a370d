/* Claim: a lease released by SIGTERM of the leader's amid process is taken by
 * the waiting node within the change feed's latency (well under 300 ms), not
 * at its campaign retry (5 s here) nor at the lease's expiry (3 s): the
 * waiting node watches the lease key.  Two real amid processes, one SQLite file. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "ami/election.h"

static char db[512];
static ami_store *st;
static const char *nids[2] = { "h-0001", "h-0002" };
static pid_t pids[2];

static void nap_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

#define WAIT_FOR(cond, ms) ({ int64_t t0_ = ami_time_mono_ms(), r_ = -1; \
    while (ami_time_mono_ms() - t0_ < (ms)) { if (cond) { r_ = ami_time_mono_ms() - t0_; break; } nap_ms(2); } r_; })

static pid_t spawn(int i)
{
    char amid[512], log[600];
    snprintf(amid, sizeof amid, "%s/amid", check_build_dir());
    snprintf(log, sizeof log, "%s/%s.log", check_tmpdir(), nids[i]);
    pid_t p = fork();
    REQUIRE(p >= 0);
    if (p == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) { dup2(fd, 2); dup2(fd, 1); }
        char local[600];
        snprintf(local, sizeof local, "sqlite:%s/%s.local", check_tmpdir(), nids[i]);
        execl(amid, "amid", "--nid", nids[i], "--db", db, "--local-db", local, "--lease-ms", "3000", "--renew-ms", "1000",
              "--retry-ms", "5000", "--heartbeat-ms", "500", "--graceful-shutdown-ms", "1000", (char *)NULL);
        _exit(127);
    }
    return p;
}

static int holder(const char *sid)
{
    ami_lease l;
    if (ami_election_get(&l, st, sid) || l.expired) return -1;
    for (int i = 0; i < 2; i++) if (!strcmp(l.leader, nids[i])) return i;
    return -1;
}

static void sigterm_hands_over_at_once(void)
{
    json_t *body = check_json("{\"scriptContent\":\"var x = 1;\",\"priority\":\"critical\",\"executionMode\":\"leader\",\"active\":true}");
    json_t *e = NULL;
    REQUIRE(ami_registry_create(&e, st, "h-0001", body) == 0);
    const char *sid = json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "sid"));
    REQUIRE(sid);
    int li = -1;
    CHECK(WAIT_FOR((li = holder(sid)) >= 0, 10000) >= 0);
    REQUIRE(li >= 0);
    /* both nodes up for a while: the other has campaigned, lost, and now waits its retry */
    nap_ms(1500);
    REQUIRE(holder(sid) == li);
    int64_t t0 = ami_time_mono_ms();
    kill(pids[li], SIGTERM);
    int other = 1 - li;
    int64_t took = WAIT_FOR(holder(sid) == other, 10000);
    fprintf(stderr, "    lease taken by the waiting node %lld ms after SIGTERM (retry 5000 ms, lease 3000 ms)\n",
            (long long)(took >= 0 ? took : ami_time_mono_ms() - t0));
    CHECK(took >= 0 && took < 300);
    int status = 0;
    waitpid(pids[li], &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pids[li] = 0;
    json_decref(e);
    json_decref(body);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    if (check_store_is_etcd()) snprintf(db, sizeof db, "%s", check_store_uri("handoff.db"));
    else snprintf(db, sizeof db, "%s", check_path("handoff.db"));
    char uri[600];
    snprintf(uri, sizeof uri, "%s%s", check_store_is_etcd() ? "" : "sqlite:", db);
    REQUIRE(ami_store_open(&st, uri) == 0);
    for (int i = 0; i < 2; i++) pids[i] = spawn(i);
    RUN(sigterm_hands_over_at_once);
    for (int i = 0; i < 2; i++) if (pids[i] > 0) kill(pids[i], SIGTERM);
    for (int i = 0; i < 2; i++) if (pids[i] > 0) waitpid(pids[i], NULL, 0);
    ami_store_free(st);
    ami_shutdown();
    return check_done();
}
