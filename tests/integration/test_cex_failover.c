/* Claim: a leader-mode strategy trading on the paper exchange
 * (Stels.runtime.cex) across three amid processes sharing one SQLite file
 * keeps one book through failovers — a leader frozen (SIGSTOP) past its lease
 * in the middle of an iteration and then woken, and leaders killed with
 * kill -9 in the middle of an iteration: afterwards no clientOrderId is in
 * the book twice, every iteration up to the last recorded one has its order,
 * and the balances match the open orders exactly (nothing half-written).
 *
 * The strategy: iteration i = stored counter + 1; if the book has no order
 * "it-i" yet (a leader that died after placing it), it marks
 * ["fo","pending"] = i, thinks for 300 ms, places the limit order "it-i",
 * then stores the counter i.  The test freezes or kills the leader inside
 * those 300 ms.
 * Why it fails without fencing: the frozen leader wakes after its successor
 * has already found no "it-i", placed it and moved on.  Three fences stop
 * the woken one's createOrder: its node's renewal finds the lease lost and
 * interrupts the instance, its self-fence by its own clock does the same, and
 * every Stels.net commit of a leader-mode worker (the paper book's too)
 * carries a check of the lease's versionstamp (LeaseLost).  With all three
 * switched off (tried by hand: the interrupts in lib/node/leader.c and the
 * runner's net_guard) it places "it-i" a second time and this test fails
 * ("it-3 is in the book twice"); the commit check alone, or the interrupt
 * on a lost renewal alone, prevented it.  The
 * paper book accepts any clientOrderId, so nothing but the fencing prevents
 * the duplicate.  Without the all-or-nothing commit of the paper book a
 * kill -9 between the account and the order writes would leave funds
 * reserved for no order (the balance check). */
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <math.h>
#include "check.h"
#include "amid_proc.h"

#define N 3

static char db[512];
static ami_store *st;
static const char *nids[N] = { "f-0001", "f-0002", "f-0003" };
static pid_t pids[N];

static pid_t spawn(int i)
{
    return amid_spawn_member(db, nids[i]);
}

static const char *SCRIPT =
    "const ex = Stels.runtime.cex.paper({ account: 'fo', balances: { USDT: 100000 } });\n"
    "const st = (await Stels.net.get(['fo', 'state'])).value;\n"
    "const i = (st ? st.raw : 0) + 1, cid = 'it-' + i;\n"
    "const open = await ex.fetchOpenOrders('BTC/USDT');\n"
    "if (!open.some((o) => o.clientOrderId === cid)) {\n"
    "  await Stels.net.set(['fo', 'pending'], { i, nid: Stels.config.nid, term: Stels.config.term });\n"
    "  await Stels.sleep(300);\n"
    "  await ex.createLimitBuyOrder('BTC/USDT', 0.001, 1000 + i, { clientOrderId: cid });\n"
    "}\n"
    "await Stels.net.set(['fo', 'state'], i);\n";

static json_t *raw_of(const char *a, const char *b)
{
    json_t *k = ami_key_new(a, b, NULL), *e = NULL;
    int rc = ami_store_get(&e, st, k);
    json_decref(k);
    if (rc) return NULL;
    json_t *raw = json_incref(json_object_get(json_object_get(e, "value"), "raw"));
    json_decref(e);
    return raw;
}

static int64_t state(void)
{
    json_t *r = raw_of("fo", "state");
    int64_t v = json_is_number(r) ? (int64_t)json_number_value(r) : 0;
    json_decref(r);
    return v;
}

/* Wait (up to 15 s) for an iteration's window to open: pending.i > after; the node's index, or -1. */
static int window(int64_t after, int64_t *iter)
{
    int64_t t0 = ami_time_mono_ms();
    while (ami_time_mono_ms() - t0 < 15000) {
        json_t *p = raw_of("fo", "pending");
        int64_t i = json_integer_value(json_object_get(p, "i"));
        const char *nid = json_string_value(json_object_get(p, "nid"));
        int who = -1;
        for (int q = 0; q < N && nid; q++) if (!strcmp(nid, nids[q])) who = q;
        json_decref(p);
        if (i > after && who >= 0) { *iter = i; return who; }
        nap_ms(5);
    }
    return -1;
}

static int wait_state(int64_t at_least)
{
    int64_t t0 = ami_time_mono_ms();
    while (ami_time_mono_ms() - t0 < 15000) {
        if (state() >= at_least) return 1;
        nap_ms(20);
    }
    return 0;
}

static void failover(void)
{
    json_t *tk = ami_key_new("ticker", "BTC/USDT", NULL);
    json_t *tv = json_pack("{s:{s:s,s:f,s:f,s:f,s:f,s:i}}", "raw", "symbol", "BTC/USDT", "last", 65000.0, "bid", 64999.0,
                           "ask", 65001.0, "volume", 1.0, "timestamp", 1);
    REQUIRE(ami_store_set(st, tk, tv, 0, NULL) == 0);
    json_decref(tk);
    json_decref(tv);
    json_t *body = json_pack("{s:s, s:b, s:s, s:s}", "scriptContent", SCRIPT, "active", 1, "priority", "critical",
                             "executionMode", "leader"), *e = NULL;
    REQUIRE(ami_registry_create(&e, st, nids[0], body) == 0);
    json_decref(e);
    json_decref(body);
    for (int i = 0; i < N; i++) pids[i] = spawn(i);
    REQUIRE(wait_state(2));

    /* 1. freeze the leader inside its window, past the lease; wake it after its successor moved on */
    int64_t it = 0;
    int v = window(state(), &it);
    REQUIRE(v >= 0);
    kill(pids[v], SIGSTOP);
    int moved = wait_state(it + 1);
    CHECK(moved);   /* a successor did iteration it (and the next) while it slept */
    kill(pids[v], SIGCONT);
    fprintf(stderr, "    froze %s in iteration %lld; the others reached %lld\n", nids[v], (long long)it, (long long)state());
    nap_ms(1500);   /* the woken leader's late createOrder, if any, lands now */

    /* 2. kill -9 the leader inside its window, twice */
    for (int round = 0; round < 2; round++) {
        v = window(state(), &it);
        REQUIRE(v >= 0);
        kill(pids[v], SIGKILL);
        waitpid(pids[v], NULL, 0);
        pids[v] = spawn(v);
        CHECK(wait_state(it + 1));
        fprintf(stderr, "    killed %s in iteration %lld; the others reached %lld\n", nids[v], (long long)it, (long long)state());
    }
    /* 3. kill -9 at whatever moment, then let it run on */
    nap_ms(137);
    json_t *p = raw_of("fo", "pending");
    const char *nid = json_string_value(json_object_get(p, "nid"));
    for (int q = 0; q < N && nid; q++)
        if (!strcmp(nid, nids[q])) { kill(pids[q], SIGKILL); waitpid(pids[q], NULL, 0); pids[q] = spawn(q); }
    json_decref(p);
    int64_t s0 = state();
    CHECK(wait_state(s0 + 3));
    for (int i = 0; i < N; i++) kill(pids[i], SIGTERM);
    for (int i = 0; i < N; i++) waitpid(pids[i], NULL, 0);

    /* the book */
    int64_t last = state();
    json_t *prefix = ami_key_new("cex", "paper", "fo", "open", NULL), *l = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    REQUIRE(ami_store_list(&l, st, &lo) == 0);
    size_t n = json_array_size(l), k;
    int *seen = calloc((size_t)last + 2, sizeof *seen);
    long dup = 0, stray = 0;
    double reserved = 0;
    json_t *x;
    json_array_foreach(l, k, x) {
        json_t *o = json_object_get(json_object_get(x, "value"), "raw");
        const char *cid = json_string_value(json_object_get(o, "clientOrderId"));
        long i = cid && !strncmp(cid, "it-", 3) ? atol(cid + 3) : 0;
        if (i < 1 || i > last + 1) { stray++; continue; }   /* last + 1: placed, then stopped before the counter */
        if (seen[i]++) { dup++; fprintf(stderr, "    %s is in the book twice\n", cid); }
        reserved += json_number_value(json_object_get(o, "amount")) * json_number_value(json_object_get(o, "price")) * 1.001;
    }
    long missing = 0;
    for (int64_t i = 1; i <= last; i++) if (!seen[i]) { missing++; fprintf(stderr, "    it-%lld has no order\n", (long long)i); }
    json_t *ak = ami_key_new("cex", "paper", "fo", "account", NULL), *ae = NULL;
    REQUIRE(ami_store_get(&ae, st, ak) == 0);
    json_t *usdt = json_object_get(json_object_get(json_object_get(json_object_get(ae, "value"), "raw"), "balances"), "USDT");
    double free_ = json_number_value(json_object_get(usdt, "free")), used = json_number_value(json_object_get(usdt, "used"));
    fprintf(stderr, "    %zu orders for %lld iterations; duplicates %ld, missing %ld, stray %ld; USDT used %.6f, open orders reserve %.6f\n",
            n, (long long)last, dup, missing, stray, used, reserved);
    CHECK(last >= 6);
    CHECK_INT(dup, 0);
    CHECK_INT(missing, 0);
    CHECK_INT(stray, 0);
    CHECK(fabs(used - reserved) < 1e-6);
    CHECK(fabs(free_ + used - 100000) < 1e-6);
    json_decref(ae);
    json_decref(ak);
    free(seen);
    json_decref(l);
    json_decref(prefix);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    snprintf(db, sizeof db, "%s", check_path("ami.db"));
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s", db);
    REQUIRE(ami_store_open(&st, uri) == 0);
    RUN(failover);
    ami_store_free(st);
    ami_shutdown();
    return check_done();
}
