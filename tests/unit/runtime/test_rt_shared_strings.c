/* Claim: the strings every instance interns (a bare heap's built-in names
 * and the prelude's) are made once per process and shared read-only by every
 * instance (scripts/duk_shared_strings.c, lib/runtime/runtime.c): two
 * instances hold the same copy of such a string and an idle instance's own
 * string table keeps only a few; strings a script makes are its heap's own
 * and go with it; instances on several threads at once read shared strings
 * without writing to them (no reference count or flag of a shared string
 * changes), and scripts see every string's content and identity as before. */
#include "rt.h"
#include "runtime/internal.h"

/* Whether a and b hold one copy of s: both interned and held while compared
 * (a string freed by one heap could be made again at the same address). */
static int one_copy(ami_runtime *a, ami_runtime *b, const char *s)
{
    duk_push_string(a->ctx, s);
    duk_push_string(b->ctx, s);
    int same = duk_get_heapptr(a->ctx, -1) == duk_get_heapptr(b->ctx, -1);
    duk_pop(a->ctx);
    duk_pop(b->ctx);
    return same;
}

static void instances_hold_one_copy(void)
{
    json_t *w = rt_worker("ss", "var x = 1;");
    ami_runtime_options o = rt_options(NULL, NULL, w, NULL);
    ami_runtime *a = NULL, *b = NULL;
    REQUIRE(ami_runtime_new(&a, &o) == 0);
    REQUIRE(ami_runtime_new(&b, &o) == 0);
    size_t bytes = 0, shared = ami__duk_strings_shared(&bytes);
    size_t own = ami__duk_strings_own(a->ctx);
    fprintf(stderr, "  shared %zu strings (%zu bytes); an idle instance's own table %zu\n", shared, bytes, own);
    CHECK(shared > 500);   /* a bare heap alone has ~440 */
    CHECK(own < 50);       /* was ~720 */
    /* built-in names and the prelude's globals are one copy */
    static const char *const names[] = { "prototype", "toString", "Stels", "logger", NULL };
    for (int i = 0; names[i]; i++)
        if (!one_copy(a, b, names[i])) {
            check_failures++;
            fprintf(stderr, "  \"%s\": a copy in each instance\n", names[i]);
        }
    /* a string no instance made before is each heap's own */
    CHECK(!one_copy(a, b, "made-here-only-1"));
    CHECK_INT(ami__duk_strings_shared(NULL), shared);   /* the table never grows */
    ami_runtime_free(a);
    ami_runtime_free(b);
    json_decref(w);
}

static void run_strings_are_own(void)
{
    json_t *w = rt_worker("ss-run", "var s = []; for (var i = 0; i < 200; i++) s.push('k' + i + '\\u00e9');\n"
                                    "var o = {}; s.forEach(function (k, i) { o[k] = i; });\n"
                                    "return [Object.keys(o).length, o['k7\\u00e9'], 'k7\\u00e9'.length, Symbol('a') !== Symbol('a'),\n"
                                    "        Object.getOwnPropertyNames(JSON).sort().join(), typeof Stels.net.get];");
    ami_runtime_options o = rt_options(NULL, NULL, w, NULL);
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    size_t own0 = ami__duk_strings_own(inst->ctx);
    ami_runtime_result res;
    CHECK_INT(ami_runtime_run(inst, &res), 0);
    CHECK_STR(res.value, "[200,7,3,true,\"parse,stringify\",\"function\"]");
    ami_runtime_result_dispose(&res);
    CHECK(ami__duk_strings_own(inst->ctx) >= own0 + 200);
    CHECK(ami__duk_has_string(inst->ctx, "k199\xc3\xa9"));
    ami_runtime_free(inst);
    json_decref(w);
}

enum { THREADS = 4, ROUNDS = 40 };

static const char *const busy_script =
    "var out = [];\n"
    "for (var i = 0; i < 50; i++) {\n"
    "  var o = { length: i, prototype: 'p', toString: function () { return 'o' + this.length; } };\n"
    "  out.push(String(o), JSON.stringify({ name: 'n', value: [i, 'caller', 'arguments'] }), typeof Object.keys,\n"
    "           Object.getOwnPropertyNames(Math).length > 5, [1, 2, 3].map(String).join('-'));\n"
    "}\n"
    "return out.slice(-5).join('|');";

static void *busy_thread(void *arg)
{
    int *bad = arg;
    json_t *w = rt_worker("ss-busy", busy_script);
    ami_runtime_options o = rt_options(NULL, NULL, w, NULL);
    for (int r = 0; r < ROUNDS; r++) {
        ami_runtime *inst = NULL;
        if (ami_runtime_new(&inst, &o) != 0) { (*bad)++; continue; }
        ami_runtime_result res;
        if (ami_runtime_run(inst, &res) != 0 || !res.value ||
            strcmp(res.value, "\"o49|{\\\"name\\\":\\\"n\\\",\\\"value\\\":[49,\\\"caller\\\",\\\"arguments\\\"]}|function|true|1-2-3\""))
            (*bad)++;
        ami_runtime_result_dispose(&res);
        ami_runtime_free(inst);
    }
    json_decref(w);
    return NULL;
}

static void threads_never_write_shared_strings(void)
{
    pthread_t t[THREADS];
    int bad[THREADS] = { 0 };
    for (int i = 0; i < THREADS; i++) REQUIRE(pthread_create(&t[i], NULL, busy_thread, &bad[i]) == 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++) CHECK_INT(bad[i], 0);
    CHECK(ami__duk_strings_shared(NULL) > 500);
    CHECK_INT(ami__duk_strings_shared_written(), 0);
}

int main(void)
{
    ami_init();
    RUN(instances_hold_one_copy);
    RUN(run_strings_are_own);
    RUN(threads_never_write_shared_strings);
    return check_done();
}
