/* Claim: a worker over its log budget pays for its logging itself: while
 * lines of it are being dropped, its next iteration waits for the end of its
 * budget's one-second window (a zero-delay loop logging 500 lines an
 * iteration runs a few times in 3 s, not hundreds), the "log lines dropped"
 * marker still says how many went, and a worker that does not log keeps its
 * zero-delay pace beside it. */
#include "node_helpers.h"

static void fast(ami_node_options *o)
{
    o->loop_delay_ms = 0;
    o->log_lines_per_s = 100;
}

static int has_marker(ami_node *n, const char *sid)
{
    json_t *logs = NULL;
    if (ami_node_logs(&logs, n, sid, 0)) return 0;
    int found = 0;
    size_t i;
    json_t *l;
    json_array_foreach(logs, i, l)
        if (strstr(json_string_value(json_object_get(l, "msg")), "log lines dropped")) found = 1;
    json_decref(logs);
    return found;
}

static void over_budget_is_paced(void)
{
    ami_node *n = open_node(check_path("ami.db"), "s-0001", fast);
    ami_store *st = ami_node_store(n);
    char *loud = make_worker(st, "s-0001", "{\"scriptContent\":\"for (let i = 0; i < 500; i++) logger.info('line ' + i);\","
                                           "\"active\":true,\"priority\":\"critical\"}");
    char *quiet = make_worker(st, "s-0001", "{\"scriptContent\":\"var x = 1 + 1;\",\"active\":true,\"priority\":\"critical\"}");
    CHECK_RC(ami_node_start(n));
    CHECK(WAIT_FOR(stat_int(n, loud, "executions") >= 1 && stat_int(n, quiet, "executions") >= 1, 10000) >= 0);
    long long l0 = stat_int(n, loud, "executions"), q0 = stat_int(n, quiet, "executions");
    nap_ms(3000);
    long long loud_runs = stat_int(n, loud, "executions") - l0, quiet_runs = stat_int(n, quiet, "executions") - q0;
    fprintf(stderr, "    in 3 s: %lld iterations over budget, %lld of a worker that does not log\n", loud_runs, quiet_runs);
    CHECK(loud_runs >= 1 && loud_runs <= 8);     /* one a window, give or take the windows' edges */
    CHECK(quiet_runs > 100);
    CHECK(has_marker(n, loud));
    ami_node_free(n);
    free(loud);
    free(quiet);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    RUN(over_budget_is_paced);
    ami_shutdown();
    return check_done();
}
