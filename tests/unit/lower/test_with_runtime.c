/* Claim: the runtime accepts modern scripts (it lowers them and installs the
 * helpers), and lowered code works with its prelude: Promise, job queue,
 * __ami_await, Map and Set meet the contract in lower.h; error lines and
 * validation messages are the user's. */
#include "check.h"
#include "runtime/lower/lower.h"
#include "../runtime/rt.h"

static const char script[] =
    "const { nid } = Stels.config;\n"
    "class Counter { n = 0; add(k = 1) { this.n += k; return this; } }\n"
    "const c = new Counter();\n"
    "await Stels.net.set(['lower', 'k1'], { v: 1, tags: ['a', 'b'] });\n"
    "const { value: { raw: { v, tags: [first, ...others] } } } = await Stels.net.get(['lower', 'k1']);\n"
    "logger.info(`got ${v} ${first} ${others.length} on ${nid}`);\n"
    "const m = new Map([['x', 1], ['y', 2]]);\n"
    "for (const [k, val] of m) c.add(val);\n"
    "for (const s of new Set([3, 3, 4])) c.add(s);\n"
    "logger.info(`map+set ${c.n} spread ${[...m.keys()].join('')}`);\n"
    "async function twice(x) { await Stels.sleep(1); return x * 2; }\n"
    "const results = await Promise.all([1, 2, 3].map(async (x) => twice(x)));\n"
    "logger.info(`async ${results.join(',')}`);\n"
    "const later = await new Promise((resolve) => Promise.resolve().then(() => resolve('job ran')));\n"
    "logger.info(later);\n"
    "try { await Promise.reject(new RangeError('nope')); } catch ({ name }) { logger.info(`caught ${name}`); }\n"
    "let total = 0;\n"
    "for await (const x of [Promise.resolve(5), 6]) total += x;\n"
    "logger.info(`for await ${total} ${null ?? 'dflt'} ${Stels.config?.missing?.deep ?? 'none'}`);\n"
    "const fns = [];\n"
    "for (let i = 0; i < 3; i++) fns.push(() => i);\n"
    "logger.info(fns.map((f) => f()).join(''));\n";

static void lowered_script_runs_on_runtime(void)
{
    ami_store *net, *local;
    rt_stores(&net, &local);
    const char *code = script;
    rt_logs logs;
    rt_logs_init(&logs);
    ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
    CHECK_RC(rt_run(net, local, code, &logs, &res));
    static const char *const want[] = { "got 1 a 1 on node-1", "map+set 10 spread xy", "async 2,4,6", "job ran",
                                        "caught RangeError", "for await 11 dflt none", "012" };
    CHECK_INT(json_array_size(logs.lines), sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) CHECK_STR(rt_log_msg(&logs, i), want[i]);
    ami_runtime_result_dispose(&res);
    rt_logs_dispose(&logs);
    ami_store_free(net);
    ami_store_free(local);
}

static void error_line_is_the_users(void)
{
    ami_store *net, *local;
    rt_stores(&net, &local);
    const char *code = "const a = [1, 2];\nconst [x, y] = a;\nconst o = {\n  k: `${x}`,\n};\no.missing.call();\n";
    ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
    CHECK_INT(rt_run(net, local, code, NULL, &res), AMI_ESCRIPT);
    CHECK_STR(res.name, "TypeError");
    CHECK_INT(res.line, 6);
    ami_runtime_result_dispose(&res);
    ami_store_free(net);
    ami_store_free(local);
}

static void check_script_lowers(void)
{
    ami_script_error se;
    static const char ok[] = "const { a = 1 } = {};\nfor (const x of [a]) await Stels.sleep(x);\n";
    CHECK_RC(ami_runtime_check_script(ok, sizeof ok - 1, &se));
    static const char bad[] = "let x = 1;\nconst y = 20n;\n";
    CHECK_INT(ami_runtime_check_script(bad, sizeof bad - 1, &se), AMI_ESCRIPT);
    CHECK_STR(ami_error_last(), "SyntaxError: BigInt literals are not supported (line 2, column 11)");
    CHECK_STR(se.name, "SyntaxError");
    CHECK_STR(se.message, "BigInt literals are not supported");
    CHECK_INT(se.line, 2);
    CHECK_INT(se.column, 11);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    RUN(lowered_script_runs_on_runtime);
    RUN(error_line_is_the_users);
    RUN(check_script_lowers);
    ami_shutdown();
    return check_done();
}
