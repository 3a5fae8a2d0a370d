/* Claim: a node writes a worker's stats row at once when the worker stops —
 * with stats_ms 5000, the stored row (what `amictl stats` reads) says
 * "stopped" within 500 ms of active:false, not on the next timer tick. */
#include "node_helpers.h"

static ami_node *node;
static ami_store *st;

static void slow_timer(ami_node_options *o) { o->stats_ms = 5000; }

/* The persisted stats row's state ("" when absent). */
static const char *stored_state(const char *sid)
{
    static char buf[64];
    json_t *k = ami_key_new("ami", "stats", "s-0001", sid, NULL);
    json_t *e = NULL;
    buf[0] = '\0';
    if (ami_store_get(&e, st, k) == 0) {
        const char *s = json_string_value(json_object_get(json_object_get(e, "value"), "state"));
        snprintf(buf, sizeof buf, "%s", s ? s : "");
    }
    json_decref(e);
    json_decref(k);
    return buf;
}

static void stop_shows_at_once(void)
{
    char *sid = make_worker(st, "s-0001", "{\"scriptContent\":\"await Stels.sleep(50);\",\"active\":true}");
    CHECK(WAIT_FOR(stat_running(node, sid), 3000) >= 0);
    /* the first row comes with the timer (5 s) */
    CHECK(WAIT_FOR(stored_state(sid)[0] && strcmp(stored_state(sid), "stopped"), 8000) >= 0);
    update_worker(st, sid, "{\"active\":false}");
    int64_t ms = WAIT_FOR(!strcmp(stored_state(sid), "stopped"), 500);
    if (ms < 0) fprintf(stderr, "    stored state still '%s' after 500 ms\n", stored_state(sid));
    CHECK(ms >= 0);
    free(sid);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    node = open_node(check_path("ami.db"), "s-0001", slow_timer);
    st = ami_node_store(node);
    CHECK_RC(ami_node_start(node));
    RUN(stop_shows_at_once);
    ami_node_free(node);
    ami_shutdown();
    return check_done();
}
