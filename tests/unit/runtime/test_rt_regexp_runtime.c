/* Claim: RegExp(pattern, flags) built at run time gets the checks of a
 * literal with the same text: what libami cannot run (a lookbehind not at
 * the start of the pattern or holding a group, $, \b or a backreference,
 * \p{...}, flag d, a code point above U+FFFF in a class with u) is a
 * SyntaxError naming the pattern and the reason, as is bad syntax (also what
 * a literal cannot even hold: an unterminated class), and the
 * script goes on after catching it; a literal with the same text is refused
 * by the lowering with the same reason. */
#include "rt.h"
#include "runtime/lower/lower.h"

static ami_store *net, *local;

static void runtime_regexp_errors(void)
{
    const char *script = RT_EQ_JS
        "function err(p, f) { try { new RegExp(p, f); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } }\n"
        "eq(err('\\\\d+(?<=\\\\$)', ''), 'SyntaxError: Invalid regular expression: /\\\\d+(?<=\\\\$)/: "
        "Lookbehind assertions ((?<=...) and (?<!...)) are supported only at the start of a pattern', 'lookbehind');\n"
        "eq(err('(?<!b)a|c', 'g'), 'SyntaxError: Invalid regular expression: /(?<!b)a|c/g: "
        "Lookbehind assertions ((?<=...) and (?<!...)) are supported only at the start of a pattern', 'lookbehind and |');\n"
        "eq(err('(?<=x$)a', ''), 'SyntaxError: Invalid regular expression: /(?<=x$)a/: "
        "Lookbehind assertions may not hold $ (not supported)', 'lookbehind content');\n"
        "eq(err('\\\\p{L}', 'u'), 'SyntaxError: Invalid regular expression: /\\\\p{L}/u: "
        "Unicode property escapes (\\\\p{...}) are not supported', 'property escape');\n"
        "eq(err('a', 'd'), \"SyntaxError: Invalid regular expression: /a/d: Regular expression flag 'd' is not supported\", 'flag d');\n"
        "eq(err('[\\\\u{1F600}]', 'u'), 'SyntaxError: Invalid regular expression: /[\\\\u{1F600}]/u: "
        "Code points above U+FFFF in a character class are not supported (u flag)', 'astral class');\n"
        "eq(err('(?<a>x)', 'q'), \"SyntaxError: Invalid flags supplied to RegExp constructor 'q'\", 'bad flag');\n"
        "eq(err('x{2,1}', ''), 'SyntaxError: Invalid regular expression: /x{2,1}/: numbers out of order in {} quantifier', 'range');\n"
        "eq(err('(?<a>[x', ''), 'SyntaxError: Invalid regular expression: /(?<a>[x/: missing ]', 'unterminated class');\n"
        "eq(err('a]', 'u'), 'SyntaxError: Invalid regular expression: /a]/u: Lone quantifier brackets', 'lone ] with u');\n"
        "eq(RegExp('(?<a>x)|y', 's').exec('y').groups, {}, 'after the errors');\n"
        "logger.info('done');\n";
    rt_logs logs;
    rt_logs_init(&logs);
    ami_runtime_result res;
    CHECK_INT(rt_run(net, local, script, &logs, &res), 0);
    CHECK_INT((int)json_array_size(logs.lines), 1);
    if (json_array_size(logs.lines) == 1) CHECK_STR(rt_log_msg(&logs, 0), "done");
    ami_runtime_result_dispose(&res);
    rt_logs_dispose(&logs);
}

static void literal_has_the_same_reason(void)
{
    static const char *const cases[][2] = {
        { "const r = /\\d+(?<=\\$)/;", "Lookbehind assertions ((?<=...) and (?<!...)) are supported only at the start of a pattern" },
        { "const r = /(?<=(\\$))\\d+/;", "Lookbehind assertions may not hold a group other than (?:...) (not supported)" },
        { "const r = /\\p{L}/u;", "Unicode property escapes (\\p{...}) are not supported" },
        { "const r = /a/d;", "Regular expression flag 'd' is not supported" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ami_buf out = AMI_BUF_INIT;
        ami_lower_error err;
        CHECK_INT(ami__lower(cases[i][0], strlen(cases[i][0]), &out, &err), AMI_ESCRIPT);
        CHECK_STR(err.message, cases[i][1]);
        ami_buf_dispose(&out);
    }
}

int main(void)
{
    rt_stores(&net, &local);
    RUN(runtime_regexp_errors);
    RUN(literal_has_the_same_reason);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
