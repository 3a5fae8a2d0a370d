/* Claim: the retry policy gives docs/design.md §7's backoff sequences, pause and stops, and a success resets. */
#include "check.h"

static const ami_policy P = AMI_POLICY_INIT;

static ami_policy_decision fail(ami_policy_state *st, ami_priority prio, ami_errclass cls)
{
    ami_policy_decision d;
    memset(&d, 0xab, sizeof d);
    CHECK_RC(ami_policy_on_error(&d, st, &P, prio, cls));
    return d;
}

static void defaults_are_design_numbers(void)
{
    CHECK_INT(P.version, AMI_POLICY_VERSION);
    CHECK_INT(P.network_backoff_ms, 5000);
    CHECK(P.network_backoff_factor == 1.5);
    CHECK_INT(P.network_backoff_max_ms, 60000);
    CHECK_INT(P.network_pause_after, 20);
    CHECK_INT(P.network_pause_ms, 300000);
    CHECK_INT(P.critical_backoff_ms, 1000);
    CHECK(P.critical_backoff_factor == 2.0);
    CHECK_INT(P.critical_backoff_max_ms, 10000);
    CHECK_INT(P.critical_tolerance[AMI_PRIORITY_CRITICAL], 50);
    CHECK_INT(P.critical_tolerance[AMI_PRIORITY_HIGH], 20);
    CHECK_INT(P.critical_tolerance[AMI_PRIORITY_NORMAL], 10);
    CHECK_INT(P.critical_tolerance[AMI_PRIORITY_LOW], 5);
    CHECK_INT(P.max_consecutive_errors, 50);
}

static void network_backoff_sequence(void)
{
    /* spec 003: 5s → 7.5s → 11.25s → … (max 60s) */
    const int64_t want[] = { 5000, 7500, 11250, 16875, 25313, 37969, 56953, 60000, 60000, 60000 };
    ami_policy_state st = AMI_POLICY_STATE_INIT;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CHECK_INT(ami_policy_backoff_ms(&P, AMI_ERRCLASS_NETWORK, (unsigned)i + 1), want[i]);
        ami_policy_decision d = fail(&st, AMI_PRIORITY_LOW, AMI_ERRCLASS_NETWORK);
        CHECK_INT(d.kind, AMI_DECISION_RETRY);
        CHECK_INT(d.delay_ms, want[i]);
        CHECK_STR(d.reason, "");
    }
    CHECK_INT(ami_policy_backoff_ms(&P, AMI_ERRCLASS_NETWORK, 1000000), 60000);
    CHECK_INT(ami_policy_backoff_ms(NULL, AMI_ERRCLASS_NETWORK, 2), 7500);
    CHECK_INT(ami_policy_backoff_ms(&P, AMI_ERRCLASS_NETWORK, 0), 0);
    CHECK_INT(ami_policy_backoff_ms(&P, AMI_ERRCLASS_NONE, 3), 0);
}

static void critical_backoff_sequence(void)
{
    /* spec 003: 1s → 2s → 4s → 8s → 10s (max) */
    const int64_t want[] = { 1000, 2000, 4000, 8000, 10000, 10000, 10000, 10000, 10000 };
    ami_policy_state st = AMI_POLICY_STATE_INIT;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ami_policy_decision d = fail(&st, AMI_PRIORITY_NORMAL, AMI_ERRCLASS_CRITICAL);
        CHECK_INT(d.kind, AMI_DECISION_RETRY);
        CHECK_INT(d.delay_ms, want[i]);
    }
    CHECK_INT(ami_policy_backoff_ms(&P, AMI_ERRCLASS_CRITICAL, 4000000000u), 10000);
}

static void network_pause_at_20_then_on(void)
{
    ami_policy_state st = AMI_POLICY_STATE_INIT;
    for (unsigned i = 1; i <= 49; i++) {
        ami_policy_decision d = fail(&st, AMI_PRIORITY_CRITICAL, AMI_ERRCLASS_NETWORK);
        if (i == 20 || i == 40) {
            CHECK_INT(d.kind, AMI_DECISION_PAUSE);
            CHECK_INT(d.delay_ms, 300000);
            char want[128];
            snprintf(want, sizeof want, "%u consecutive network errors: pausing 300 s", i);
            CHECK_STR(d.reason, want);
        } else {
            CHECK_INT(d.kind, AMI_DECISION_RETRY);
            CHECK_INT(d.delay_ms, ami_policy_backoff_ms(&P, AMI_ERRCLASS_NETWORK, i));
        }
    }
    /* the 50th consecutive error stops whatever its class */
    ami_policy_decision d = fail(&st, AMI_PRIORITY_CRITICAL, AMI_ERRCLASS_NETWORK);
    CHECK_INT(d.kind, AMI_DECISION_STOP);
    CHECK_STR(d.reason, "50 consecutive errors of any kind");
    CHECK_INT(st.network_errors, 50);
    CHECK_INT(st.critical_errors, 0);
}

static void critical_stop_at_each_tolerance(void)
{
    const struct { ami_priority prio; unsigned tol; const char *name; } t[] = {
        { AMI_PRIORITY_CRITICAL, 50, "critical" }, { AMI_PRIORITY_HIGH, 20, "high" },
        { AMI_PRIORITY_NORMAL, 10, "normal" }, { AMI_PRIORITY_LOW, 5, "low" },
    };
    for (size_t k = 0; k < 4; k++) {
        ami_policy_state st = AMI_POLICY_STATE_INIT;
        for (unsigned i = 1; i < t[k].tol; i++) {
            ami_policy_decision d = fail(&st, t[k].prio, AMI_ERRCLASS_CRITICAL);
            CHECK_INT(d.kind, AMI_DECISION_RETRY);
        }
        ami_policy_decision d = fail(&st, t[k].prio, AMI_ERRCLASS_CRITICAL);
        CHECK_INT(d.kind, AMI_DECISION_STOP);
        CHECK_INT(d.delay_ms, 0);
        char want[128];
        snprintf(want, sizeof want, "%u consecutive critical errors (tolerance of priority %s)", t[k].tol, t[k].name);
        CHECK_STR(d.reason, want);
        CHECK_INT(st.consecutive_critical, t[k].tol);
    }
}

static void network_errors_between_do_not_reset_critical(void)
{
    /* normal (tolerance 10): C N C N … — the 10th critical error stops, 19 errors in */
    ami_policy_state st = AMI_POLICY_STATE_INIT;
    unsigned crit = 0, errors = 0;
    ami_policy_decision d;
    for (;;) {
        d = fail(&st, AMI_PRIORITY_NORMAL, AMI_ERRCLASS_CRITICAL);
        errors++;
        crit++;
        if (d.kind == AMI_DECISION_STOP) break;
        CHECK_INT(d.delay_ms, ami_policy_backoff_ms(&P, AMI_ERRCLASS_CRITICAL, crit));
        d = fail(&st, AMI_PRIORITY_NORMAL, AMI_ERRCLASS_NETWORK);
        errors++;
        CHECK_INT(d.kind, AMI_DECISION_RETRY);
        /* the network backoff climbs on its own count */
        CHECK_INT(d.delay_ms, ami_policy_backoff_ms(&P, AMI_ERRCLASS_NETWORK, crit));
        REQUIRE(errors < 100);
    }
    CHECK_INT(crit, 10);
    CHECK_INT(errors, 19);
    CHECK_STR(d.reason, "10 consecutive critical errors (tolerance of priority normal)");
    CHECK_INT(st.consecutive_errors, 19);
    CHECK_INT(st.consecutive_network, 9);
}

static void any_kind_stop_at_50_mixed(void)
{
    /* critical priority tolerates 50 critical errors; mix in network errors so neither
       class alone reaches its limit, and the any-kind rule stops at the 50th */
    ami_policy_state st = AMI_POLICY_STATE_INIT;
    for (unsigned i = 1; i <= 50; i++) {
        ami_errclass cls = (i % 3 == 0) ? AMI_ERRCLASS_CRITICAL : AMI_ERRCLASS_NETWORK;
        ami_policy_decision d = fail(&st, AMI_PRIORITY_CRITICAL, cls);
        if (i < 50) {
            CHECK(d.kind == AMI_DECISION_RETRY || d.kind == AMI_DECISION_PAUSE);
        } else {
            CHECK_INT(d.kind, AMI_DECISION_STOP);
            CHECK_STR(d.reason, "50 consecutive errors of any kind");
        }
    }
    CHECK_INT(st.consecutive_errors, 50);
    CHECK_INT(st.critical_errors, 16);
    CHECK_INT(st.network_errors, 34);
    CHECK_INT(st.last_class, AMI_ERRCLASS_NETWORK);
}

static void success_resets(void)
{
    ami_policy_state st = AMI_POLICY_STATE_INIT;
    for (int i = 0; i < 9; i++) fail(&st, AMI_PRIORITY_NORMAL, AMI_ERRCLASS_CRITICAL);
    for (int i = 0; i < 3; i++) fail(&st, AMI_PRIORITY_NORMAL, AMI_ERRCLASS_NETWORK);
    CHECK_INT(st.consecutive_errors, 12);
    ami_policy_on_success(&st);
    CHECK_INT(st.consecutive_errors, 0);
    CHECK_INT(st.consecutive_network, 0);
    CHECK_INT(st.consecutive_critical, 0);
    /* totals stay, last_class stays for lastErrorType */
    CHECK_INT(st.executions, 13);
    CHECK_INT(st.errors, 12);
    CHECK_INT(st.critical_errors, 9);
    CHECK_INT(st.network_errors, 3);
    CHECK_INT(st.last_class, AMI_ERRCLASS_NETWORK);
    /* the sequences start over: 9 more critical errors do not stop a normal worker */
    ami_policy_decision d = fail(&st, AMI_PRIORITY_NORMAL, AMI_ERRCLASS_CRITICAL);
    CHECK_INT(d.kind, AMI_DECISION_RETRY);
    CHECK_INT(d.delay_ms, 1000);
    d = fail(&st, AMI_PRIORITY_NORMAL, AMI_ERRCLASS_NETWORK);
    CHECK_INT(d.delay_ms, 5000);
    for (int i = 0; i < 8; i++) {
        d = fail(&st, AMI_PRIORITY_NORMAL, AMI_ERRCLASS_CRITICAL);
        CHECK_INT(d.kind, AMI_DECISION_RETRY);
    }
    d = fail(&st, AMI_PRIORITY_NORMAL, AMI_ERRCLASS_CRITICAL);
    CHECK_INT(d.kind, AMI_DECISION_STOP);
    /* long success streaks only count executions */
    ami_policy_state s2 = AMI_POLICY_STATE_INIT;
    for (int i = 0; i < 1000; i++) ami_policy_on_success(&s2);
    CHECK_INT(s2.executions, 1000);
    CHECK_INT(s2.errors, 0);
    CHECK_INT(s2.last_class, AMI_ERRCLASS_NONE);
}

static void host_policy_and_bad_input(void)
{
    ami_policy p = AMI_POLICY_INIT;
    p.critical_tolerance[AMI_PRIORITY_LOW] = 0;   /* disabled */
    p.max_consecutive_errors = 3;
    p.critical_backoff_ms = 10;
    p.critical_backoff_factor = 3;
    p.critical_backoff_max_ms = 0;                /* no cap */
    ami_policy_state st = AMI_POLICY_STATE_INIT;
    ami_policy_decision d;
    CHECK_RC(ami_policy_on_error(&d, &st, &p, AMI_PRIORITY_LOW, AMI_ERRCLASS_CRITICAL));
    CHECK_INT(d.delay_ms, 10);
    CHECK_RC(ami_policy_on_error(&d, &st, &p, AMI_PRIORITY_LOW, AMI_ERRCLASS_CRITICAL));
    CHECK_INT(d.delay_ms, 30);
    CHECK_RC(ami_policy_on_error(&d, &st, &p, AMI_PRIORITY_LOW, AMI_ERRCLASS_CRITICAL));
    CHECK_INT(d.kind, AMI_DECISION_STOP);
    CHECK_STR(d.reason, "3 consecutive errors of any kind");
    CHECK_INT(ami_policy_backoff_ms(&p, AMI_ERRCLASS_CRITICAL, 5), 810);

    /* NULL policy = the defaults */
    ami_policy_state s2 = AMI_POLICY_STATE_INIT;
    CHECK_RC(ami_policy_on_error(&d, &s2, NULL, AMI_PRIORITY_HIGH, AMI_ERRCLASS_NETWORK));
    CHECK_INT(d.delay_ms, 5000);

    ami_policy_state before = s2;
    p.version = 99;
    CHECK_INT(ami_policy_on_error(&d, &s2, &p, AMI_PRIORITY_LOW, AMI_ERRCLASS_CRITICAL), AMI_EINVAL);
    CHECK_INT(ami_policy_on_error(&d, &s2, NULL, (ami_priority)7, AMI_ERRCLASS_CRITICAL), AMI_EINVAL);
    CHECK_INT(ami_policy_on_error(&d, &s2, NULL, AMI_PRIORITY_LOW, AMI_ERRCLASS_NONE), AMI_EINVAL);
    CHECK_INT(ami_policy_on_error(NULL, &s2, NULL, AMI_PRIORITY_LOW, AMI_ERRCLASS_CRITICAL), AMI_EINVAL);
    CHECK_INT(ami_policy_on_error(&d, NULL, NULL, AMI_PRIORITY_LOW, AMI_ERRCLASS_CRITICAL), AMI_EINVAL);
    CHECK(memcmp(&before, &s2, sizeof s2) == 0);
}

int main(void)
{
    RUN(defaults_are_design_numbers);
    RUN(network_backoff_sequence);
    RUN(critical_backoff_sequence);
    RUN(network_pause_at_20_then_on);
    RUN(critical_stop_at_each_tolerance);
    RUN(network_errors_between_do_not_reset_critical);
    RUN(any_kind_stop_at_50_mixed);
    RUN(success_resets);
    RUN(host_policy_and_bad_input);
    return check_done();
}
