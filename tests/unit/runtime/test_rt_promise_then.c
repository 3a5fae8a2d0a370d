/* Claim: Promise.prototype.then (native since the promise core moved to C)
 * acts as Node's: on an object that merely inherits from Promise.prototype,
 * on a plain object or a primitive it throws a TypeError; on promises it adds
 * reactions that run in order (several on one pending promise, on settled,
 * rejected and subclassed promises), marks a rejection handled, and keeps
 * then's length 2 and a Promise's keys and JSON empty. */
#include "check.h"

static void expect(const char *script, const char *want)
{
    json_t *w = json_pack("{s:s, s:s}", "sid", "t", "script", script);
    ami_runtime_options o = AMI_RUNTIME_OPTIONS_INIT;
    o.worker = w;
    ami_runtime *rt = NULL;
    REQUIRE(ami_runtime_new(&rt, &o) == 0);
    json_decref(w);
    ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
    CHECK_INT(ami_runtime_run(rt, &res), 0);
    CHECK_STR(res.value, want);
    if (res.message) fprintf(stderr, "    %s: %s\n", res.name, res.message);
    ami_runtime_result_dispose(&res);
    ami_runtime_free(rt);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    /* receivers that are not promises: a TypeError each, as in Node */
    expect("const then = Promise.prototype.then, out = [];\n"
           "for (const x of [Object.create(Promise.prototype), {}, 5, 'x']) {\n"
           "  try { then.call(x, () => 1); out.push('no error'); } catch (e) { out.push(e instanceof TypeError); }\n"
           "}\n"
           "return out.join(',');",
           "\"true,true,true,true\"");
    /* several reactions on one pending promise, in order; settled and rejected ones */
    expect("const out = []; let ok;\n"
           "const p = new Promise(r => { ok = r; });\n"
           "const a = p.then(v => out.push('a' + v)), b = p.then(v => out.push('b' + v));\n"
           "p.then(null, () => out.push('never')).then(v => out.push('c' + v));\n"
           "ok(1);\n"
           "Promise.resolve(2).then(v => out.push('d' + v));\n"
           "Promise.reject(3).then(null, e => out.push('e' + e));\n"
           "const late = Promise.reject(4); await null; late.then(null, e => out.push('f' + e));\n"
           "await Promise.all([a, b]); await new Promise(r => setTimeout(r, 0));\n"
           "return out.join(',');",
           "\"a1,b1,d2,e3,c1,f4\"");
    /* a subclass, then's shape, and a promise's own keys and JSON */
    expect("class P2 extends Promise {}\n"
           "const v = await new P2(r => r(6)).then(x => x + 1);\n"
           "const p = Promise.resolve(1); p.then(() => 0);\n"
           "return [v, Promise.prototype.then.length, Object.keys(p).length, JSON.stringify(p),\n"
           "        typeof Promise.prototype.then].join(',');",
           "\"7,2,0,{},function\"");
    ami_shutdown();
    return check_done();
}
