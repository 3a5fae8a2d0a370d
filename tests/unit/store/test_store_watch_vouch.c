/*
 * Claim: a watch that times out says through which commit nothing under its
 * prefix changed (ami_store_watch's vs on AMI_ETIMEOUT): past other keys'
 * commits, so a caller that watches on from it stays recent while the rest
 * of the store changes, and never past a commit under the prefix it did not
 * report — watching on from the vouched point reports that commit.  Runs on
 * SQLite, and on etcd under test_store_etcd.sh.
 */
#include <time.h>
#include "check.h"

static void timeout_vouches_for_other_keys_only(void)
{
    ami_store *st = NULL, *other = NULL;
    CHECK_RC(ami_store_open(&st, check_store_uri("vouch")));
    CHECK_RC(ami_store_open(&other, check_store_uri("vouch")));   /* another handle: its commits come by the feed */
    json_t *watched = ami_key_new("watched", NULL), *k = ami_key_new("watched", "a", NULL);
    json_t *noise = ami_key_new("noise", NULL), *v = json_integer(7);
    ami_versionstamp seen, vs, last_noise = "", hit;
    CHECK_RC(ami_store_set(other, noise, v, 0, last_noise));
    CHECK_RC(ami_store_current(st, seen));
    /* the feed is running (an etcd handle starts its stream on the first watch) */
    CHECK_INT(ami_store_watch(st, watched, seen, 300, vs), AMI_ETIMEOUT);
    for (int i = 0; i < 20; i++) CHECK_RC(ami_store_set(other, noise, v, 0, last_noise));
    /* within a few watches the vouched point passes the other keys' commits */
    int passed = 0;
    for (int i = 0; i < 40 && !passed; i++) {
        int rc = ami_store_watch(st, watched, seen, 100, vs);
        CHECK_INT(rc, AMI_ETIMEOUT);
        if (rc != AMI_ETIMEOUT) break;
        CHECK(!vs[0] || strcmp(vs, seen) >= 0);   /* never backwards */
        if (vs[0]) memcpy(seen, vs, sizeof seen);
        passed = strcmp(seen, last_noise) >= 0;
    }
    CHECK(passed);
    /* a commit under the prefix: a timed-out watch never vouches past it, and a watch from there reports it */
    CHECK_RC(ami_store_set(other, k, v, 0, hit));
    for (int i = 0; i < 5; i++) {
        int rc = ami_store_watch(st, watched, seen, 0, vs);
        if (rc == AMI_ETIMEOUT) {
            CHECK(!vs[0] || strcmp(vs, hit) < 0);
            if (vs[0]) memcpy(seen, vs, sizeof seen);
        }
    }
    CHECK_RC(ami_store_watch(st, watched, seen, 5000, vs));
    CHECK(strcmp(vs, hit) >= 0);
    json_decref(watched);
    json_decref(k);
    json_decref(noise);
    json_decref(v);
    ami_store_free(other);
    ami_store_free(st);
}

int main(void)
{
    ami_init();
    RUN(timeout_vouches_for_other_keys_only);
    ami_shutdown();
    return check_done();
}
