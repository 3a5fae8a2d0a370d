/* Lease election: compare-and-set on ["ami","leader",sid] (see ami/election.h for the decisions). */
#include <string.h>
#include "ami/election.h"
#include "core/core.h"
#include "election/election_internal.h"
#include "store/store_internal.h"

static int check_id(const char *what, const char *id)
{
    if (!id || !id[0]) return ami__error_set(AMI_EINVAL, "election: %s is empty", what);
    if (strlen(id) >= AMI_LEASE_ID_MAX)
        return ami__error_set(AMI_EINVAL, "election: %s is longer than %d bytes", what, AMI_LEASE_ID_MAX - 1);
    return 0;
}

static json_t *lease_key(const char *sid)
{
    json_t *k = ami_key_new("ami", "leader", sid, NULL);
    if (!k) ami__error_oom();
    return k;
}

static void compute_expiry(ami_lease *l, int64_t now)
{
    l->expired = l->expires_at <= now;
    l->expires_in = l->expired ? 0 : l->expires_at - now;
}

static int64_t int_field(const json_t *obj, const char *name, int *ok)
{
    const json_t *v = json_object_get(obj, name);
    if (json_is_integer(v)) return (int64_t)json_integer_value(v);
    if (json_is_real(v)) return (int64_t)json_real_value(v);
    *ok = 0;
    return 0;
}

/* Parse a stored LeaderLease (a missing term reads as 0: written by something older). */
static int parse_lease(ami_lease *out, const json_t *value, const char *vs, const char *sid)
{
    memset(out, 0, sizeof *out);
    const char *leader = json_string_value(json_object_get(value, "leader"));
    int ok = json_is_object(value) && leader && strlen(leader) < AMI_LEASE_ID_MAX;
    out->timestamp = int_field(value, "timestamp", &ok);
    out->renewed_at = int_field(value, "renewedAt", &ok);
    out->expires_at = int_field(value, "expiresAt", &ok);
    int term_ok = 1;
    out->term = int_field(value, "term", &term_ok);
    if (!ok) return ami__error_set(AMI_EINVAL, "election: the lease of %s is not a LeaderLease", sid);
    snprintf(out->sid, sizeof out->sid, "%s", sid);
    snprintf(out->leader, sizeof out->leader, "%s", leader);
    snprintf(out->versionstamp, sizeof out->versionstamp, "%s", vs ? vs : "");
    return 0;
}

/* Read the lease at `key` as text (no entry object: this is on every renewal and getLeaderInfo):
 * 0 with *present set (out zeroed when absent).  stale_ok: the read only feeds a compare-and-set
 * (ami__store_get_text_stale_ok). */
static int read_lease(ami_lease *out, int *present, ami_store *store, const json_t *key, const char *sid, int stale_ok)
{
    memset(out, 0, sizeof *out);
    *present = 0;
    ami_buf text = AMI_BUF_INIT;
    ami_versionstamp vs;
    int rc = stale_ok ? ami__store_get_text_stale_ok(&text, vs, store, key) : ami_store_get_text(&text, vs, store, key);
    if (rc == AMI_ENOTFOUND) {
        ami_error_clear();
        rc = 0;
    } else if (!rc) {
        json_t *value = json_loadb(text.ptr, text.size, JSON_DECODE_ANY, NULL);
        if (!value) rc = ami__error_set(AMI_EIO, "election: the lease of %s is not valid JSON", sid);
        else if (!json_is_null(value) && !(rc = parse_lease(out, value, vs, sid))) *present = 1;
        json_decref(value);
    }
    ami_buf_dispose(&text);
    return rc;
}

static json_t *lease_value(const ami_lease *l)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "leader", l->leader, "workerId", l->sid,
                     "timestamp", (json_int_t)l->timestamp, "renewedAt", (json_int_t)l->renewed_at,
                     "expiresAt", (json_int_t)l->expires_at, "term", (json_int_t)l->term);
}

/*
 * Write `l` at `key` if the entry is still at `expect_vs` ("" = absent).
 * *committed tells; on success l->versionstamp is the new one.
 */
static int cas_write(int *committed, ami_store *store, const json_t *key, const char *expect_vs, ami_lease *l)
{
    ami_atomic *a = NULL;
    json_t *value = lease_value(l);
    if (!value) return ami__error_oom();
    int rc = ami_atomic_new(&a);
    if (!rc) rc = ami_atomic_check(a, key, expect_vs[0] ? expect_vs : NULL);
    if (!rc) rc = ami_atomic_set(a, key, value, 0);
    ami_versionstamp vs = "";
    if (!rc) rc = ami_store_commit(store, a, committed, vs);
    if (!rc && *committed) memcpy(l->versionstamp, vs, sizeof vs);
    ami_atomic_free(a);
    json_decref(value);
    return rc;
}

AMI_EXTERN(int) ami_election_try_acquire(ami_lease *out, int *acquired, ami_store *store,
                                         const char *sid, const char *nid, int64_t lease_ms)
{
    int64_t at;
    return ami__election_try_acquire(out, acquired, store, sid, nid, lease_ms, &at);
}

int ami__election_try_acquire(ami_lease *out, int *acquired, ami_store *store, const char *sid, const char *nid,
                              int64_t lease_ms, int64_t *at_mono)
{
    *at_mono = ami_time_mono_ms();
    if (!out || !acquired || !store) return ami__error_set(AMI_EINVAL, "ami_election_try_acquire: NULL argument");
    *acquired = 0;
    memset(out, 0, sizeof *out);
    int rc;
    if ((rc = check_id("sid", sid)) || (rc = check_id("nid", nid))) return rc;
    if (lease_ms <= 0) return ami__error_set(AMI_EINVAL, "election: lease_ms must be positive");
    json_t *key = lease_key(sid);
    if (!key) return AMI_ENOMEM;

    ami_lease cur;
    int present;
    /* a serializable read on etcd: a linearizable one waits for a ReadIndex round, which etcd
     * retries only every 500 ms when its answer is late (a busy member or disk) while txns
     * still commit, and that delay would fall on the election after a leader died.  A stale
     * answer is safe: the write below checks its versionstamp, so it only fails and the
     * lease is read again (linearizably) */
    rc = read_lease(&cur, &present, store, key, sid, 1);
    if (rc) goto done;
    /* the lease's time starts here, after the read (which may have been slow), on both clocks */
    int64_t now = ami_time_now_ms();
    *at_mono = ami_time_mono_ms();
    if (present) compute_expiry(&cur, now);
    if (present && !cur.expired) {
        *out = cur;                         /* held by someone (maybe an earlier us) */
        goto done;
    }

    ami_lease mine;
    memset(&mine, 0, sizeof mine);
    snprintf(mine.sid, sizeof mine.sid, "%s", sid);
    snprintf(mine.leader, sizeof mine.leader, "%s", nid);
    mine.term = present ? cur.term + 1 : 1;
    mine.timestamp = mine.renewed_at = now;
    mine.expires_at = now + lease_ms;
    int committed = 0;
    rc = cas_write(&committed, store, key, present ? cur.versionstamp : "", &mine);
    if (rc) goto done;
    if (committed) {
        compute_expiry(&mine, now);
        *out = mine;
        *acquired = 1;
    } else {
        /* lost the race: report who won */
        rc = read_lease(&cur, &present, store, key, sid, 0);
        if (!rc && present) {
            compute_expiry(&cur, ami_time_now_ms());
            *out = cur;
        }
    }
done:
    json_decref(key);
    return rc;
}

/* Rewrite a held lease with new renewedAt/expiresAt if its versionstamp is unchanged. */
static int rewrite_held(ami_lease *lease, ami_store *store, int64_t renewed_at, int64_t expires_at, const char *verb)
{
    int rc = check_id("sid", lease->sid);
    if (!rc) rc = check_id("leader", lease->leader);
    if (rc) return rc;
    if (!lease->versionstamp[0]) return ami__error_set(AMI_EINVAL, "election: %s of a lease without a versionstamp", verb);
    json_t *key = lease_key(lease->sid);
    if (!key) return AMI_ENOMEM;
    ami_lease next = *lease;
    next.renewed_at = renewed_at;
    next.expires_at = expires_at;
    int committed = 0;
    rc = cas_write(&committed, store, key, lease->versionstamp, &next);
    json_decref(key);
    if (rc) return rc;
    if (!committed)
        return ami__error_set(AMI_ELEASE, "election: %s failed: the lease of %s (term %lld) is no longer held by %s",
                              verb, lease->sid, (long long)lease->term, lease->leader);
    compute_expiry(&next, renewed_at);
    *lease = next;
    return 0;
}

AMI_EXTERN(int) ami_election_renew(ami_lease *lease, ami_store *store, int64_t lease_ms)
{
    if (!lease || !store) return ami__error_set(AMI_EINVAL, "ami_election_renew: NULL argument");
    if (lease_ms <= 0) return ami__error_set(AMI_EINVAL, "election: lease_ms must be positive");
    int64_t now = ami_time_now_ms();
    return rewrite_held(lease, store, now, now + lease_ms, "renewal");
}

AMI_EXTERN(int) ami_election_release(ami_store *store, const ami_lease *lease)
{
    if (!lease || !store) return ami__error_set(AMI_EINVAL, "ami_election_release: NULL argument");
    ami_lease copy = *lease;
    int64_t now = ami_time_now_ms();
    return rewrite_held(&copy, store, now, now, "release");
}

AMI_EXTERN(int) ami_election_get(ami_lease *out, ami_store *store, const char *sid)
{
    if (!out || !store) return ami__error_set(AMI_EINVAL, "ami_election_get: NULL argument");
    memset(out, 0, sizeof *out);
    int rc = check_id("sid", sid);
    if (rc) return rc;
    json_t *key = lease_key(sid);
    if (!key) return AMI_ENOMEM;
    int present = 0;
    rc = read_lease(out, &present, store, key, sid, 0);
    json_decref(key);
    if (rc) return rc;
    if (!present) return ami__error_set(AMI_ENOTFOUND, "election: no leader elected yet for %s", sid);
    compute_expiry(out, ami_time_now_ms());
    return 0;
}

AMI_EXTERN(int) ami_election_refresh(ami_lease *lease, ami_store *store)
{
    if (!lease || !store) return ami__error_set(AMI_EINVAL, "ami_election_refresh: NULL argument");
    ami_lease cur;
    int rc = ami_election_get(&cur, store, lease->sid);
    if (rc && rc != AMI_ENOTFOUND) return rc;
    if (rc == AMI_ENOTFOUND || cur.term != lease->term || strcmp(cur.leader, lease->leader) != 0 || cur.expired)
        return ami__error_set(AMI_ELEASE, "election: %s no longer leads %s (term %lld is over)", lease->leader,
                              lease->sid, (long long)lease->term);
    *lease = cur;
    return 0;
}

AMI_EXTERN(int) ami_election_add_fence(ami_atomic *atomic, const ami_lease *lease)
{
    if (!atomic || !lease) return ami__error_set(AMI_EINVAL, "ami_election_add_fence: NULL argument");
    int rc = check_id("sid", lease->sid);
    if (rc) return rc;
    if (!lease->versionstamp[0]) return ami__error_set(AMI_EINVAL, "election: fence with a lease without a versionstamp");
    json_t *key = lease_key(lease->sid);
    if (!key) return AMI_ENOMEM;
    rc = ami_atomic_check(atomic, key, lease->versionstamp);
    json_decref(key);
    return rc;
}

/* A JSON string: the text between quotes, with '"', '\\' and control characters escaped (UTF-8 passes). */
static int put_json_string(ami_buf *out, const char *s)
{
    int rc = ami_buf_put(out, "\"", 1);
    for (const char *p = s; !rc && *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') rc = ami_buf_printf(out, "\\%c", c);
        else if (c < 0x20) rc = ami_buf_printf(out, "\\u%04x", c);
        else rc = ami_buf_put(out, p, 1);
    }
    return rc ? rc : ami_buf_put(out, "\"", 1);
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* name, then v in decimal (at most 20 digits and a sign) */
static char *put_field(char *p, const char *name, int64_t v)
{
    p = put_str(p, name);
    char d[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do d[n++] = (char)('0' + u % 10); while ((u /= 10));
    if (v < 0) *p++ = '-';
    while (n) *p++ = d[--n];
    return p;
}

/* The leader-info shape (spec 003) as text: the one writer of it. */
static int lease_info_text(ami_buf *out, const char *sid, const ami_lease *lease, int64_t now_ms)
{
    int rc = ami_buf_puts(out, "{\"workerId\":");
    if (!rc) rc = put_json_string(out, sid);
    if (!rc && !lease) return ami_buf_puts(out, ",\"hasLeader\":false,\"message\":\"No leader elected yet\"}");
    if (!rc) rc = ami_buf_puts(out, ",\"hasLeader\":true,\"leader\":");
    if (!rc) rc = put_json_string(out, lease->leader);
    int expired = lease->expires_at <= now_ms;
    /* no printf: this is on every getLeaderInfo */
    char buf[256], *p = buf;
    p = put_field(p, ",\"timestamp\":", lease->timestamp);
    p = put_field(p, ",\"expiresAt\":", lease->expires_at);
    p = put_field(p, ",\"renewedAt\":", lease->renewed_at);
    p = put_field(p, ",\"expiresIn\":", expired ? 0 : lease->expires_at - now_ms);
    p = put_str(p, expired ? ",\"isExpired\":true" : ",\"isExpired\":false");
    p = put_field(p, ",\"term\":", lease->term);
    p = put_str(p, "}");
    return rc ? rc : ami_buf_put(out, buf, (size_t)(p - buf));
}

AMI_EXTERN(json_t *) ami_lease_info_json(const char *sid, const ami_lease *lease, int64_t now_ms)
{
    if (!sid) sid = lease ? lease->sid : "";
    ami_buf text = AMI_BUF_INIT;
    json_t *j = lease_info_text(&text, sid, lease, now_ms) ? NULL : json_loadb(text.ptr, text.size, 0, NULL);
    ami_buf_dispose(&text);
    return j;
}

int ami__election_lease_info_text(ami_buf *out, const char *sid, const ami_lease *lease, int64_t now_ms)
{
    return lease_info_text(out, sid, lease, now_ms);
}

int ami__election_leader_info_text(ami_buf *out, ami_store *store, const char *sid)
{
    ami_lease l;
    int rc = ami_election_get(&l, store, sid);
    if (rc && rc != AMI_ENOTFOUND) return rc;
    if (rc == AMI_ENOTFOUND) ami_error_clear();
    return lease_info_text(out, sid, rc ? NULL : &l, ami_time_now_ms());
}

AMI_EXTERN(int) ami_election_leader_info(json_t **out, ami_store *store, const char *sid)
{
    if (!out) return ami__error_set(AMI_EINVAL, "ami_election_leader_info: NULL argument");
    *out = NULL;
    ami_lease l;
    int rc = ami_election_get(&l, store, sid);
    if (rc && rc != AMI_ENOTFOUND) return rc;
    if (rc == AMI_ENOTFOUND) ami_error_clear();
    *out = ami_lease_info_json(sid, rc ? NULL : &l, ami_time_now_ms());
    return *out ? 0 : ami__error_oom();
}
