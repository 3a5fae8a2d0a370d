/* Claim: an error thrown at line N of a modern script reports line N in
 * Duktape after lowering (tests/js/lines.js calls an undefined boom() on many
 * lines that follow multi-line lowered constructs). */
#include "jsrun.h"

static void errors_report_source_lines(void)
{
    size_t len;
    char *src = js_read_file("tests/js/lines.js", &len);
    REQUIRE(src);
    /* lines that call boom() (skip the comment line) */
    ami_buf want = AMI_BUF_INIT;
    int line = 1, last_boom = 0, nboom = 0;
    for (const char *p = src; *p; p++) {
        if (*p == '\n') { line++; continue; }
        if (strncmp(p, "boom()", 6) == 0) {
            const char *ls = p;
            while (ls > src && ls[-1] != '\n') ls--;
            if (strncmp(ls, "//", 2) == 0) continue;
            if (strncmp(ls, "boom();", 7) == 0) { last_boom = line; continue; }
            /* `tag` is called once per site; the function is hit once */
            ami_buf_printf(&want, "%s%d", nboom++ ? "," : "", line);
        }
    }
    ami_buf_puts(&want, "\n");
    duk_context *ctx = js_new_heap();
    REQUIRE(ctx);
    ami_buf_clear(&js_out);
    js_result r;
    js_run(ctx, src, len, &r, 0);
    CHECK(r.compiled);
    CHECK_STR(js_out.ptr, want.ptr);
    /* the uncaught error at the end */
    CHECK(r.threw);
    CHECK_INT(r.error_line, last_boom);
    js.destroy_heap(ctx);
    ami_buf_dispose(&want);
    free(src);
}

static void lowering_errors_have_positions(void)
{
    static const struct { const char *src; int line, col; const char *msg; } cases[] = {
        { "let a = 1;\nconst y = 20n;\n", 2, 11, "BigInt literals are not supported" },
        { "const x = 10n;\n", 1, 11, "BigInt literals are not supported" },
        { "\n\nconst r = /b(?<=a)/;\n", 3, 13, "Lookbehind assertions ((?<=...) and (?<!...)) are supported only at the start of a pattern" },
        { "const r = /x(?<!a)b/s;\n", 1, 13, "Lookbehind assertions ((?<=...) and (?<!...)) are supported only at the start of a pattern" },
        { "const r = /(?<=a)b|c/;\n", 1, 12, "Lookbehind assertions ((?<=...) and (?<!...)) are supported only at the start of a pattern" },
        { "const r = /(?<=(a))b/;\n", 1, 16, "Lookbehind assertions may not hold a group other than (?:...) (not supported)" },
        { "const r = /(?<=a\\b)c/;\n", 1, 17, "Lookbehind assertions may not hold \\b or \\B (not supported)" },
        { "const r = /a/d;\n", 1, 11, "Regular expression flag 'd' is not supported" },
        { "x;\nconst r = /(?<a>.)(?<a>.)/;\n", 2, 19, "Invalid regular expression: Duplicate capture group name" },
        { "const r = /(?<a>.)\\k<b>/;\n", 1, 19, "Invalid regular expression: Invalid named capture referenced" },
        { "const r = /\\p{L}/u;\n", 1, 12, "Unicode property escapes (\\p{...}) are not supported" },
        { "const r = /[\\u{1F600}]/u;\n", 1, 13, "Code points above U+FFFF in a character class are not supported (u flag)" },
        { "import x from 'y';\n", 1, 1, "Modules (import/export) are not supported" },
        { "class A {\n  #p = 1;\n}\n", 2, 3, "Private class members (#names) are not supported" },
        { "if (a) {\n  b();\n", 3, 1, "Unexpected end of input" },
        { "const a = {\n  b: 1,\n  c: 2 3\n};\n", 3, 8, "Unexpected number" },
        { "let x = 1;\nlet x = 2;\n", 2, 5, "Identifier 'x' has already been declared" },
        { "const y;\n", 1, 7, "Missing initializer in const declaration" },
        { "foo(`abc ${x`);\n", 1, 14, "Unterminated template literal" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ami_buf out = AMI_BUF_INIT;
        ami_lower_error err;
        int rc = ami__lower(cases[i].src, strlen(cases[i].src), &out, &err);
        CHECK_INT(rc, AMI_ESCRIPT);
        if (err.line != cases[i].line || err.column != cases[i].col || strcmp(err.message, cases[i].msg) != 0) {
            check_failures++;
            fprintf(stderr, "  case %zu: got %d:%d %s, want %d:%d %s\n", i, err.line, err.column, err.message,
                    cases[i].line, cases[i].col, cases[i].msg);
        }
        ami_buf_dispose(&out);
    }
}

static void prepare_reports_runtime_format(void)
{
    ami_buf out = AMI_BUF_INIT;
    ami_script_error se;
    ami_buf_puts(&out, "stale");
    CHECK_RC(ami__lower_prepare("const a = 1;\n", 13, AMI__LANG_AUTO, &out, &se));
    CHECK_STR(out.ptr, "var a = 1; ");
    CHECK_INT(ami__lower_prepare("let x = 1;\nlet y = ;\n", 21, AMI__LANG_AUTO, &out, &se), AMI_ESCRIPT);
    CHECK_STR(se.name, "SyntaxError");
    CHECK_STR(se.message, "Unexpected token ';'");
    CHECK_INT(se.line, 2);
    CHECK_INT(se.column, 9);
    ami_buf_dispose(&out);
}

int main(void)
{
    RUN(prepare_reports_runtime_format);
    RUN(errors_report_source_lines);
    RUN(lowering_errors_have_positions);
    ami_buf_dispose(&js_out);
    return check_done();
}
