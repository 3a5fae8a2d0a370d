/* Claim: the prelude parts an idle instance does without (Map/Set, the
 * Object/Array/String/Number polyfills (with ES2022's at, entries/keys/values,
 * findLast, replaceAll, matchAll, Object.hasOwn, WeakMap/WeakSet,
 * Promise.withResolvers), Promise combinators, AggregateError,
 * Deno, the lowering's __ami_* helpers and __ami_values, Stels.net/local/webfix, logger,
 * Promise.prototype.catch/finally/toJSON) load on
 * first use and then behave as if they had always been there; an idle
 * instance stays small. */
#include "rt.h"

static ami_store *net, *local;

static ami_runtime *make(const char *script, size_t heap)
{
    json_t *w = rt_worker("lazy", script);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    o.heap_max_bytes = heap;
    ami_runtime *inst = NULL;
    int rc = ami_runtime_new(&inst, &o);
    json_decref(w);
    if (rc) fprintf(stderr, "new: %s\n", ami_error_last());
    REQUIRE(rc == 0);
    return inst;
}

static int run(ami_runtime *inst)
{
    ami_runtime_result res;
    int rc = ami_runtime_run(inst, &res);
    if (rc) fprintf(stderr, "  (run: %s: %s, line %d)\n", res.name, res.message, res.line);
    ami_runtime_result_dispose(&res);
    return rc;
}

/* Accessors until used, data properties after, and the heap grows by the part. */
static void each_part_loads_on_first_use(void)
{
    static const char *const uses[] = {
        "kind(globalThis, 'Map', 'get'); var m = new Map([[1, 2]]); eq(m.get(1), 2, 'map');"
        "kind(globalThis, 'Map', 'value'); kind(globalThis, 'Set', 'value'); eq(new Set([1, 1]).size, 1, 'set');",
        "kind(Array.prototype, 'find', 'get'); eq([1, 2].find(function (x) { return x > 1; }), 2, 'find');"
        "kind(Array.prototype, 'find', 'value'); eq('ab'.padStart(3, '-'), '-ab', 'pad'); eq(Object.entries({a: 1}), [['a', 1]], 'entries');"
        "kind(Promise, 'all', 'value'); kind(globalThis, 'Deno', 'value'); eq(typeof Deno.memoryUsage().heapUsed, 'number', 'deno');"
        "eq(new AggregateError([1], 'm').errors, [1], 'aggregate');",
        "kind(globalThis, '__ami_spread', 'get'); class A { constructor(...a) { this.n = a.length; } }"
        "eq(new A(...[1, 2]).n, 2, 'lowered'); kind(globalThis, '__ami_spread', 'value');",
        "kind(globalThis, '__ami_values', 'get'); eq(__ami_values('ab'), ['a', 'b'], 'values');"
        "kind(globalThis, '__ami_values', 'value'); kind(globalThis, 'logger', 'value'); eq(__ami_values([1, 2]), [1, 2], 'array');"
        "var th = null; try { __ami_values(7); } catch (e) { th = e; } eq(th instanceof TypeError, true, 'not iterable');",
        "var a = []; a.find = 5; eq(a.find, 5, 'own'); eq(Object.keys(a), ['find'], 'keys'); eq(typeof [].find, 'function', 'proto');",
        "Map = 7; eq(Map, 7, 'assigned'); eq(typeof Set, 'function', 'set still there');",
        "kind(Array.prototype, 'at', 'get'); kind(globalThis, 'WeakMap', 'get'); eq([1, 2].at(-1), 2, 'at');"
        "kind(Array.prototype, 'at', 'value'); kind(globalThis, 'WeakMap', 'value'); kind(Object, 'hasOwn', 'value');"
        "var r = Promise.withResolvers(); eq(typeof r.resolve + typeof r.reject, 'functionfunction', 'resolvers');"
        "var k = {}, w = new WeakMap([[k, 1]]); eq(w.get(k), 1, 'weak'); eq(Object.keys(k), [], 'hidden');"
        "eq(JSON.stringify(k), '{}', 'json'); eq(new WeakSet([k]).has(k), true, 'weakset');"
        "eq('a-a'.replaceAll('a', 'b'), 'b-b', 'replaceAll'); eq([...'a1a2'.matchAll(/a(\\d)/g)].length, 2, 'matchAll');",
        "kind(Stels, 'net', 'get'); kind(Stels, 'webfix', 'get'); await Stels.net.set(['lazy', 'k'], 5);"
        "kind(Stels, 'net', 'value'); kind(Stels, 'local', 'value'); kind(Stels, 'webfix', 'value');"
        "eq((await Stels.net.get(['lazy', 'k'])).value.raw, 5, 'net'); eq(typeof Stels.local.subscribe, 'function', 'local');"
        "eq(Object.keys(Stels), [], 'not enumerable'); eq(Stels.net === Stels.net, true, 'one object');",
        "Stels.local = 3; eq(Stels.local, 3, 'assigned'); eq(typeof Stels.net.get, 'function', 'net still there');",
        "kind(globalThis, 'logger', 'get'); kind(Promise.prototype, 'catch', 'get'); logger.info('lazy');"
        "kind(globalThis, 'logger', 'value'); kind(Promise.prototype, 'catch', 'value'); kind(Promise.prototype, 'finally', 'value');"
        "eq(JSON.stringify(Promise.resolve(1)), '{}', 'toJSON'); var c = 0; await Promise.reject(1).catch(function () { c = 1; });"
        "eq(c, 1, 'catch'); eq(await Promise.resolve(2).finally(function () {}), 2, 'finally');",
        NULL
    };
    for (int i = 0; uses[i]; i++) {
        char script[2048];
        snprintf(script, sizeof script, RT_EQ_JS
                 "var first = !globalThis.seen; globalThis.seen = 1;\n"
                 "function kind(o, n, k) { if (k === 'get' && !first) return; var d = Object.getOwnPropertyDescriptor(o, n);"
                 "  if (!d || !(k in d)) throw new Error(n + ': no ' + k); }\n%s", uses[i]);
        ami_runtime *inst = make(script, 0);
        size_t idle = ami_runtime_heap_used(inst);
        CHECK_INT(run(inst), 0);
        CHECK_INT(run(inst), 0);   /* and again on the same heap, now loaded */
        CHECK(ami_runtime_heap_used(inst) > idle);
        ami_runtime_free(inst);
    }
}

/* The point of it: an idle instance is far smaller than one with every part. */
static void an_idle_instance_stays_small(void)
{
    ami_runtime *idle = make("var x = 1;", 0);
    ami_runtime *full = make("new Map(); [].find; Promise.all; Deno; __ami_iter; var y = 1;", 0);
    CHECK_INT(run(full), 0);
    ami_runtime_run(idle, NULL);
    size_t a = ami_runtime_heap_used(idle), b = ami_runtime_heap_used(full);
    printf("  idle %zu bytes, with every part loaded %zu bytes\n", a, b);
    CHECK(a + 40 * 1024 < b);
    ami_runtime_free(idle);
    ami_runtime_free(full);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(each_part_loads_on_first_use);
    RUN(an_idle_instance_stays_small);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
