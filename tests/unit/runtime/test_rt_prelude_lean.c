/* Claim: an error the runtime's own JavaScript throws at a script (a bad key
 * for Stels.net.set/get, a bad Stels.webfix request, a non-iterable spread)
 * names the script's line that made the call in e.fileName/e.lineNumber, as
 * errors of Duktape's built-ins do (the prelude's functions carry no file
 * name or line table of their own), while the result's stack still shows
 * only the script's frames; and functions loaded from the script cache (a
 * second instance of one script: closures over variables, a recursive named
 * function expression, `arguments`, nested scopes, eval-free `with`-free
 * code) behave as the first, compiled instance's do; and a new instance
 * holds no garbage that only a collection would free (setup drops nothing in
 * reference cycles), so creating one needs no collection; and the prelude's
 * functions, like Duktape's built-ins, carry no caller/arguments throwers of
 * their own, where a script's strict functions keep them (loaded or compiled);
 * and the value stack that loading the prelude grew (~200 slots) is given
 * back when the instance is made, as is the one a run grew when the run
 * parks for a long wait (not for a short one), and the instance then runs
 * on as before; and an interned string's header is 24 bytes, not 32
 * (scripts/gen_duk_config.sh), while a non-ASCII string's length is still
 * known without counting its characters at every use (a loop over one is
 * not quadratic: scripts/duk_lean.patch); and the instructions of the
 * prelude and of its parts loaded on first use run from one copy per
 * process, not a copy in each heap, while the worker's own code is the
 * heap's (lib/runtime/bytecode.c, ami__bytecode_share); and what only the
 * prelude's setup reads (the config object it is handed, in the global
 * stash and on host) is not kept, while Stels.config, Stels.startTime and
 * the cex mode still come from it; and an idle instance's host lacks the
 * functions only the prelude's parts use (their names are not even
 * interned), which the first part to load puts back. */
#include "rt.h"
#include <unistd.h>
#include "runtime/internal.h"

static ami_store *net, *local;

static void prelude_errors_name_the_callers_line(void)
{
    const char *script =
        "var out = [];\n"                                                    /* 1 */
        "function where(e) { out.push(e.fileName + ':' + e.lineNumber); }\n" /* 2 */
        "try {\n"                                                            /* 3 */
        "  Stels.net.set('not-an-array', 1);\n"                              /* 4 */
        "} catch (e) { where(e); }\n"                                        /* 5 */
        "try { Stels.local.get([{}]); } catch (e) { where(e); }\n"           /* 6 */
        "try {\n"                                                            /* 7 */
        "  Stels.webfix(42);\n"                                              /* 8 */
        "} catch (e) { where(e); }\n"                                        /* 9 */
        "try { var a = [...17]; } catch (e) { where(e); }\n"                 /* 10 */
        "return out;\n";
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, script, NULL, &res), 0);
    CHECK_STR(res.value, "[\"worker.js:4\",\"worker.js:6\",\"worker.js:8\",\"worker.js:10\"]");
    ami_runtime_result_dispose(&res);

    /* uncaught: the result's line and stack are the script's */
    CHECK_INT(rt_run(net, local, "var x = 1;\nfunction f() {\n  Stels.net.get('k');\n}\nf();\n", NULL, &res), AMI_ESCRIPT);
    CHECK_INT(res.line, 3);
    CHECK(res.stack && strstr(res.stack, "(worker.js:3)") && strstr(res.stack, "(worker.js:5)"));
    CHECK(res.stack && !strstr(res.stack, "prelude"));
    ami_runtime_result_dispose(&res);
}

static void cached_functions_behave_as_compiled(void)
{
    const char *script =
        "function counter() { var n = 0; return function () { n += 1; return n; }; }\n"
        "var c = counter(); c(); c();\n"
        "var fact = function f(k) { return k <= 1 ? 1 : k * f(k - 1); };\n"
        "function count() { return arguments.length; }\n"
        "function outer(a) { function mid(b) { return function (c) { return a + b + c; }; } return mid(2)(3); }\n"
        "var empty = function () {};\n"
        "let blocks = [];\n"
        "for (let i = 0; i < 3; i++) blocks.push(() => i);\n"
        "return [c(), fact(5), count(1, 2, 3), outer(1), typeof empty(), blocks.map(f => f())];\n";
    const char *want = "[3,120,3,6,\"undefined\",[0,1,2]]";
    for (int i = 0; i < 3; i++) {   /* the first compiles, the others load its bytecode */
        ami_runtime_result res;
        CHECK_INT(rt_run(net, local, script, NULL, &res), 0);
        CHECK_STR(res.value, want);
        ami_runtime_result_dispose(&res);
    }
}

static void prelude_functions_have_no_throwers(void)
{
    const char *script =
        "function mine() { 'use strict'; return 1; }\n"
        "function own(f) { return ['caller', 'arguments'].filter(function (k) {\n"
        "  return Object.prototype.hasOwnProperty.call(f, k); }).join(','); }\n"
        "var threw = false;\n"
        "try { mine.caller; } catch (e) { threw = e instanceof TypeError; }\n"
        "return [own(Stels.sleep), own(Promise.resolve), own(mine), threw, typeof mine.prototype, mine()];\n";
    for (int i = 0; i < 2; i++) {   /* compiled, then loaded from the script cache */
        ami_runtime_result res;
        CHECK_INT(rt_run(net, local, script, NULL, &res), 0);
        CHECK_STR(res.value, "[\"\",\"\",\"caller,arguments\",true,\"object\",1]");
        ami_runtime_result_dispose(&res);
    }
}

static void a_new_instance_holds_no_cyclic_garbage(void)
{
    static const char *const scripts[] = {
        "await Stels.sleep(10);",
        "function Point(x) { this.x = x; }\nclass K { m() { return 1; } }\nvar f = function () {};\nreturn new Point(1).x;",
        NULL
    };
    for (int i = 0; scripts[i]; i++) {
        for (int k = 0; k < 2; k++) {   /* compiled, then loaded from the script cache */
            json_t *w = rt_worker("gc", scripts[i]);
            ami_runtime_options o = rt_options(net, local, w, NULL);
            ami_runtime *inst = NULL;
            REQUIRE(ami_runtime_new(&inst, &o) == 0);
            json_decref(w);
            size_t before = ami_runtime_heap_used(inst);
            duk_gc(inst->ctx, 0);
            size_t after = ami_runtime_heap_used(inst);
            if (before > after + 1024) {
                check_failures++;
                fprintf(stderr, "  script %d (%s): a collection freed %zu bytes of a new instance\n", i,
                        k ? "cached" : "compiled", before - after);
            }
            ami_runtime_free(inst);
        }
    }
}

static void on_ready(void *payload) { (void)payload; }

static void the_value_stack_is_given_back(void)
{
    /* the run grows the main thread's stack beyond a fresh heap's 96 slots
     * (a call with 300 arguments from a callback the prelude's job queue
     * runs) and the body's coroutine's (the same call in the body) */
    const char *script =
        "var args = []; for (var i = 0; i < 300; i++) args.push(i);\n"
        "function sum() { var s = 0; for (var i = 0; i < arguments.length; i++) s += arguments[i]; return s; }\n"
        "var got = await Promise.resolve(1).then(function () { return sum.apply(null, args); });\n"
        "got += sum.apply(null, args);\n"
        "await Stels.sleep(60000);\n"
        "return got;\n";
    json_t *w = rt_worker("vs", script);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    o.ready = on_ready;   /* a scheduler's instance: a waiting step parks it */
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    size_t fresh = ami__duk_valstack_slots(inst->ctx, 0);
    CHECK(fresh <= 96);
    CHECK_INT(ami_runtime_start(inst), 0);
    int64_t wake = 0;
    CHECK_INT(ami_runtime_step(inst, &wake, NULL), 0);
    CHECK(wake > 1000);
    CHECK(ami__duk_valstack_slots(inst->ctx, 0) <= 96);
    CHECK(ami__duk_valstack_slots(inst->ctx, 1) < 200);
    /* and it runs on: a stop ends the sleep, the next run's value is right */
    ami_runtime_stop(inst);
    ami_runtime_result res;
    CHECK_INT(ami_runtime_step(inst, &wake, &res), AMI_RUNTIME_DONE);
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);

    /* a short wait keeps what the run grew (no reallocation at every turn) */
    w = rt_worker("vs2", "var args = []; for (var i = 0; i < 300; i++) args.push(i);\n"
                         "function sum() { var s = 0; for (var i = 0; i < arguments.length; i++) s += arguments[i]; return s; }\n"
                         "var got = await Promise.resolve(1).then(function () { return sum.apply(null, args); });\n"
                         "got += sum.apply(null, args);\n"
                         "await Stels.sleep(5);\nreturn got;\n");
    o = rt_options(net, local, w, NULL);
    o.ready = on_ready;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    CHECK_INT(ami_runtime_start(inst), 0);
    CHECK_INT(ami_runtime_step(inst, &wake, NULL), 0);
    CHECK(ami__duk_valstack_slots(inst->ctx, 0) > 300);
    CHECK(ami__duk_valstack_slots(inst->ctx, 1) > 300);
    int rc;
    while ((rc = ami_runtime_step(inst, &wake, &res)) == 0) usleep(1000);
    CHECK_INT(rc, AMI_RUNTIME_DONE);
    CHECK(res.ok);
    CHECK_STR(res.value, "89700");
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
}

/* heap_used of an instance after its run has kept `script`'s globals, collected */
static size_t heap_after(const char *script)
{
    json_t *w = rt_worker("hs", script);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    ami_runtime_result res;
    CHECK_INT(ami_runtime_run(inst, &res), 0);
    ami_runtime_result_dispose(&res);
    duk_gc(inst->ctx, 0);
    size_t used = ami_runtime_heap_used(inst);
    ami_runtime_free(inst);
    return used;
}

static void strings_have_a_small_header(void)
{
    /* 1,000 distinct 15-byte strings against 1,000 numbers in the same
     * array: each string is a header, 16 bytes of data (with its NUL) and
     * the allocator's rounding, plus ~2 bytes of the string table's growth.
     * A 32-byte header made each 48 bytes asked (56 usable from glibc), so
     * ~50-58 in all; 24 bytes make it 40 (40 usable), ~42 in all */
    enum { N = 1000 };
    size_t nums = heap_after("globalThis.keep = new Array(1000); for (var i = 0; i < 1000; i++) keep[i] = i;");
    size_t strs = heap_after("globalThis.keep = new Array(1000);\n"
                             "for (var i = 0; i < 1000; i++) keep[i] = 'k' + (100000000 + i) + 'xxxxx';");
    CHECK(strs > nums);
    size_t each = (strs - nums) / N;
    if (each >= 46) {
        check_failures++;
        fprintf(stderr, "  a 15-byte string costs %zu bytes of heap\n", each);
    }

    /* non-ASCII strings: lengths and a loop over 100,000 characters (which
     * counting them at every .length would make 10^10 steps: over the slice) */
    ami_runtime_result res;
    CHECK_INT(rt_run_slice(net, local,
                           "var s = Array(100001).join('\u00e9'), n = 0;\n"
                           "for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) === 0xe9) n++;\n"
                           "var t = s + 'ab\u20ac', u = 'h\u00e9llo'.toUpperCase();\n"
                           "return [s.length, n, t.length, t.charAt(t.length - 1) === '\u20ac', t.slice(-3), u, u.length,\n"
                           "        ('x' + '\u00e9').length, 'na\u00efve caf\u00e9'.indexOf('caf'), '\u00e9\u00e9'.split('').length,\n"
                           "        Object.keys({ '\u00e9t\u00e9': 1, 7: 2 }), [10, 20][String(1)]];\n",
                           NULL, &res, 3000), 0);
    CHECK_STR(res.value, "[100000,100000,100003,true,\"ab\u20ac\",\"H\u00c9LLO\",5,2,6,2,[\"7\",\"\u00e9t\u00e9\"],20]");
    ami_runtime_result_dispose(&res);
}

static void prelude_code_is_shared(void)
{
    static const char *const scripts[] = {
        "var x = 1;",
        /* parts loaded on first use: Map/Set, the loaders, the web globals, the polyfills */
        "var m = new Map([[1, 2]]), u = new URL('http://a/b?c=3');\n"
        "return [m.get(1), u.searchParams.get('c'), [1, 2, 3].find(function (v) { return v > 1; }), 'ab'.padStart(4, '-')];",
        NULL
    };
    size_t first_shared = 0;
    for (int i = 0; scripts[i]; i++) {
        json_t *w = rt_worker("sc", scripts[i]);
        ami_runtime_options o = rt_options(net, local, w, NULL);
        ami_runtime *inst = NULL;
        REQUIRE(ami_runtime_new(&inst, &o) == 0);
        json_decref(w);
        ami_runtime_result res;
        CHECK_INT(ami_runtime_run(inst, &res), 0);
        if (i == 1) CHECK_STR(res.value, "[2,\"3\",2,\"--ab\"]");
        ami_runtime_result_dispose(&res);
        size_t shared = 0, own = 0;
        ami__duk_code_stats(inst->ctx, &shared, &own);
        /* the prelude alone is ~1,600 instructions; the bodies a few dozen */
        if (shared < 1000 || own > 200) {
            check_failures++;
            fprintf(stderr, "  script %d: %zu instructions shared, %zu in the heap\n", i, shared, own);
        }
        if (i == 0) first_shared = shared;
        else CHECK(shared > first_shared + 1000);   /* the parts' too */
        ami_runtime_free(inst);
    }
}

static void setup_only_objects_are_dropped(void)
{
    for (int paper = 0; paper < 2; paper++) {
        json_t *w = rt_worker("su", "var c = Stels.config;\n"
                                    "return [c.nid, c.sid, c.network, c.term, c.workers.length, typeof Stels.startTime,\n"
                                    "        Stels.startTime > 0, new Stels.runtime.cex.binance({}).paper];");
        ami_runtime_options o = rt_options(net, local, w, NULL);
        if (paper) o.cex = "paper";
        ami_runtime *inst = NULL;
        REQUIRE(ami_runtime_new(&inst, &o) == 0);
        json_decref(w);
        duk_push_global_stash(inst->ctx);
        CHECK(!duk_has_prop_string(inst->ctx, -1, "config"));
        duk_pop(inst->ctx);
        ami_runtime_result res;
        CHECK_INT(ami_runtime_run(inst, &res), 0);
        CHECK_STR(res.value, paper ? "[\"node-1\",\"su\",\"testnet\",null,0,\"number\",true,true]"
                                   : "[\"node-1\",\"su\",\"testnet\",null,0,\"number\",true,false]");
        ami_runtime_result_dispose(&res);
        ami_runtime_free(inst);
    }
}

static void host_gets_the_parts_functions_when_a_part_loads(void)
{
    static const char *const later[] = { "subLive", "metrics", "clearTimer", "newPromise", "promiseInit", NULL };
    json_t *w = rt_worker("hp", "await Stels.net.set(['hp'], 1); var v = (await Stels.net.get(['hp'])).value.raw;\n"
                                "var t = await new Promise(function (ok) { var id = setTimeout(function () { ok(1); }, 1);\n"
                                "  clearTimeout(setTimeout(function () { ok(2); }, 0)); });\n"
                                "return [v, t, typeof Deno.memoryUsage().heapUsed, typeof Deno.loadavg()[0],\n"
                                "        new RegExp('a.c', 's').test('a\\nc'), Stels.local.subscribe(['hp'], function () {}) !== undefined];");
    ami_runtime_options o = rt_options(net, local, w, NULL);
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    for (int i = 0; later[i]; i++)
        if (ami__duk_has_string(inst->ctx, later[i])) {
            check_failures++;
            fprintf(stderr, "  an idle instance holds the string %s\n", later[i]);
        }
    CHECK(ami__duk_has_string(inst->ctx, "sleepOp"));   /* the prelude's own host functions stay */
    ami_runtime_result res;
    CHECK_INT(ami_runtime_run(inst, &res), 0);
    CHECK_STR(res.value, "[1,1,\"number\",\"number\",true,true]");
    ami_runtime_result_dispose(&res);
    CHECK(ami__duk_has_string(inst->ctx, "subLive") && ami__duk_has_string(inst->ctx, "clearTimer"));
    CHECK(!ami__duk_has_string(inst->ctx, "promiseInit"));
    ami_runtime_free(inst);
}

int main(void)
{
    REQUIRE(ami_store_open(&net, check_path("net.db")) == 0);
    REQUIRE(ami_store_open(&local, check_path("local.db")) == 0);
    RUN(prelude_errors_name_the_callers_line);
    RUN(cached_functions_behave_as_compiled);
    RUN(a_new_instance_holds_no_cyclic_garbage);
    RUN(prelude_functions_have_no_throwers);
    RUN(the_value_stack_is_given_back);
    RUN(strings_have_a_small_header);
    RUN(prelude_code_is_shared);
    RUN(setup_only_objects_are_dropped);
    RUN(host_gets_the_parts_functions_when_a_part_loads);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
