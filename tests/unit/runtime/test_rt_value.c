/* Claim: ami_runtime_run gives back what the body returned as JSON text (an awaited value too), NULL for undefined and on errors, and the value is freed by ami_runtime_result_dispose. */
#include "check.h"

static char *run_value(const char *script, int *rc_out)
{
    json_t *w = json_pack("{s:s, s:s}", "sid", "t", "script", script);
    ami_runtime_options o = AMI_RUNTIME_OPTIONS_INIT;
    o.worker = w;
    ami_runtime *rt = NULL;
    int rc = ami_runtime_new(&rt, &o);
    json_decref(w);
    if (rc) { *rc_out = rc; return NULL; }
    ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
    *rc_out = ami_runtime_run(rt, &res);
    char *v = res.value ? strdup(res.value) : NULL;
    /* a second run fills a fresh result again */
    ami_runtime_result_dispose(&res);
    CHECK(res.value == NULL);
    ami_runtime_run(rt, &res);
    CHECK((v == NULL) == (res.value == NULL));
    ami_runtime_result_dispose(&res);
    ami_runtime_free(rt);
    return v;
}

static void expect(const char *script, const char *want)
{
    int rc = 0;
    char *v = run_value(script, &rc);
    CHECK_INT(rc, 0);
    if (want) CHECK_STR(v, want);
    else CHECK(v == NULL);
    if (want && (!v || strcmp(v, want))) fprintf(stderr, "    script: %s\n", script);
    free(v);
}

static void values(void)
{
    expect("return 42;", "42");
    expect("return 'hi';", "\"hi\"");
    expect("return {a: [1, 2, {b: null}], c: true};", "{\"a\":[1,2,{\"b\":null}],\"c\":true}");
    expect("var x = 1;", NULL);
    expect("return undefined;", NULL);
    expect("return function () {};", NULL);
    expect("const v = await Promise.resolve(7); return {v: v * 2};", "{\"v\":14}");
    expect("return Promise.resolve('later');", "\"later\"");
    expect("await Stels.sleep(1); return [1];", "[1]");
}

static void errors_have_no_value(void)
{
    int rc = 0;
    char *v = run_value("throw new Error('x');", &rc);
    CHECK_INT(rc, AMI_ESCRIPT);
    CHECK(v == NULL);
    /* a value that cannot be JSON (a cycle) is no value, not a failed run */
    v = run_value("var o = {}; o.o = o; return o;", &rc);
    CHECK_INT(rc, 0);
    CHECK(v == NULL);
}

int main(void)
{
    ami_init();
    RUN(values);
    RUN(errors_have_no_value);
    ami_shutdown();
    return check_done();
}
