/* Claim: a subscribed instance that waits is woken by its store's change feed
 * alone: while its subscription is live it asks for no timed wake-up
 * (ami_runtime_step's wake is -1, no polling), commits to other keys by
 * another connection do not make it ready, and a commit to its key does (the
 * `ready` callback fires) and delivers the value; many instances subscribed
 * through one store handle are each woken only for their own key.  On a SQLite
 * file (its change log names the keys) and, when etcd is installed, on a real
 * one-member etcd (the watch stream's record of changed keys). */
#include <unistd.h>
#include "rt.h"

static ami_store *net, *local, *other;

typedef struct { pthread_mutex_t mu; int calls; } ready_count;

static void on_ready(void *p)
{
    ready_count *rc = p;
    pthread_mutex_lock(&rc->mu);
    rc->calls++;
    pthread_mutex_unlock(&rc->mu);
}

static int calls(ready_count *rc)
{
    pthread_mutex_lock(&rc->mu);
    int n = rc->calls;
    pthread_mutex_unlock(&rc->mu);
    return n;
}

static void set_raw(ami_store *st, const char *keyjson, int v)
{
    json_t *k = check_json(keyjson), *val = json_pack("{s:i}", "raw", v);
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(st, k, val, 0, vs));
    json_decref(k);
    json_decref(val);
}

static ami_runtime *subscriber(const char *sid, const char *key, ready_count *rc)
{
    char script[400];
    snprintf(script, sizeof script,
             "var s = Stels.net.subscribe(%s);\n"
             "var v = await new Promise(function (res) { s.on('update', res); });\n"
             "s.close();\n"
             "await Stels.local.set(['got', Stels.config.sid], v.raw);\n", key);
    json_t *w = rt_worker(sid, script);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    o.ready = on_ready;
    o.ready_payload = rc;
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    CHECK_RC(ami_runtime_start(inst));
    return inst;
}

/* Step INST until it waits with nothing ready (its own first look at the key done); returns the wake. */
static int64_t settle_waiting(ami_runtime *inst)
{
    int64_t wake = 0;
    for (int i = 0; i < 50 && wake == 0; i++) CHECK_INT(ami_runtime_step(inst, &wake, NULL), 0);
    return wake;
}

/* Wait until rc counted more than `before` calls (at most 5 s); then step INST
 * to its end: the value it got (as JSON text, caller frees). */
static char *finish(ami_runtime *inst, const char *sid, ready_count *rc, int before)
{
    for (int i = 0; i < 500 && calls(rc) <= before; i++) usleep(10000);
    CHECK(calls(rc) > before);
    ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
    int64_t wake = -1;
    int rcode = 0;
    for (int i = 0; i < 500; i++) {
        rcode = ami_runtime_step(inst, &wake, &res);
        if (rcode != 0) break;
        usleep(10000);
    }
    CHECK_INT(rcode, AMI_RUNTIME_DONE);
    CHECK_INT(res.code, 0);
    ami_runtime_result_dispose(&res);
    char key[300];
    snprintf(key, sizeof key, "[\"got\", \"%s\"]", sid);
    json_t *e = rt_get(local, key);
    char *v = json_dumps(json_object_get(json_object_get(e, "value"), "raw"), JSON_ENCODE_ANY);
    json_decref(e);
    return v;
}

static void woken_by_the_feed_only(void)
{
    ready_count rc = { PTHREAD_MUTEX_INITIALIZER, 0 };
    ami_runtime *inst = subscriber("sid-a", "['feed', 'a']", &rc);
    CHECK_INT(settle_waiting(inst), -1);   /* no polling timer while the subscription waits */
    int before = calls(&rc);
    /* other keys change (another connection to the file): not ready */
    for (int i = 0; i < 5; i++) {
        set_raw(other, "[\"feed\", \"unrelated\"]", i);
        usleep(40000);
    }
    usleep(200000);
    CHECK_INT(calls(&rc), before);
    CHECK_INT(ami_runtime_subscriptions(inst), 1);
    /* its key changes: ready, and the value arrives */
    set_raw(other, "[\"feed\", \"a\"]", 42);
    char *v = finish(inst, "sid-a", &rc, before);
    CHECK_STR(v ? v : "(none)", "42");
    free(v);
    ami_runtime_free(inst);
}

static void many_instances_each_their_key(void)
{
    enum { N = 20 };
    ready_count rc[N];
    ami_runtime *inst[N];
    for (int i = 0; i < N; i++) {
        pthread_mutex_init(&rc[i].mu, NULL);
        rc[i].calls = 0;
        char sid[32], key[64];
        snprintf(sid, sizeof sid, "sid-m%d", i);
        snprintf(key, sizeof key, "['many', %d]", i);
        inst[i] = subscriber(sid, key, &rc[i]);
        CHECK_INT(settle_waiting(inst[i]), -1);
    }
    int before[N];
    for (int i = 0; i < N; i++) before[i] = calls(&rc[i]);
    /* one key changes: only its subscriber becomes ready */
    set_raw(other, "[\"many\", 7]", 7);
    char *v = finish(inst[7], "sid-m7", &rc[7], before[7]);
    CHECK_STR(v ? v : "(none)", "7");
    free(v);
    usleep(200000);
    for (int i = 0; i < N; i++)
        if (i != 7) CHECK_INT(calls(&rc[i]), before[i]);
    /* then every other key: each gets its own value */
    for (int i = 0; i < N; i++)
        if (i != 7) {
            char key[64];
            snprintf(key, sizeof key, "[\"many\", %d]", i);
            set_raw(net, key, 100 + i);
        }
    for (int i = 0; i < N; i++) {
        if (i == 7) continue;
        char want[16];
        snprintf(want, sizeof want, "%d", 100 + i);
        char sid[32];
        snprintf(sid, sizeof sid, "sid-m%d", i);
        v = finish(inst[i], sid, &rc[i], before[i]);
        CHECK_STR(v ? v : "(none)", want);
        free(v);
    }
    for (int i = 0; i < N; i++) {
        ami_runtime_free(inst[i]);
        pthread_mutex_destroy(&rc[i].mu);
    }
}

/* Both claims with `net` and `other` two connections to the store at URI (a SQLite path or an etcd:// URI). */
static void claims_on(const char *uri, const char *local_name)
{
    REQUIRE(ami_store_open(&net, uri) == 0);
    REQUIRE(ami_store_open(&other, uri) == 0);
    REQUIRE(ami_store_open(&local, check_path(local_name)) == 0);
    RUN(woken_by_the_feed_only);
    RUN(many_instances_each_their_key);
    ami_store_free(other);
    ami_store_free(net);
    ami_store_free(local);
}

static void on_sqlite(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s", check_path("net.db"));
    claims_on(p, "local.db");
}

static void on_etcd(void)
{
    char eps[256], uri[400];
    if (!check_etcd_start(eps, sizeof eps, 1)) return;
    snprintf(uri, sizeof uri, "etcd://%s/feed", eps);
    claims_on(uri, "local-etcd.db");
}

int main(void)
{
    ami_init();
    RUN(on_sqlite);
    RUN(on_etcd);
    ami_shutdown();
    return check_done();
}
