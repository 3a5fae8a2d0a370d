/* Claim: Deno.exit(code) ends the current run at once, even inside a
 * try/catch (in the body and after an await): code 0 is a successful run,
 * any other code an error named Exit "Deno.exit(N)"; the instance runs again. */
#include "rt.h"

static ami_store *net, *local;

static const char *script =
    "globalThis.n = (globalThis.n || 0) + 1;\n"
    "var n = globalThis.n;\n"
    "if (n === 1) { try { Deno.exit(3); } catch (e) { globalThis.swallowed = 1; }\n"
    "               Stels.local.set(['after', n], 1); }\n"
    "if (n === 2) { try { Deno.exit(0); } catch (e) {} globalThis.bad = 2; Stels.local.set(['after', n], 1); }\n"
    "if (n === 3) { Stels.local.set(['ran', n], 1); }\n"
    "if (n === 4) { await new Promise(function (r) { setTimeout(r, 5); });\n"
    "               try { Deno.exit(7); } catch (e) {} }\n"
    "if (n === 5) { try { Deno.exit(9); } catch (e) {} }\n"
    "if (n === 6) { Stels.local.set(['ran', n], 1); }\n"
    "n;";

static int has(ami_store *st, const char *key)
{
    json_t *e = rt_get(st, key);
    int yes = !json_is_null(json_object_get(e, "value"));
    json_decref(e);
    return yes;
}

static void run_once(ami_runtime *inst, int code, const char *message)
{
    ami_runtime_result res;
    CHECK_INT(ami_runtime_run(inst, &res), code);
    CHECK_INT(res.ok, code == 0);
    if (message) {
        CHECK_STR(res.name, "Exit");
        CHECK_STR(res.message, message);
    }
    ami_runtime_result_dispose(&res);
}

static void exit_ends_run_only(void)
{
    json_t *w = rt_worker("sid-1", script);
    ami_runtime_options o = rt_options(net, local, w, NULL);
    ami_runtime *inst = NULL;
    REQUIRE(ami_runtime_new(&inst, &o) == 0);
    json_decref(w);
    run_once(inst, AMI_ESCRIPT, "Deno.exit(3)");
    run_once(inst, 0, NULL);
    run_once(inst, 0, NULL);
    run_once(inst, AMI_ESCRIPT, "Deno.exit(7)");   /* after an await */
    run_once(inst, AMI_ESCRIPT, "Deno.exit(9)");   /* swallowed by pure JS: still the end */
    run_once(inst, 0, NULL);
    ami_runtime_free(inst);
    CHECK(!has(local, "[\"after\", 1]"));   /* the catch did not swallow the exit */
    CHECK(!has(local, "[\"after\", 2]"));
    CHECK(has(local, "[\"ran\", 3]"));       /* the instance ran again */
    CHECK(has(local, "[\"ran\", 6]"));
}

static void bad_code_is_a_type_error(void)
{
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, "Deno.exit('x');", NULL, &res), AMI_ESCRIPT);
    CHECK_STR(res.name, "TypeError");
    ami_runtime_result_dispose(&res);
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(exit_ends_run_only);
    RUN(bad_code_is_a_type_error);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
