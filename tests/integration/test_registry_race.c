/* Claim: concurrent writer processes on one registry (create, update, delete,
 * start, stop and stop-all, each process on its own workers while stop-all
 * rewrites everyone's), killed with kill -9 at random moments, lose no
 * acknowledged write: replaying what each process was told succeeded gives
 * exactly the registry found afterwards (a write in flight at the kill may
 * have landed or not), every record parses and the registry lists.
 * Short in CI (AMI_TORTURE_SECONDS, default 12 s); `make torture
 * DURATION=600` runs it long. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

enum { WRITERS = 4, OWN_MAX = 6 };

/* ---- a writer process: prints an intent line before each write and an ack after it succeeded ---- */

static int writer_main(const char *db, int id, unsigned seed)
{
    ami_store *s = NULL;
    if (ami_store_open(&s, db)) { fprintf(stderr, "writer: %s\n", ami_error_last()); return 1; }
    srandom(seed);
    char own[OWN_MAX][64];
    int n = 0;
    long seq = 0;
    for (;;) {
        int op = (int)(random() % 100);
        char note[64];
        snprintf(note, sizeof note, "w%d-%ld", id, ++seq);
        json_t *out = NULL;
        if (n == 0 || (op < 20 && n < OWN_MAX)) {
            printf("c\n");
            fflush(stdout);
            json_t *body = json_pack("{s:s,s:s,s:b}", "scriptContent", "logger.info(1);", "note", note, "active", 0);
            int rc = ami_registry_create(&out, s, "race", body);
            json_decref(body);
            if (rc == 0) {
                snprintf(own[n], sizeof own[n], "%s", ami_entry_sid(out));
                printf("C %s %s\n", own[n], note);
                n++;
            } else {
                printf("y\n");
            }
        } else if (op < 60) {
            int k = (int)(random() % n);
            printf("u %s %s\n", own[k], note);
            fflush(stdout);
            json_t *raw = json_pack("{s:s}", "note", note);
            if (ami_registry_update(&out, s, own[k], raw, NULL) == 0) printf("U %s %s\n", own[k], note);
            else printf("x %s\n", own[k]);   /* refused (a concurrent stop-all): nothing landed */
            json_decref(raw);
        } else if (op < 85) {
            int k = (int)(random() % n);
            if (ami_registry_set_active(&out, s, own[k], (int)(random() % 2)) == 0) printf("A %s\n", own[k]);
        } else if (op < 97) {
            int k = (int)(random() % n);
            printf("d %s\n", own[k]);
            fflush(stdout);
            if (ami_registry_delete(s, own[k]) == 0) printf("D %s\n", own[k]);
            else printf("x %s\n", own[k]);
            memmove(own[k], own[k + 1], sizeof own[0] * (size_t)(n - k - 1));
            n--;
        } else {
            int partial = 0;
            if (ami_registry_stop_all(&out, &partial, s) == 0) printf("S\n");
        }
        json_decref(out);
        fflush(stdout);
    }
}

/* ---- the harness ---- */

typedef struct { char sid[64]; char note[64]; char pending[64]; int exists, pending_kind; } model;   /* pending: 1 update, 2 delete */
/* Every worker ever acked, however long the run (a long run creates tens of
 * thousands), found by sid through an open-addressing index of slots + 1. */
static model *m;
static int nm, cap_m;
static int *idx;
static size_t cap_idx;
static long acks, writes_by_kind[6];
static int create_in_flight, creates_lost_in_kill;   /* the last line read was 'c'; creates cut by a kill */

static size_t sid_hash(const char *s)
{
    size_t h = 14695981039346656037ULL;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static void index_put(int i)
{
    size_t j = sid_hash(m[i].sid) & (cap_idx - 1);
    while (idx[j]) j = (j + 1) & (cap_idx - 1);
    idx[j] = i + 1;
}

static model *find(const char *sid, int add)
{
    if (cap_idx) {
        for (size_t j = sid_hash(sid) & (cap_idx - 1); idx[j]; j = (j + 1) & (cap_idx - 1))
            if (!strcmp(m[idx[j] - 1].sid, sid)) return &m[idx[j] - 1];
    }
    if (!add) return NULL;
    if (nm == cap_m) {
        cap_m = cap_m ? cap_m * 2 : 1024;
        REQUIRE((m = realloc(m, sizeof *m * (size_t)cap_m)) != NULL);
    }
    if ((size_t)(nm + 1) * 2 > cap_idx) {   /* at most half full */
        free(idx);
        cap_idx = cap_idx ? cap_idx * 2 : 4096;
        REQUIRE((idx = calloc(cap_idx, sizeof *idx)) != NULL);
        for (int i = 0; i < nm; i++) index_put(i);
    }
    memset(&m[nm], 0, sizeof m[nm]);
    snprintf(m[nm].sid, sizeof m[nm].sid, "%s", sid);
    index_put(nm);
    return &m[nm++];
}

static void apply(char *line)
{
    char kind = line[0], sid[64] = "", note[64] = "";
    create_in_flight = kind == 'c';
    if (kind == 'c' || kind == 'y') return;
    if (sscanf(line + 1, " %63s %63s", sid, note) < 1 && kind != 'S') return;
    model *x = kind == 'S' ? NULL : find(sid, kind == 'C');
    switch (kind) {
    case 'C': x->exists = 1; snprintf(x->note, sizeof x->note, "%s", note); acks++; writes_by_kind[0]++; break;
    case 'u': if (x) { x->pending_kind = 1; snprintf(x->pending, sizeof x->pending, "%s", note); } break;
    case 'U': if (x) { snprintf(x->note, sizeof x->note, "%s", note); x->pending_kind = 0; } acks++; writes_by_kind[1]++; break;
    case 'd': if (x) x->pending_kind = 2; break;
    case 'D': if (x) { x->exists = 0; x->pending_kind = 0; } acks++; writes_by_kind[2]++; break;
    case 'x': if (x) x->pending_kind = 0; break;
    case 'A': acks++; writes_by_kind[3]++; break;
    case 'S': acks++; writes_by_kind[4]++; break;
    }
}

typedef struct { pid_t pid; int fd; char buf[256]; size_t len; int cif; } proc;

static void drain(proc *p)
{
    char tmp[8192];
    ssize_t r;
    while ((r = read(p->fd, tmp, sizeof tmp)) > 0)
        for (ssize_t i = 0; i < r; i++) {
            if (tmp[i] == '\n') { p->buf[p->len] = 0; apply(p->buf); p->cif = create_in_flight; p->len = 0; }
            else if (p->len < sizeof p->buf - 1) p->buf[p->len++] = tmp[i];
        }
}

static char self[512];
static int seconds = 12;

static void spawn(proc *p, const char *db, int id)
{
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    memset(p, 0, sizeof *p);
    char ids[16], seed[32];
    snprintf(ids, sizeof ids, "%d", id);
    snprintf(seed, sizeof seed, "%ld", random());
    p->pid = fork();
    REQUIRE(p->pid >= 0);
    if (p->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execl(self, self, "--writer", db, ids, seed, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    p->fd = fds[0];
    fcntl(p->fd, F_SETFL, O_NONBLOCK);
}

/* The registry against the replayed acks; returns the number of mismatches. */
static int verify(ami_store *st, int *workers)
{
    json_t *list = NULL, *corrupt = NULL;
    REQUIRE(ami_registry_scan(&list, &corrupt, st) == 0);
    CHECK_INT(json_array_size(corrupt), 0);
    json_t *l2 = NULL;
    CHECK_INT(ami_registry_list(&l2, st), 0);
    CHECK_INT(json_array_size(l2), json_array_size(list));
    json_decref(l2);
    *workers = (int)json_array_size(list);
    int bad = 0, unacked_creates = 0;
    /* everything listed is known, and its note is the acked one (or the one in flight at a kill) */
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        const char *sid = ami_entry_sid(e);
        json_t *raw = json_object_get(ami_entry_value(e), "raw");
        const char *note = json_string_value(json_object_get(raw, "note"));
        model *x = sid ? find(sid, 0) : NULL;
        if (!x) {
            /* a create the kill cut short may have landed: at most one per such kill */
            if (unacked_creates < creates_lost_in_kill && note && note[0] == 'w') { unacked_creates++; continue; }
            fprintf(stderr, "  listed but never acked: %s\n", sid ? sid : "?");
            bad++;
            continue;
        }
        x->exists += 10;   /* seen */
        int ok_exist = x->exists % 10 == 1 || x->pending_kind == 2;
        int ok_note = note && (!strcmp(note, x->note) || (x->pending_kind == 1 && !strcmp(note, x->pending)));
        if (!ok_exist || !ok_note) {
            fprintf(stderr, "  %s: listed with note %s; acked %s (%s)%s%s\n", sid, note ? note : "(none)", x->note,
                    x->exists % 10 ? "exists" : "deleted", x->pending_kind == 1 ? ", in flight " : "",
                    x->pending_kind == 1 ? x->pending : "");
            bad++;
        }
    }
    for (int k = 0; k < nm; k++) {
        int seen = m[k].exists >= 10, exists = m[k].exists % 10;
        if (exists && !seen && m[k].pending_kind != 2) { fprintf(stderr, "  %s: acked, missing\n", m[k].sid); bad++; }
        m[k].exists = exists;
    }
    json_decref(list);
    json_decref(corrupt);
    return bad;
}

static void race(void)
{
    const char *db = check_path("race.db");
    char dbc[600];
    snprintf(dbc, sizeof dbc, "%s", db);
    int64_t end = ami_time_mono_ms() + (int64_t)seconds * 1000;
    int rounds = 0, kills = 0, workers = 0;
    proc p[WRITERS];
    for (int i = 0; i < WRITERS; i++) spawn(&p[i], dbc, i);
    int next_id = WRITERS;
    while (ami_time_mono_ms() < end) {
        /* every 0.3-1.5 s one writer dies by kill -9 and a new one takes its place */
        int64_t until = ami_time_mono_ms() + 300 + random() % 1200;
        while (ami_time_mono_ms() < until) { usleep(20000); for (int i = 0; i < WRITERS; i++) drain(&p[i]); }
        int k = (int)(random() % WRITERS);
        kill(p[k].pid, SIGKILL);
        waitpid(p[k].pid, NULL, 0);
        drain(&p[k]);
        close(p[k].fd);
        creates_lost_in_kill += p[k].cif;
        kills++;
        spawn(&p[k], dbc, next_id++);
        rounds++;
    }
    for (int i = 0; i < WRITERS; i++) {
        kill(p[i].pid, SIGKILL);
        waitpid(p[i].pid, NULL, 0);
        drain(&p[i]);
        close(p[i].fd);
        creates_lost_in_kill += p[i].cif;
    }
    ami_store *st = NULL;
    REQUIRE(ami_store_open(&st, dbc) == 0);
    int bad = verify(st, &workers);
    CHECK_INT(bad, 0);
    ami_store_free(st);
    fprintf(stderr, "  writers %d at a time, %d killed with kill -9; acknowledged writes %ld (create %ld, update %ld, "
            "delete %ld, start/stop %ld, stop-all %ld); workers left %d; mismatches %d\n", WRITERS, kills, acks,
            writes_by_kind[0], writes_by_kind[1], writes_by_kind[2], writes_by_kind[3], writes_by_kind[4], workers, bad);
    CHECK(acks > 100);
    CHECK(writes_by_kind[4] > 0);
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "--writer")) {
        ami_init();
        return writer_main(argv[2], atoi(argv[3]), (unsigned)strtoul(argv[4], NULL, 10));
    }
    REQUIRE(realpath("/proc/self/exe", self) != NULL);
    const char *env = getenv("AMI_TORTURE_SECONDS");
    if (env && atoi(env) > 0) seconds = atoi(env);
    srandom((unsigned)time(NULL));
    ami_init();
    RUN(race);
    ami_shutdown();
    free(m);
    free(idx);
    return check_done();
}
