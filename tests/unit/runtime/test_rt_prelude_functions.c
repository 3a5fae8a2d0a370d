/* Claim: the functions the prelude gives scripts (logger.*, Stels.*, the
 * store methods, Array.prototype[Symbol.iterator], and from the parts loaded
 * on first use the polyfills, Promise combinators, timers, the lowering's
 * helpers) behave like built-ins: callable, not constructors, without a
 * .prototype object (so no heap carries one for each of them), while the
 * polyfilled constructors (Promise, Map, Set, WeakMap, AggregateError) stay
 * constructors and async functions, generators and classes still work. */
#include "rt.h"

static ami_store *net, *local;

static void prelude_functions_are_not_constructors(void)
{
    const char *script = RT_EQ_JS
        "function notCtor(f, what) {\n"
        "  eq(typeof f, 'function', what + ' callable');\n"
        "  eq(Object.prototype.hasOwnProperty.call(f, 'prototype'), false, what + ' has no prototype');\n"
        "  var threw = null; try { new f(); } catch (e) { threw = e.name; }\n"
        "  eq(threw, 'TypeError', what + ' not constructable');\n"
        "}\n"
        "notCtor(logger.info, 'logger.info'); notCtor(logger.error, 'logger.error');\n"
        "notCtor(Stels.sleep, 'Stels.sleep'); notCtor(Stels.webfix, 'Stels.webfix');\n"
        "notCtor(Stels.net.get, 'Stels.net.get'); notCtor(Stels.local.set, 'Stels.local.set');\n"
        "notCtor([][Symbol.iterator], 'Array.prototype[Symbol.iterator]');\n"
        "notCtor(Promise.resolve, 'Promise.resolve'); notCtor(Promise.prototype.then, 'then');\n"
        "var p = new Promise(function (r) { r(7); });\n"
        "eq(p instanceof Promise, true, 'promise instance'); eq(typeof Promise.prototype, 'object', 'Promise.prototype');\n"
        "eq(await p, 7, 'awaited');\n"
        "async function twice(x) { return 2 * await x; }\n"
        "function* g() { yield 1; yield 2; }\n"
        "eq(await twice(p), 14, 'async'); eq([...g()], [1, 2], 'generator');\n"
        "notCtor(Array.prototype.find, 'find'); notCtor(Object.entries, 'Object.entries'); notCtor(Promise.all, 'Promise.all');\n"
        "notCtor(setTimeout, 'setTimeout'); notCtor(__ami_spread, '__ami_spread');\n"
        "eq(new Map([[1, 2]]).get(1), 2, 'Map'); eq(new Set([1, 1]).size, 1, 'Set'); eq(typeof Map.prototype.get, 'function', 'Map.prototype');\n"
        "var k = {}; eq(new WeakMap([[k, 3]]).get(k), 3, 'WeakMap');\n"
        "eq(new AggregateError([1], 'm') instanceof AggregateError, true, 'AggregateError');\n"
        "class A { constructor(...a) { this.n = a.length; } get twice() { return 2 * this.n; } }\n"
        "class B extends A { constructor() { super(1, 2, 3); } }\n"
        "eq(new B(...[]).twice, 6, 'classes'); eq(new B() instanceof A, true, 'instanceof');\n"
        "logger.info('ok', { a: 1 });\n"
        "await Stels.net.set(['k'], 5); eq((await Stels.net.get(['k'])).value.raw, 5, 'store');\n";
    rt_logs logs;
    rt_logs_init(&logs);
    ami_runtime_result res;
    CHECK_RC(rt_run(net, local, script, &logs, &res));
    ami_runtime_result_dispose(&res);
    CHECK_STR(rt_log_msg(&logs, 0), "ok {\"a\":1}");
    rt_logs_dispose(&logs);
}

int main(void)
{
    ami_init();
    rt_stores(&net, &local);
    RUN(prelude_functions_are_not_constructors);
    ami_store_free(net);
    ami_store_free(local);
    ami_shutdown();
    return check_done();
}
