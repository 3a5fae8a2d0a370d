/* Claim: a synchronous body (no top-level await) that returns a plain value
 * still runs the microtasks it queued before its run returns, every run of
 * one instance, and a thenable or object it returns is settled as before. */
#include "check.h"

static ami_runtime *make(const char *script)
{
    json_t *w = json_pack("{s:s, s:s}", "sid", "t", "script", script);
    ami_runtime_options o = AMI_RUNTIME_OPTIONS_INIT;
    o.worker = w;
    ami_runtime *rt = NULL;
    REQUIRE(ami_runtime_new(&rt, &o) == 0);
    json_decref(w);
    return rt;
}

static void expect_runs(const char *script, const char *const *want, int n)
{
    ami_runtime *rt = make(script);
    for (int i = 0; i < n; i++) {
        ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
        CHECK_INT(ami_runtime_run(rt, &res), 0);
        if (want[i]) CHECK_STR(res.value, want[i]);
        else CHECK(res.value == NULL);
        ami_runtime_result_dispose(&res);
    }
    ami_runtime_free(rt);
}

int main(void)
{
    REQUIRE(ami_init() >= 0);
    /* the job queued by run i sets what run i+1 reads: it ran before run i returned */
    static const char *const counted[] = { "0", "1", "2" };
    expect_runs("var n = globalThis.n || 0;\n"
                "Promise.resolve().then(function () { globalThis.n = n + 1; });\n"
                "return n;", counted, 3);
    /* an async call that completes without awaiting, then a plain value */
    static const char *const plain[] = { "7", "7" };
    expect_runs("async function f() { return 1; }\nf();\nreturn 7;", plain, 2);
    /* a thenable and an object */
    static const char *const thenable[] = { "5", "5" };
    expect_runs("return { then: function (ok) { ok(5); } };", thenable, 2);
    static const char *const object[] = { "{\"a\":1}", "{\"a\":1}" };
    expect_runs("return { a: 1 };", object, 2);
    /* nothing returned, nothing queued */
    static const char *const none[] = { NULL, NULL };
    expect_runs("var x = 1 + 1;", none, 2);
    ami_shutdown();
    return check_done();
}
