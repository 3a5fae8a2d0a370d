#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

int check_failures;
static char tmpdir[256];

static void rm_tmp(void)
{
    if (!tmpdir[0] || getenv("AMI_KEEP_TMP")) return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd)) {}
}

const char *check_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/ami-test-XXXXXX");
        REQUIRE(mkdtemp(tmpdir));
        atexit(rm_tmp);
    }
    return tmpdir;
}

const char *check_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", check_tmpdir(), name);
    return p;
}

const char *check_build_dir(void)
{
    const char *b = getenv("AMI_BUILD");
    return b && *b ? b : "build";
}

json_t *check_json(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
    if (!j) { fprintf(stderr, "bad JSON in test: %s: %s\n", err.text, text); exit(1); }
    return j;
}

int check_json_equal(const json_t *a, const json_t *b, const char *file, int line)
{
    if (a && b && json_equal((json_t *)a, (json_t *)b)) return 1;
    char *sa = a ? json_dumps(a, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    char *sb = b ? json_dumps(b, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    fprintf(stderr, "%s:%d: JSON differs\n  got:      %s\n  expected: %s\n", file, line, sa ? sa : "(null)", sb ? sb : "(null)");
    free(sa); free(sb);
    return 0;
}

int check_done(void)
{
    if (check_failures) fprintf(stderr, "%d check(s) failed\n", check_failures);
    return check_failures ? 1 : 0;
}

const char *check_run(char *out, size_t cap, int *rc, const char *cmd)
{
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, cap - 1, p) : 0;
    out[n] = '\0';
    int st = p ? pclose(p) : -1;
    if (rc) *rc = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

int check_store_is_etcd(void)
{
    const char *e = getenv("AMI_TEST_ETCD");
    return e && *e;
}

const char *check_store_uri(const char *name)
{
    static char u[1024];
    static long long run_id;
    if (!check_store_is_etcd()) {
        snprintf(u, sizeof u, "%s", check_path(name));
        return u;
    }
    if (!run_id) run_id = (long long)getpid() * 1000003LL + (long long)ami_time_now_ms() % 1000003LL;
    snprintf(u, sizeof u, "etcd://%s/ami-test/%lld/%s", getenv("AMI_TEST_ETCD"), run_id, name);
    return u;
}
