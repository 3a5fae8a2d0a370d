/* Claim: lease election on a real SQLite store acquires, refuses, takes over, renews, releases and fences as docs/design.md §6 says. */
#include "check.h"
#include "util/util.h"

static ami_store *st;
static int n_sid;

/* A fresh worker id per case so cases do not see each other's leases. */
static const char *new_sid(void)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "5a1d0000-0000-4000-8000-%012d", ++n_sid);
    return buf;
}

static json_t *stored_value(const char *sid)
{
    json_t *key = ami_key_new("ami", "leader", sid, NULL);
    json_t *e = NULL;
    CHECK_RC(ami_store_get(&e, st, key));
    json_decref(key);
    json_t *v = json_incref(json_object_get(e, "value"));
    json_decref(e);
    return v;
}

static void acquire_on_empty(void)
{
    const char *sid = new_sid();
    ami_lease l, g;
    int acq = -1;
    CHECK_INT(ami_election_get(&g, st, sid), AMI_ENOTFOUND);
    int64_t t0 = ami_time_now_ms();
    CHECK_RC(ami_election_try_acquire(&l, &acq, st, sid, "s-0001", 5000));
    int64_t t1 = ami_time_now_ms();
    CHECK_INT(acq, 1);
    CHECK_STR(l.sid, sid);
    CHECK_STR(l.leader, "s-0001");
    CHECK_INT(l.term, 1);
    CHECK(l.timestamp >= t0 && l.timestamp <= t1);
    CHECK_INT(l.renewed_at, l.timestamp);
    CHECK_INT(l.expires_at, l.timestamp + 5000);
    CHECK_INT(strlen(l.versionstamp), AMI_VERSIONSTAMP_LEN);
    CHECK_INT(l.expired, 0);

    /* the stored record is a LeaderLease, and get() reads it back */
    json_t *v = stored_value(sid);
    json_t *want = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "leader", "s-0001", "workerId", sid,
                             "timestamp", (json_int_t)l.timestamp, "renewedAt", (json_int_t)l.renewed_at,
                             "expiresAt", (json_int_t)l.expires_at, "term", (json_int_t)1);
    CHECK_JSON_EQ(v, want);
    json_decref(v);
    json_decref(want);
    CHECK_RC(ami_election_get(&g, st, sid));
    CHECK_STR(g.leader, "s-0001");
    CHECK_INT(g.term, 1);
    CHECK_STR(g.versionstamp, l.versionstamp);
    CHECK_INT(g.expired, 0);
    CHECK(g.expires_in > 4000 && g.expires_in <= 5000);
}

static void second_candidate_refused_while_valid(void)
{
    const char *sid = new_sid();
    ami_lease a, b;
    int acq = 0;
    CHECK_RC(ami_election_try_acquire(&a, &acq, st, sid, "s-0001", 5000));
    CHECK_INT(acq, 1);
    for (int i = 0; i < 3; i++) {
        acq = -1;
        CHECK_RC(ami_election_try_acquire(&b, &acq, st, sid, "s-0002", 5000));
        CHECK_INT(acq, 0);
        /* out tells who holds it and until when */
        CHECK_STR(b.leader, "s-0001");
        CHECK_INT(b.term, 1);
        CHECK_INT(b.expires_at, a.expires_at);
        CHECK_STR(b.versionstamp, a.versionstamp);
    }
    /* not even the same nid takes over a valid lease (could be an earlier incarnation) */
    CHECK_RC(ami_election_try_acquire(&b, &acq, st, sid, "s-0001", 5000));
    CHECK_INT(acq, 0);
    CHECK_STR(b.versionstamp, a.versionstamp);
}

static void takeover_after_expiry_term_plus_one(void)
{
    const char *sid = new_sid();
    ami_lease a, b, c;
    int acq = 0;
    CHECK_RC(ami_election_try_acquire(&a, &acq, st, sid, "s-0001", 150));
    CHECK_INT(acq, 1);
    ami__sleep_ms(200);
    CHECK_RC(ami_election_get(&c, st, sid));
    CHECK_INT(c.expired, 1);
    CHECK_INT(c.expires_in, 0);
    CHECK_INT(c.term, 1);                  /* the expired record keeps its term */
    CHECK_RC(ami_election_try_acquire(&b, &acq, st, sid, "s-0002", 150));
    CHECK_INT(acq, 1);
    CHECK_STR(b.leader, "s-0002");
    CHECK_INT(b.term, 2);
    CHECK(strcmp(b.versionstamp, a.versionstamp) > 0);
    /* and again: the first node comes back after the second lapsed */
    ami__sleep_ms(200);
    CHECK_RC(ami_election_try_acquire(&c, &acq, st, sid, "s-0001", 5000));
    CHECK_INT(acq, 1);
    CHECK_INT(c.term, 3);
    CHECK(c.timestamp > a.timestamp);
}

static void renew_keeps_term_and_extends(void)
{
    const char *sid = new_sid();
    ami_lease a;
    int acq = 0;
    CHECK_RC(ami_election_try_acquire(&a, &acq, st, sid, "s-0001", 1000));
    REQUIRE(acq == 1);
    ami_lease first = a;
    for (int i = 0; i < 4; i++) {
        ami__sleep_ms(120);
        ami_versionstamp before;
        memcpy(before, a.versionstamp, sizeof before);
        CHECK_RC(ami_election_renew(&a, st, 1000));
        CHECK_INT(a.term, 1);
        CHECK_INT(a.timestamp, first.timestamp);   /* elected-at stays */
        CHECK(a.renewed_at >= first.timestamp + 120 * (i + 1));
        CHECK_INT(a.expires_at, a.renewed_at + 1000);
        CHECK(strcmp(a.versionstamp, before) > 0);
    }
    ami_lease b;
    CHECK_RC(ami_election_try_acquire(&b, &acq, st, sid, "s-0002", 1000));
    CHECK_INT(acq, 0);
    CHECK_RC(ami_election_get(&b, st, sid));
    CHECK_INT(b.renewed_at, a.renewed_at);
    CHECK_INT(b.expires_at, a.expires_at);
    CHECK_STR(b.versionstamp, a.versionstamp);
}

static void renew_after_takeover_fails(void)
{
    const char *sid = new_sid();
    ami_lease a, b;
    int acq = 0;
    CHECK_RC(ami_election_try_acquire(&a, &acq, st, sid, "s-0001", 100));
    ami__sleep_ms(150);
    CHECK_RC(ami_election_try_acquire(&b, &acq, st, sid, "s-0002", 5000));
    CHECK_INT(acq, 1);
    ami_lease saved = a;
    CHECK_INT(ami_election_renew(&a, st, 5000), AMI_ELEASE);
    CHECK(strstr(ami_error_last(), "no longer held") != NULL);
    CHECK(memcmp(&a, &saved, sizeof a) == 0);      /* untouched on loss */
    CHECK_INT(ami_election_release(st, &a), AMI_ELEASE);  /* nothing to release either */
    ami_lease g;
    CHECK_RC(ami_election_get(&g, st, sid));
    CHECK_STR(g.leader, "s-0002");
    CHECK_INT(g.term, 2);
    CHECK_INT(g.expired, 0);
}

static void renew_just_after_expiry_without_rival(void)
{
    /* nobody acquired in between: the tenure is unbroken, the renewal succeeds */
    const char *sid = new_sid();
    ami_lease a;
    int acq = 0;
    CHECK_RC(ami_election_try_acquire(&a, &acq, st, sid, "s-0001", 50));
    ami__sleep_ms(80);
    CHECK_RC(ami_election_renew(&a, st, 5000));
    CHECK_INT(a.term, 1);
    CHECK_INT(a.expired, 0);
}

static void release_lets_another_acquire_at_once(void)
{
    const char *sid = new_sid();
    ami_lease a, b;
    int acq = 0;
    CHECK_RC(ami_election_try_acquire(&a, &acq, st, sid, "s-0001", 60000));
    REQUIRE(acq == 1);
    int64_t t0 = ami_time_mono_ms();
    CHECK_RC(ami_election_release(st, &a));
    CHECK_RC(ami_election_try_acquire(&b, &acq, st, sid, "s-0002", 60000));
    int64_t dt = ami_time_mono_ms() - t0;
    CHECK_INT(acq, 1);
    CHECK_STR(b.leader, "s-0002");
    CHECK_INT(b.term, 2);
    CHECK(dt < 5000);   /* no waiting for the 60 s lease (generous bound for a loaded machine) */
    /* the released holder cannot renew */
    CHECK_INT(ami_election_renew(&a, st, 60000), AMI_ELEASE);
}

static void release_keeps_term_in_store(void)
{
    const char *sid = new_sid();
    ami_lease a, g;
    int acq = 0;
    CHECK_RC(ami_election_try_acquire(&a, &acq, st, sid, "s-0001", 60000));
    CHECK_RC(ami_election_release(st, &a));
    CHECK_RC(ami_election_get(&g, st, sid));
    CHECK_INT(g.term, 1);
    CHECK_STR(g.leader, "s-0001");
    CHECK_INT(g.expired, 1);
    CHECK(g.expires_at <= ami_time_now_ms());
    /* the same node re-acquires with a new term */
    CHECK_RC(ami_election_try_acquire(&g, &acq, st, sid, "s-0001", 60000));
    CHECK_INT(acq, 1);
    CHECK_INT(g.term, 2);
}

/* Commit {sid}/data = v with the lease fence; returns committed. */
static int fenced_write(const ami_lease *l, int v)
{
    ami_atomic *a = NULL;
    CHECK_RC(ami_atomic_new(&a));
    json_t *key = ami_key_new("test", l->sid, "data", NULL);
    json_t *val = json_integer(v);
    CHECK_RC(ami_election_add_fence(a, l));
    CHECK_RC(ami_atomic_set(a, key, val, 0));
    int committed = -1;
    ami_versionstamp vs;
    CHECK_RC(ami_store_commit(st, a, &committed, vs));
    json_decref(key);
    json_decref(val);
    ami_atomic_free(a);
    return committed;
}

static void fence_rejects_deposed_leader(void)
{
    const char *sid = new_sid();
    ami_lease a, b;
    int acq = 0;
    CHECK_RC(ami_election_try_acquire(&a, &acq, st, sid, "s-0001", 100));
    CHECK_INT(fenced_write(&a, 1), 1);
    ami__sleep_ms(150);
    CHECK_RC(ami_election_try_acquire(&b, &acq, st, sid, "s-0002", 5000));
    REQUIRE(acq == 1);
    CHECK_INT(fenced_write(&a, 2), 0);       /* the deposed leader's late write */
    CHECK_INT(ami_election_refresh(&a, st), AMI_ELEASE);
    CHECK_INT(fenced_write(&b, 3), 1);
    json_t *key = ami_key_new("test", sid, "data", NULL);
    json_t *e = NULL;
    CHECK_RC(ami_store_get(&e, st, key));
    CHECK_INT(json_integer_value(json_object_get(e, "value")), 3);
    json_decref(e);
    json_decref(key);
}

static void fence_after_own_renewal_refreshes(void)
{
    const char *sid = new_sid();
    ami_lease a;
    int acq = 0;
    CHECK_RC(ami_election_try_acquire(&a, &acq, st, sid, "s-0001", 5000));
    ami_lease stale = a;
    CHECK_RC(ami_election_renew(&a, st, 5000));     /* e.g. the renewal thread */
    CHECK_INT(fenced_write(&stale, 1), 0);          /* fenced with the old versionstamp */
    CHECK_RC(ami_election_refresh(&stale, st));     /* same leader, same term: still ours */
    CHECK_STR(stale.versionstamp, a.versionstamp);
    CHECK_INT(fenced_write(&stale, 2), 1);
}

static void bad_arguments(void)
{
    ami_lease l;
    int acq = 0;
    char longid[200];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    CHECK_INT(ami_election_try_acquire(&l, &acq, st, "", "s-0001", 1000), AMI_EINVAL);
    CHECK_INT(ami_election_try_acquire(&l, &acq, st, "w", NULL, 1000), AMI_EINVAL);
    CHECK_INT(ami_election_try_acquire(&l, &acq, st, longid, "s-0001", 1000), AMI_EINVAL);
    CHECK_INT(ami_election_try_acquire(&l, &acq, st, "w", "s-0001", 0), AMI_EINVAL);
    CHECK_INT(ami_election_try_acquire(NULL, &acq, st, "w", "s-0001", 10), AMI_EINVAL);
    memset(&l, 0, sizeof l);
    CHECK_INT(ami_election_renew(&l, st, 1000), AMI_EINVAL);
    CHECK_INT(ami_election_release(st, &l), AMI_EINVAL);
    ami_atomic *a = NULL;
    CHECK_RC(ami_atomic_new(&a));
    snprintf(l.sid, sizeof l.sid, "w");
    CHECK_INT(ami_election_add_fence(a, &l), AMI_EINVAL);   /* no versionstamp */
    ami_atomic_free(a);
    CHECK_INT(ami_election_get(&l, st, NULL), AMI_EINVAL);

    /* a value that is not a lease is reported, not taken over */
    const char *sid = new_sid();
    json_t *key = ami_key_new("ami", "leader", sid, NULL);
    json_t *junk = json_string("junk");
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(st, key, junk, 0, vs));
    CHECK_INT(ami_election_get(&l, st, sid), AMI_EINVAL);
    CHECK_INT(ami_election_try_acquire(&l, &acq, st, sid, "s-0001", 1000), AMI_EINVAL);
    CHECK_INT(acq, 0);
    json_decref(junk);
    json_decref(key);
}

int main(void)
{
    REQUIRE(ami_store_open(&st, check_path("election.db")) == 0);
    RUN(acquire_on_empty);
    RUN(second_candidate_refused_while_valid);
    RUN(takeover_after_expiry_term_plus_one);
    RUN(renew_keeps_term_and_extends);
    RUN(renew_after_takeover_fails);
    RUN(renew_just_after_expiry_without_rival);
    RUN(release_lets_another_acquire_at_once);
    RUN(release_keeps_term_in_store);
    RUN(fence_rejects_deposed_leader);
    RUN(fence_after_own_renewal_refreshes);
    RUN(bad_arguments);
    ami_store_free(st);
    return check_done();
}
