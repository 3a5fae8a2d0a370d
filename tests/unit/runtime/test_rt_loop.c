/* Claim: the instance event loop's internal API works as lib/runtime/loop.h
 * says: a task posted from another thread runs on the instance's thread (and
 * settles what the script awaits), a stop drops pending tasks through their
 * drop fn and refuses later posts, resources are closed on stop and on free,
 * the step API never blocks and the ready callback fires on a post, the
 * slice limit applies inside a timer callback, and a stop ends a run with
 * 10,000 suspended coroutines within a second. */
#include <unistd.h>
#include "rt.h"
#include "runtime/loop.h"

static ami_store *net, *local;

static ami_runtime *make(const char *script, int slice_ms, ami_runtime_ready_fn ready, void *payload)
{
    json_t *w = rt_worker("sid-loop", script);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    o.heap_max_bytes = 256u << 20;   /* a suspended async call holds a coroutine of ~5 KB */
    o.slice_ms = slice_ms;
    o.ready = ready;
    o.ready_payload = payload;
    ami_runtime *inst = NULL;
    if (ami_runtime_new(&inst, &o)) fprintf(stderr, "ami_runtime_new: %s\n", ami_error_last());
    json_decref(w);
    REQUIRE(inst);
    return inst;
}

/* ---- a task posted from another thread ---- */

typedef struct {
    ami_runtime *inst;
    pthread_t ran_on;
    int ran, dropped;
    int delay_ms;
} post_state;

static void resolve_task(duk_context *ctx, void *data)
{
    post_state *s = data;
    s->ran_on = pthread_self();
    s->ran++;
    duk_get_global_string(ctx, "resolveFromTask");
    duk_push_string(ctx, "from the task");
    duk_call(ctx, 1);
    duk_pop(ctx);
    ami__loop_unref(s->inst);
}

static void drop_count(void *data)
{
    post_state *s = data;
    s->dropped++;
}

static void *poster(void *p)
{
    post_state *s = p;
    usleep((useconds_t)s->delay_ms * 1000);
    if (ami__loop_post(s->inst, resolve_task, drop_count, s)) fprintf(stderr, "post failed\n");
    return NULL;
}

static void posted_task_runs_on_the_instance_thread(void)
{
    ami_runtime *inst = make("const v = await new Promise((resolve) => { globalThis.resolveFromTask = resolve; });\n"
                             "Stels.local.set(['loop', 'posted'], v);", 0, NULL, NULL);
    post_state s = { inst, 0, 0, 0, 100 };
    ami__loop_ref(inst);   /* the pending "I/O" keeps the run waiting for it */
    CHECK_INT(ami_runtime_handles(inst), 1);
    pthread_t t;
    pthread_create(&t, NULL, poster, &s);
    ami_runtime_result res;
    CHECK_RC(ami_runtime_run(inst, &res));
    ami_runtime_result_dispose(&res);
    pthread_join(t, NULL);
    CHECK_INT(s.ran, 1);
    CHECK_INT(s.dropped, 0);
    CHECK(pthread_equal(s.ran_on, pthread_self()));
    CHECK_INT(ami_runtime_handles(inst), 0);
    json_t *e = rt_get(local, "[\"loop\",\"posted\"]");
    CHECK_STR(json_string_value(json_object_get(json_object_get(e, "value"), "raw")), "from the task");
    json_decref(e);
    ami_runtime_free(inst);
}

/* ---- stop drops pending tasks; resources are closed ---- */

typedef struct {
    ami__resource res;
    int closed;
} test_res;

static void close_res(ami__resource *r)
{
    ((test_res *)r)->closed++;
}

static void stop_drops_pending_tasks_and_closes_resources(void)
{
    ami_runtime *inst = make("1;", 0, NULL, NULL);
    post_state s = { inst, 0, 0, 0, 0 };
    for (int i = 0; i < 5; i++) CHECK_RC(ami__loop_post(inst, resolve_task, drop_count, &s));
    test_res a = { { close_res, NULL, NULL }, 0 }, b = { { close_res, NULL, NULL }, 0 };
    ami__loop_add_resource(inst, &a.res);
    ami__loop_add_resource(inst, &b.res);
    ami__loop_remove_resource(inst, &b.res);   /* removed: not closed by the loop */
    ami_runtime_stop(inst);
    CHECK_INT(s.dropped, 5);                   /* at once, by the stopping thread */
    CHECK_INT(ami__loop_post(inst, resolve_task, drop_count, &s), AMI_ESTOPPED);
    CHECK_INT(s.dropped, 6);
    CHECK_INT(ami_runtime_run(inst, NULL), AMI_ESTOPPED);
    CHECK_INT(ami_runtime_pump(inst, 10), AMI_ESTOPPED);
    CHECK_INT(a.closed, 1);
    CHECK_INT(b.closed, 0);
    CHECK_INT(s.ran, 0);
    /* after a reset the loop takes tasks again; free closes what is left and drops what is queued */
    ami_runtime_reset_stop(inst);
    test_res c = { { close_res, NULL, NULL }, 0 };
    ami__loop_add_resource(inst, &c.res);
    CHECK_RC(ami__loop_post(inst, resolve_task, drop_count, &s));
    ami_runtime_free(inst);
    CHECK_INT(c.closed, 1);
    CHECK_INT(s.dropped, 7);
    CHECK_INT(s.ran, 0);
}

/* ---- step API ---- */

typedef struct { pthread_mutex_t mu; int calls; } ready_state;

static void on_ready(void *p)
{
    ready_state *rs = p;
    pthread_mutex_lock(&rs->mu);
    rs->calls++;
    pthread_mutex_unlock(&rs->mu);
}

static void step_never_blocks_and_ready_fires(void)
{
    ready_state rs = { PTHREAD_MUTEX_INITIALIZER, 0 };
    ami_runtime *inst = make("await Stels.sleep(150);\n"
                             "const v = await new Promise((resolve) => { globalThis.resolveFromTask = resolve; });\n"
                             "return v;", 0, on_ready, &rs);
    CHECK_RC(ami_runtime_start(inst));
    int64_t wake = -2, t0 = rt_now_ms();
    ami_runtime_result res;
    CHECK_INT(ami_runtime_step(inst, &wake, &res), 0);
    CHECK(rt_now_ms() - t0 < 100);
    CHECK(wake > 0 && wake <= 150);
    /* step again before the timer: still waiting, nothing ran */
    CHECK_INT(ami_runtime_step(inst, &wake, &res), 0);
    CHECK(wake > 0);
    usleep((useconds_t)(wake + 20) * 1000);
    ami__loop_ref(inst);
    CHECK_INT(ami_runtime_step(inst, &wake, &res), 0);   /* the sleep ended; now waiting for the task */
    CHECK_INT(wake, -1);
    post_state s = { inst, 0, 0, 0, 30 };
    pthread_t t;
    pthread_create(&t, NULL, poster, &s);
    pthread_join(t, NULL);
    pthread_mutex_lock(&rs.mu);
    CHECK_INT(rs.calls, 1);
    pthread_mutex_unlock(&rs.mu);
    CHECK_INT(ami_runtime_step(inst, &wake, &res), AMI_RUNTIME_DONE);
    CHECK_INT(res.ok, 1);
    CHECK_INT(res.code, 0);
    ami_runtime_result_dispose(&res);
    CHECK_INT(s.ran, 1);
    ami_runtime_free(inst);
}

/* ---- slice limit inside a timer callback ---- */

static void slice_limit_applies_in_a_timer_callback(void)
{
    ami_runtime *inst = make("setTimeout(() => { const t = Date.now(); while (Date.now() - t < 5000) {} }, 20);\n"
                             "await Stels.sleep(3000);", 200, NULL, NULL);
    ami_runtime_result res;
    int64_t t0 = rt_now_ms();
    CHECK_INT(ami_runtime_run(inst, &res), AMI_ELIMIT);
    CHECK_STR(res.name, "SliceLimitExceeded");
    CHECK(rt_now_ms() - t0 < 2500);
    ami_runtime_result_dispose(&res);
    /* the failed run left nothing behind: the next one is clean */
    CHECK_INT(ami_runtime_handles(inst), 0);
    ami_runtime_free(inst);
}

/* ---- stop with 10,000 suspended coroutines ---- */

typedef struct { ami_runtime *inst; int64_t stopped_at; } stopper_arg;

static void *stopper(void *p)
{
    stopper_arg *a = p;
    /* wait until the script has started its coroutines */
    for (int i = 0; i < 2000; i++) {
        json_t *e = NULL, *k = check_json("[\"loop\",\"many\"]");
        int ready = ami_store_get(&e, local, k) == 0 && !json_is_null(json_object_get(e, "value"));
        json_decref(e);
        json_decref(k);
        if (ready) break;
        usleep(5000);
    }
    a->stopped_at = rt_now_ms();

    ami_runtime_stop(a->inst);
    return NULL;
}

static void stop_ends_many_waiting_coroutines(void)
{
    ami_runtime *inst = make("const never = new Promise(() => {}); setTimeout(() => {}, 60000);\n"
                             "async function wait(i) { await never; return i; }\n"
                             "const all = [];\n"
                             "for (let i = 0; i < 10000; i++) all.push(wait(i));\n"
                             "const both = Promise.all(all);\n"
                             "await Stels.sleep(1);\n"
                             "Stels.local.set(['loop', 'many'], all.length);\n"
                             "await both;", 0, NULL, NULL);
    stopper_arg a = { inst, 0 };
    pthread_t t;
    pthread_create(&t, NULL, stopper, &a);
    ami_runtime_result res;
    CHECK_INT(ami_runtime_run(inst, &res), AMI_ESTOPPED);
    int64_t back = rt_now_ms();
    pthread_join(t, NULL);
    fprintf(stderr, "  stop with 10,000 waiting coroutines took %lld ms\n", (long long)(back - a.stopped_at));
    CHECK(a.stopped_at > 0 && back - a.stopped_at < 1000);
    CHECK_STR(res.name, "Stopped");
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(posted_task_runs_on_the_instance_thread);
    RUN(stop_drops_pending_tasks_and_closes_resources);
    RUN(step_never_blocks_and_ready_fires);
    RUN(slice_limit_applies_in_a_timer_callback);
    RUN(stop_ends_many_waiting_coroutines);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
