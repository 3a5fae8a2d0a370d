/* Claim: the instances of one script share one compiled form (the script is
 * lowered and compiled once per process, later instances load its bytecode)
 * and behave as if compiled themselves (value, top-level await, error lines);
 * a changed script, or the same text in another language, is compiled anew
 * and never served another script's code; a syntax error is reported with its
 * line and column every time. */
#include "rt.h"
#include "runtime/internal.h"

static ami_store *net, *local;

static ami_runtime *make(const char *script, const char *lang)
{
    json_t *w = rt_worker("cache", script);
    if (lang) json_object_set_new(w, "language", json_string(lang));
    ami_runtime_options o = rt_options(net, local, w, NULL);
    ami_runtime *inst = NULL;
    int rc = ami_runtime_new(&inst, &o);
    json_decref(w);
    if (rc) fprintf(stderr, "new: %s\n", ami_error_last());
    REQUIRE(rc == 0);
    return inst;
}

/* One run of a fresh instance: the value as JSON text ("" when none), or "ERR line N" */
static void run_once(const char *script, const char *lang, char *out, size_t cap)
{
    ami_runtime *inst = make(script, lang);
    ami_runtime_result res;
    int rc = ami_runtime_run(inst, &res);
    if (rc) snprintf(out, cap, "ERR %s line %d %s", res.message ? res.message : "", res.line,
                     res.stack && strstr(res.stack, "(worker.js:") ? "stack" : "nostack");
    else snprintf(out, cap, "%s", res.value ? res.value : "");
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
}

static void same_script_compiles_once(void)
{
    const char *script = "const a = [1, 2, 3].map(x => x * 2);\nreturn a.reduce((s, x) => s + x, 0) + 30;";
    unsigned long c0 = ami__script_cache_compiles();
    char v[256];
    for (int i = 0; i < 3; i++) {
        run_once(script, NULL, v, sizeof v);
        CHECK_STR(v, "42");
    }
    CHECK_INT(ami__script_cache_compiles() - c0, 1);
}

static void loaded_code_keeps_await_and_lines(void)
{
    const char *script = "const v = await Promise.resolve(5);\n"
                         "if (globalThis.x === undefined) {\n"
                         "  throw new Error('boom ' + v);\n"
                         "}\n";
    unsigned long c0 = ami__script_cache_compiles();
    char first[256], second[256];
    run_once(script, NULL, first, sizeof first);
    run_once(script, NULL, second, sizeof second);
    CHECK_STR(first, "ERR boom 5 line 3 stack");
    CHECK_STR(second, first);
    CHECK_INT(ami__script_cache_compiles() - c0, 1);
}

static void changed_script_compiles_anew(void)
{
    unsigned long c0 = ami__script_cache_compiles();
    char v[256];
    run_once("return 1;", NULL, v, sizeof v);
    CHECK_STR(v, "1");
    run_once("return 2;", NULL, v, sizeof v);
    CHECK_STR(v, "2");
    run_once("return 1;", NULL, v, sizeof v);
    CHECK_STR(v, "1");
    CHECK_INT(ami__script_cache_compiles() - c0, 2);
    /* the same text as TypeScript is another entry (the lowering differs by language) */
    run_once("return 1;", "ts", v, sizeof v);
    CHECK_STR(v, "1");
    CHECK_INT(ami__script_cache_compiles() - c0, 3);
    run_once("let n: number = 3; return n;", "ts", v, sizeof v);
    CHECK_STR(v, "3");
    CHECK_INT(ami__script_cache_compiles() - c0, 4);
}

static void syntax_error_reported_every_time(void)
{
    const char *script = "var a = 1;\nvar b = (a +;\n";
    for (int i = 0; i < 2; i++) {
        json_t *w = rt_worker("cache", script);
        ami_runtime_options o = rt_options(net, local, w, NULL);
        ami_runtime *inst = NULL;
        CHECK_INT(ami_runtime_new(&inst, &o), AMI_ESCRIPT);
        CHECK(inst == NULL);
        ami_script_error se;
        memset(&se, 0, sizeof se);
        CHECK(ami_error_last_script(&se) == 0);
        CHECK_INT(se.line, 2);
        CHECK_INT(se.column, 13);
        json_decref(w);
    }
}

int main(void)
{
    ami_init();
    rt_stores(&net, &local);
    RUN(same_script_compiles_once);
    RUN(loaded_code_keeps_await_and_lines);
    RUN(changed_script_compiles_anew);
    RUN(syntax_error_reported_every_time);
    ami_store_free(net);
    ami_store_free(local);
    ami_shutdown();
    return check_done();
}
