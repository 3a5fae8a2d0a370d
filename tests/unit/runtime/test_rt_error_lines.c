/* Claim: a runtime error on line N of a script is reported at line N (the
 * result's line and the first frame of its stack), over a table of error
 * kinds: calls of undefined (plain and method calls), property reads and
 * writes on undefined/null, throws, `new` of a non-constructor, assignment to
 * a const, errors from built-ins, and throws inside callbacks that built-ins
 * call, after earlier calls on other lines. */
#include "rt.h"

static ami_store *net, *local;

static void errors_report_their_line(void)
{
    /* each body is preceded by two lines (a call on line 2: Duktape's line
     * bookkeeping goes stale between calls) and fails on line `line` */
    static const struct { const char *body; int line; } cases[] = {
        { "o.f();", 3 },
        { "o.f(1, 2);", 3 },
        { "var r = [];\nr.push(o.nope());", 4 },
        { "undefinedFn();", 3 },
        { "o.a.b;", 3 },
        { "var u;\nu.x;", 4 },
        { "null.x = 1;", 3 },
        { "throw new Error('t');", 3 },
        { "new (void 0)();", 3 },
        { "const c = 1;\nc = 3;", 4 },
        { "JSON.parse('{');", 3 },
        { "[1].map(function (x) {\n  return x.a.b;\n});", 4 },
        { "[3, 1].sort(function (a, b) {\n  throw new RangeError('in sort');\n});", 4 },
        { "var arr = [1, 2, 3];\nvar r = [];\nr.push(arr.at(-1).x.y);", 5 },
        { "class K {\n  m() { return this.q.w; }\n}\nnew K().m();", 4 },
        { "function f() {\n  o.g();\n}\nf();", 4 },
        { "var x = { get v() { return o.h(); } };\nx.v;", 3 },
        { "'abc'.replace(/b/, function () {\n  o.k();\n});", 4 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char script[1024];
        snprintf(script, sizeof script, "var o = {};\nlogger.info('before');\n%s\n", cases[i].body);
        ami_runtime_result res;
        int rc = rt_run(net, local, script, NULL, &res);
        CHECK_INT(rc, AMI_ESCRIPT);
        char want[32];
        snprintf(want, sizeof want, "(worker.js:%d)", cases[i].line);
        const char *frame = res.stack ? strstr(res.stack, "(worker.js:") : NULL;
        if (res.line != cases[i].line || !frame || strncmp(frame, want, strlen(want)) != 0) {
            check_failures++;
            fprintf(stderr, "  case %zu: line %d, stack %s; want line %d\n--- script\n%s", i, res.line,
                    res.stack ? res.stack : "(none)", cases[i].line, script);
        }
        ami_runtime_result_dispose(&res);
    }
}

int main(void)
{
    REQUIRE(ami_store_open(&net, check_path("net.db")) == 0);
    REQUIRE(ami_store_open(&local, check_path("local.db")) == 0);
    RUN(errors_report_their_line);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
