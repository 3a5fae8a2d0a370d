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
#include "ami/node.h"

#define HEARTBEAT 300
#define GRACE 1000

static char db[512], logpath[600];
static ami_store *st;

static void nap_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static pid_t spawn(void)
{
    char amid[512];
    snprintf(amid, sizeof amid, "%s/amid", check_build_dir());
    pid_t p = fork();
    REQUIRE(p >= 0);
    if (p == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { dup2(fd, 2); dup2(fd, 1); }
        execl(amid, "amid", "--nid", "s-0001", "--db", db, "--heartbeat-ms", "300", "--stats-ms", "300",
              "--graceful-shutdown-ms", "1000", (char *)NULL);
        _exit(127);
    }
    return p;
}

static long rss_kb(pid_t p)
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

/* ms since the node's heartbeat was written (-1 when there is none). */
static int64_t heartbeat_age(void)
{
    json_t *k = ami_key_new("ami", "node", "s-0001", NULL), *e = NULL;
    int64_t age = -1;
    if (ami_store_get(&e, st, k) == 0) {
        json_t *at = json_object_get(json_object_get(e, "value"), "heartbeatAt");
        if (json_is_integer(at)) age = ami_time_now_ms() - json_integer_value(at);
    }
    json_decref(e);
    json_decref(k);
    return age;
}

static char *create(const char *body_json)
{
    json_t *body = check_json(body_json), *e = NULL;
    REQUIRE(ami_registry_create(&e, st, "s-0001", body) == 0);
    char *sid = strdup(json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "sid")));
    json_decref(e);
    json_decref(body);
    return sid;
}

static long long ticks(const char *sid)
{
    json_t *k = ami_key_new("tick", sid, NULL), *e = NULL;
    long long v = 0;
    if (ami_store_get(&e, st, k) == 0) v = json_integer_value(json_object_get(json_object_get(e, "value"), "raw"));
    json_decref(e);
    json_decref(k);
    return v;
}

static void flood_is_contained(void)
{
    char *flood = create("{\"scriptContent\":\"const s = 'x'.repeat(60000);\\n"
                         "for (let i = 0; i < 20; i++) logger.info(s + i);\","
                         "\"active\":true,\"priority\":\"critical\"}");
    char *calm = create("{\"scriptContent\":\"const e = await Stels.net.get(['tick', Stels.config.sid]);\\n"
                        "await Stels.net.set(['tick', Stels.config.sid], (e.value ? e.value.raw : 0) + 1);\","
                        "\"active\":true,\"priority\":\"high\"}");
    pid_t p = spawn();
    nap_ms(1500);
    long long t_start = ticks(calm);
    long max_rss = 0;
    int64_t max_age = 0;
    int64_t t0 = ami_time_mono_ms();
    while (ami_time_mono_ms() - t0 < 10000) {
        long r = rss_kb(p);
        if (r > max_rss) max_rss = r;
        int64_t age = heartbeat_age();
        if (age > max_age) max_age = age;
        nap_ms(50);
    }
    long long t_end = ticks(calm);
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
