/* Claim: whatever a script throws becomes a result with a sensible name,
 * message, stack and the user's line; syntax errors report line and column
 * (at creation, in the stand-alone check and through the registry hook). */
#include "rt.h"

static ami_store *net, *local;

static void expect(const char *script, int code, const char *name, const char *message, int line)
{
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, script, NULL, &res), code);
    CHECK_INT(res.ok, code == 0);
    CHECK_INT(res.code, code);
    if (name) CHECK_STR(res.name, name);
    if (message) CHECK_STR(res.message, message);
    CHECK_INT(res.line, line);
    ami_runtime_result_dispose(&res);
}

static void thrown_values_keep_name_and_message(void)
{
    expect("var a = 1;\n\nthrow new TypeError('wrong type');", AMI_ESCRIPT, "TypeError", "wrong type", 3);
    expect("function f() {\n  g();\n}\nf();", AMI_ESCRIPT, "ReferenceError", "identifier 'g' undefined", 2);
    expect("var e = new Error('x'); e.name = 'NetworkError';\nthrow e;", AMI_ESCRIPT, "NetworkError", "x", 1);
    expect("function RequestTimeout(m) { this.message = m; }\n"
           "RequestTimeout.prototype = Object.create(Error.prototype);\n"
           "RequestTimeout.prototype.name = 'RequestTimeout';\n"
           "throw new RequestTimeout('timed out after 5 s');", AMI_ESCRIPT, "RequestTimeout", "timed out after 5 s", 4);
    expect("throw 'plain string';", AMI_ESCRIPT, "Error", "plain string", 0);
    expect("throw undefined;", AMI_ESCRIPT, "Error", "Uncaught undefined", 0);
    expect("throw null;", AMI_ESCRIPT, "Error", "Uncaught null", 0);
    expect("throw 42;", AMI_ESCRIPT, "Error", "Uncaught 42", 0);
    expect("throw {code: 5};", AMI_ESCRIPT, "Error", "Uncaught {\"code\":5}", 0);
    expect("throw {name: 'ExchangeNotAvailable', message: 'down'};", AMI_ESCRIPT, "ExchangeNotAvailable", "down", 0);
    expect("throw {get name() { throw 1; }};", AMI_ESCRIPT, "Error", NULL, 0);
    /* an error from the host API points at the user's line, not the prelude */
    expect("\n\nStels.net.get('not an array');", AMI_ESCRIPT, "TypeError", NULL, 3);
}

/* (and the stack shows only the user's frames) */
static void stack_is_kept(void)
{
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, "function inner() { throw new Error('deep'); }\nfunction outer() { inner(); }\nouter();",
                     NULL, &res), AMI_ESCRIPT);
    CHECK(res.stack && strstr(res.stack, "inner") && strstr(res.stack, "outer") && strstr(res.stack, "worker.js:1"));
    CHECK_STR(ami_error_last(), "Error: deep");
    ami_runtime_result_dispose(&res);
    /* only the user's frames, as "at name (worker.js:L)": no Duktape internals, prelude or flags */
    CHECK_INT(rt_run(net, local, "function inner() { throw new Error('deep'); }\n"
                                 "function outer() { [1].forEach(function cb() { inner(); }); }\nouter();\nnull.x;",
                     NULL, &res), AMI_ESCRIPT);
    CHECK_STR(res.stack, "Error: deep\n    at inner (worker.js:1)\n    at cb (worker.js:2)\n    at outer (worker.js:2)\n"
                         "    at [anon] (worker.js:3)");
    ami_runtime_result_dispose(&res);
    CHECK_INT(rt_run(net, local, "var a;\na.b;", NULL, &res), AMI_ESCRIPT);
    CHECK_STR(res.stack, "TypeError: cannot read property 'b' of undefined\n    at [anon] (worker.js:2)");
    CHECK_INT(ami_error_last_code(), AMI_ESCRIPT);
    ami_runtime_result_dispose(&res);
}

static void top_level_return_ends_the_run(void)
{
    rt_logs logs;
    rt_logs_init(&logs);
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, "logger.info('before');\nif (true) return 5;\nlogger.info('after');", &logs, &res), 0);
    CHECK_INT(res.ok, 1);
    CHECK(res.name == NULL && res.message == NULL);
    CHECK_INT(json_array_size(logs.lines), 1);
    ami_runtime_result_dispose(&res);
    rt_logs_dispose(&logs);
}

static void syntax_errors_have_line_and_column(void)
{
    json_t *w = rt_worker("s", "var a = 1;\nvar b = (;\n");
    ami_runtime_options o = rt_options(net, local, w, NULL);
    ami_runtime *inst = (ami_runtime *)1;
    CHECK_INT(ami_runtime_new(&inst, &o), AMI_ESCRIPT);
    CHECK(inst == NULL);
    CHECK_STR(ami_error_last(), "SyntaxError: Unexpected token ';' (line 2, column 10)");   /* from the lowering */
    json_decref(w);

    ami_script_error se;
    CHECK_INT(ami_runtime_check_script("logger.info('x');\n  if (a {\n}", 29, &se), AMI_ESCRIPT);
    CHECK_STR(se.name, "SyntaxError");
    CHECK_INT(se.line, 2);
    CHECK(se.column > 0 && se.message[0] && !strstr(se.message, "line"));
    CHECK(strstr(ami_error_last(), "SyntaxError") && strstr(ami_error_last(), "(line 2, column "));
    ami_script_error again;
    CHECK_RC(ami_error_last_script(&again));
    CHECK_STR(again.message, se.message);
    CHECK_INT(ami_runtime_check_script("var s = 'unterminated;\n", 23, &se), AMI_ESCRIPT);
    CHECK_INT(se.line, 1);
    CHECK(se.column > 0);
    CHECK_INT(ami_runtime_check_script("return 1;", 9, &se), 0);
    /* a script cannot close the wrapping function early */
    CHECK_INT(ami_runtime_check_script("}); (function(){", 16, &se), AMI_ESCRIPT);
    CHECK_INT(ami_runtime_check_script("x", 1, NULL), 0);
}

/* The registry compiles every script it stores, with no set-up call. */
static void registry_rejects_bad_scripts(void)
{
    json_t *body = check_json("{\"scriptContent\":\"logger.info('ok');\\nvar x = ;\"}"), *out = NULL;
    CHECK_INT(ami_registry_create(&out, net, "node-1", body), AMI_EVALIDATION);
    CHECK(strstr(ami_error_last(), "Invalid script content") && strstr(ami_error_last(), "line 2, column "));
    ami_script_error se;
    CHECK_RC(ami_error_last_script(&se));
    CHECK_INT(se.line, 2);
    json_decref(body);
    body = check_json("{\"scriptContent\":\"logger.info('ok');\"}");
    CHECK_RC(ami_registry_create(&out, net, "node-1", body));
    json_decref(out);
    json_decref(body);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(thrown_values_keep_name_and_message);
    RUN(stack_is_kept);
    RUN(top_level_return_ends_the_run);
    RUN(syntax_errors_have_line_and_column);
    RUN(registry_rejects_bad_scripts);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
