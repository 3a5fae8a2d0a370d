/* Claim: TypeScript the lowering cannot strip (decorators, namespaces with
 * values, a parameter property outside a constructor) is a SyntaxError at its
 * line and column; the language is detected from the first TypeScript-only
 * syntax (JavaScript stays JavaScript: `a < b > (c)` is still a comparison
 * until TypeScript is given or seen); stripped TypeScript keeps its lines. */
#include "jsrun.h"

static void unsupported_typescript_is_an_error_with_position(void)
{
    static const struct { const char *src; int line, col; const char *msg; } cases[] = {
        { "let a: number = 1;\n@sealed\nclass A {}\n", 2, 1, "Decorators (@...) are not supported" },
        { "class A {\n  @log m() {}\n}\n", 2, 3, "Decorators (@...) are not supported" },
        { "const x = 1;\n\nnamespace N { export const v = 1; }\n", 3, 1,
          "TypeScript namespaces are not supported (use an object, or `declare namespace` for types only)" },
        { "module M {}\n", 1, 1, "TypeScript namespaces are not supported (use an object, or `declare namespace` for types only)" },
        { "function f(public x: number) {}\n", 1, 12, "A parameter property is only allowed in a constructor, on a plain name" },
        { "let x: = 1;\n", 1, 8, "Unexpected token in a TypeScript type" },
        { "type T = ;\n", 1, 10, "Unexpected token in a TypeScript type" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ami_buf out = AMI_BUF_INIT;
        ami_lower_error err;
        int rc = ami__lower_lang(cases[i].src, strlen(cases[i].src), AMI__LANG_TS, &out, &err, NULL);
        CHECK_INT(rc, AMI_ESCRIPT);
        if (err.line != cases[i].line || err.column != cases[i].col || strcmp(err.message, cases[i].msg) != 0) {
            check_failures++;
            fprintf(stderr, "  case %zu: got %d:%d %s, want %d:%d %s\n", i, err.line, err.column, err.message,
                    cases[i].line, cases[i].col, cases[i].msg);
        }
        ami_buf_dispose(&out);
    }
}

static int lang_of(const char *src, int given, int *rc)
{
    ami_buf out = AMI_BUF_INIT;
    int detected = -1;
    *rc = ami__lower_lang(src, strlen(src), given, &out, NULL, &detected);
    ami_buf_dispose(&out);
    return detected;
}

static void language_is_detected(void)
{
    static const struct { const char *src; int lang; } cases[] = {
        { "let a = 1; print(a < 2);\n", AMI__LANG_JS },
        { "let a = [1];\nprint(a.length);\n", AMI__LANG_JS },
        { "let a: number = 1;\n", AMI__LANG_TS },
        { "interface I { x: number }\n", AMI__LANG_TS },
        { "type T = string;\n", AMI__LANG_TS },
        { "function f(x?: number) {}\n", AMI__LANG_TS },
        { "const v = (1 as any);\n", AMI__LANG_TS },
        { "let q = null; let z = q!;\n", AMI__LANG_TS },
        { "enum E { A }\n", AMI__LANG_TS },
        { "class C { private x = 1; }\n", AMI__LANG_TS },
        { "import type { A } from './a';\n", AMI__LANG_TS },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        int got = lang_of(cases[i].src, AMI__LANG_AUTO, &rc);
        CHECK_INT(rc, 0);
        if (got != cases[i].lang) {
            check_failures++;
            fprintf(stderr, "  case %zu: detected %d, want %d: %s", i, got, cases[i].lang, cases[i].src);
        }
    }
    int rc;
    CHECK_INT(lang_of("let a = 1;\n", AMI__LANG_TS, &rc), AMI__LANG_TS);
}

static void comparisons_stay_comparisons_in_javascript(void)
{
    duk_context *ctx = js_new_heap();
    REQUIRE(ctx);
    const char *src = "var a = 1, b = 2, c = 0;\nprint(a < b > (c));\nprint(a < b, b > (c));\n";
    ami_buf_clear(&js_out);
    js_result r;
    js_lang = AMI__LANG_AUTO;
    js_run(ctx, src, strlen(src), &r, 0);
    CHECK(r.compiled && !r.threw);
    CHECK_STR(js_out.ptr ? js_out.ptr : "", "true\ntrue true\n");
    /* the same text as TypeScript: a<b>(c) is a call with a type argument */
    const char *ts = "function a<T>(x: T) { return 'called ' + x; }\nvar b = 2, c = 0;\nprint(a < b > (c));\n";
    ami_buf_clear(&js_out);
    js_lang = AMI__LANG_TS;
    js_run(ctx, ts, strlen(ts), &r, 0);
    js_lang = AMI__LANG_AUTO;
    CHECK(r.compiled && !r.threw);
    CHECK_STR(js_out.ptr ? js_out.ptr : "", "called 0\n");
    js.destroy_heap(ctx);
}

static void typescript_errors_keep_their_lines(void)
{
    /* a runtime error after multi-line types reports the user's line */
    const char *src =
        "interface A {\n  x: number;\n  y: string;\n}\n"               /* 1-4 */
        "type B =\n  | { k: 1 }\n  | { k: 2 };\n"                       /* 5-7 */
        "enum E {\n  P,\n  Q = 4,\n}\n"                                 /* 8-11 */
        "class K {\n  constructor(private v: number,\n    public w?: string) {}\n  get(): number { return this.v; }\n}\n" /* 12-16 */
        "const k: K = new K(E.Q);\n"                                     /* 17 */
        "print(k.get(), E[4]);\n"                                        /* 18 */
        "if ((k as any).v) throw new Error('e' as string);\n";         /* 19 */
    duk_context *ctx = js_new_heap();
    REQUIRE(ctx);
    ami_buf_clear(&js_out);
    js_result r;
    js_lang = AMI__LANG_TS;
    js_run(ctx, src, strlen(src), &r, 0);
    js_lang = AMI__LANG_AUTO;
    CHECK(r.compiled);
    CHECK_STR(js_out.ptr ? js_out.ptr : "", "4 Q\n");
    CHECK(r.threw);
    CHECK_INT(r.error_line, 19);
    js.destroy_heap(ctx);
}

int main(void)
{
    RUN(unsupported_typescript_is_an_error_with_position);
    RUN(language_is_detected);
    RUN(comparisons_stay_comparisons_in_javascript);
    RUN(typescript_errors_keep_their_lines);
    ami_buf_dispose(&js_out);
    return check_done();
}
