/* Claim: a worker logging 60 KB lines as fast as it can, beside a normal
 * worker, cannot hurt its amid: the node's RSS and its stderr stay bounded
 * (the per-worker log budget drops the excess and says so with a
 * "log lines dropped" line), the heartbeat is never late, the neighbour keeps
 * working, and SIGTERM ends the process within graceful_shutdown_ms + 1 s.
 * A real amid process, real signals. */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "amid_proc.h"

#define HEARTBEAT 300
#define GRACE 1000

static char db[512], logpath[600];
static ami_store *st;

static void flood_is_contained(void)
{
    char *flood = create_worker(st, "{\"scriptContent\":\"const s = 'x'.repeat(60000);\\n"
                         "for (let i = 0; i < 20; i++) logger.info(s + i);\","
                         "\"active\":true,\"priority\":\"critical\"}");
    char *calm = create_worker(st, "{\"scriptContent\":\"const e = await Stels.net.get(['tick', Stels.config.sid]);\\n"
                        "await Stels.net.set(['tick', Stels.config.sid], (e.value ? e.value.raw : 0) + 1);\","
                        "\"active\":true,\"priority\":\"high\"}");
    pid_t p = amid_spawn(db, logpath);
    nap_ms(1500);
    long long t_start = ticks(st, calm);
    long max_rss = 0;
    int64_t max_age = 0;
    int64_t t0 = ami_time_mono_ms();
    while (ami_time_mono_ms() - t0 < 10000) {
        long r = rss_kb(p);
        if (r > max_rss) max_rss = r;
        int64_t age = heartbeat_age(st);
        if (age > max_age) max_age = age;
        nap_ms(50);
    }
    long long t_end = ticks(st, calm);
    struct stat sb;
    CHECK(stat(logpath, &sb) == 0);
    fprintf(stderr, "    10 s of flooding: RSS max %ld MB, heartbeat age max %lld ms (interval %d), stderr %lld KB, "
                    "neighbour %lld iterations\n", max_rss / 1024, (long long)max_age, HEARTBEAT,
            (long long)sb.st_size / 1024, t_end - t_start);
    CHECK(max_rss > 0 && max_rss < 400 * 1024);
    CHECK(max_age >= 0 && max_age < 3 * HEARTBEAT);   /* never as old as its expiry */
    CHECK(sb.st_size < 40LL << 20);                    /* budget 256 KiB/s: ~2.5 MB, not GBs */
    CHECK(t_end - t_start > 50);

    int64_t k0 = ami_time_mono_ms();
    kill(p, SIGTERM);
    int status = 0;
    while (waitpid(p, &status, WNOHANG) == 0 && ami_time_mono_ms() - k0 < 30000) nap_ms(10);
    int64_t took = ami_time_mono_ms() - k0;
    fprintf(stderr, "    SIGTERM to exit: %lld ms (bound %d)\n", (long long)took, GRACE + 1000);
    CHECK(took < GRACE + 1000 + 500);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (took >= 30000) { kill(p, SIGKILL); waitpid(p, NULL, 0); }

    FILE *f = fopen(logpath, "r");
    char *line = NULL;
    size_t cap = 0;
    int marker = 0;
    char tag[16];
    snprintf(tag, sizeof tag, "[%.8s]", flood);   /* amid prints the first 8 characters of a sid */
    while (f && getline(&line, &cap, f) > 0)
        if (strstr(line, "log lines dropped") && strstr(line, tag)) marker = 1;
    free(line);
    if (f) fclose(f);
    CHECK(marker);
    free(flood);
    free(calm);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    snprintf(db, sizeof db, "%s", check_path("ami.db"));
    snprintf(logpath, sizeof logpath, "%s/amid.log", check_tmpdir());
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s", db);
    REQUIRE(ami_store_open(&st, uri) == 0);
    RUN(flood_is_contained);
    ami_store_free(st);
    ami_shutdown();
    return check_done();
}
