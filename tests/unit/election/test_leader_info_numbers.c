/* Claim: the leader-info text writes every lease number exactly (zero,
 * negative, and the int64 extremes), so the body reads back the lease's values. */
#include <stdint.h>
#include "check.h"

static void numbers_exact(void)
{
    static const int64_t vals[] = { 0, 7, -5, 1760245826876, INT64_MAX, INT64_MIN + 1, INT64_MIN };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        ami_lease l;
        memset(&l, 0, sizeof l);
        snprintf(l.sid, sizeof l.sid, "w1");
        snprintf(l.leader, sizeof l.leader, "s-0001");
        l.timestamp = vals[i];
        l.renewed_at = vals[(i + 1) % 7];
        l.expires_at = vals[(i + 2) % 7];
        l.term = vals[(i + 3) % 7];
        json_t *j = ami_lease_info_json("w1", &l, 0);
        REQUIRE(j);
        CHECK_INT(json_integer_value(json_object_get(j, "timestamp")), l.timestamp);
        CHECK_INT(json_integer_value(json_object_get(j, "renewedAt")), l.renewed_at);
        CHECK_INT(json_integer_value(json_object_get(j, "expiresAt")), l.expires_at);
        CHECK_INT(json_integer_value(json_object_get(j, "term")), l.term);
        CHECK_INT(json_integer_value(json_object_get(j, "expiresIn")), l.expires_at > 0 ? l.expires_at : 0);
        CHECK_INT(json_is_true(json_object_get(j, "isExpired")), l.expires_at <= 0);
        json_decref(j);
    }
}

int main(void)
{
    ami_init();
    RUN(numbers_exact);
    ami_shutdown();
    return check_done();
}
