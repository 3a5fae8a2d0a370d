/*
 * Worker scripts to Duktape functions: the lowering (source preparation),
 * compilation as a function body, syntax errors with the user's line and
 * column, and the stand-alone compile check.
 */
#define _GNU_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/internal.h"
#include "runtime/lower/lower.h"
#include "core/core.h"
#include "util/util.h"

#define BODY_PREFIX "function(){"

/* ---- source preparation and compilation ---- */

int ami__runtime_prepare_source(const char *src, size_t len, int lang, ami_buf *out, ami_script_error *se)
{
    /* ES2020 syntax to ES5.1, every token kept on its line; unsupported
     * syntax is reported with line and column (lib/runtime/lower). */
    return ami__lower_prepare(src, len, lang, out, se);
}

AMI_EXTERN(const char *) ami_runtime_detect_language(const char *script, size_t len)
{
    ami_buf out = AMI_BUF_INIT;
    int lang = AMI__LANG_JS;
    if (script && ami__lower_lang(script, len, AMI__LANG_AUTO, &out, NULL, &lang) != 0) lang = AMI__LANG_JS;
    ami_buf_dispose(&out);
    return lang == AMI__LANG_TS ? "ts" : "js";
}

/* Compile "function(){" + src + "\n}" as a function expression; 0 or a Duktape error on the stack. */
static int compile_wrapped(duk_context *ctx, const char *src, size_t len)
{
    size_t plen = sizeof BODY_PREFIX - 1, n = plen + len + 2;
    char *buf = duk_push_fixed_buffer(ctx, n);
    memcpy(buf, BODY_PREFIX, plen);
    memcpy(buf + plen, src, len);
    memcpy(buf + plen + len, "\n}", 2);
    duk_push_string(ctx, AMI__SCRIPT_FILENAME);
    int rc = duk_pcompile_lstring_filename(ctx, DUK_COMPILE_FUNCTION, buf, n);
    duk_remove(ctx, -2);   /* the buffer */
    return rc;
}

/* The message of the error on top without Duktape's " (line N)" suffix; *line gets N (0 if none). */
static void split_syntax_message(const char *msg, char *out, size_t outlen, int *line)
{
    *line = 0;
    snprintf(out, outlen, "%s", msg);
    char *p = strstr(out, " (line ");
    if (p) {
        *line = atoi(p + 7);
        *p = '\0';
    }
}

static size_t line_start(const char *src, size_t len, int line)
{
    size_t off = 0;
    for (int l = 1; l < line && off < len; off++)
        if (src[off] == '\n') l++;
    return off;
}

/* Duktape reports only a line; find the column by compiling ever longer
 * prefixes of that line until the same error shows up at the same line. */
static int find_column(duk_context *ctx, const char *src, size_t len, int line, const char *want)
{
    if (line <= 0) return 0;
    size_t start = line_start(src, len, line), end = start;
    while (end < len && src[end] != '\n') end++;
    size_t maxcol = end - start < 1000 ? end - start : 1000;
    for (size_t col = 1; col <= maxcol; col++) {
        int found = 0;
        if (compile_wrapped(ctx, src, start + col) != 0) {
            char msg[512];
            int l;
            split_syntax_message(duk_safe_to_string(ctx, -1), msg, sizeof msg, &l);
            found = l == line && !strcmp(msg, want);
        }
        duk_pop(ctx);
        if (found) return (int)col;
    }
    /* not pinned down: the first non-blank character of the line */
    for (size_t i = start; i < end; i++)
        if (src[i] != ' ' && src[i] != '\t') return (int)(i - start) + 1;
    return 1;
}

/* Duktape compiles a function expression and ignores whatever follows its
 * closing brace, so a script with a stray "}" would silently lose its tail.
 * A body that closes the wrapper early cannot parse both inside "( … )" and
 * inside "[ … ]" (what follows the early close would have to close both), so
 * two program-mode parses catch it.  (Once the lowering runs first, its own
 * parser rejects such scripts too.) */
static int check_closes_early(duk_context *ctx, const char *src, size_t len)
{
    static const char *const open[2] = { "(function(){", "[function(){" };
    static const char *const close[2] = { "\n})", "\n}]" };
    for (int i = 0; i < 2; i++) {
        size_t olen = strlen(open[i]), n = olen + len + 3;
        char *buf = duk_push_fixed_buffer(ctx, n);
        memcpy(buf, open[i], olen);
        memcpy(buf + olen, src, len);
        memcpy(buf + olen + len, close[i], 3);
        duk_push_string(ctx, AMI__SCRIPT_FILENAME);
        int rc = duk_pcompile_lstring_filename(ctx, 0, buf, n);
        duk_pop_2(ctx);
        if (rc) return 1;
    }
    return 0;
}

int ami__runtime_compile(duk_context *ctx, const char *src, size_t len, ami_script_error *se)
{
    ami_script_error dummy;
    if (!se) se = &dummy;
    if (compile_wrapped(ctx, src, len) == 0) {
        if (!check_closes_early(ctx, src, len)) return 0;
        duk_pop(ctx);
        *se = (ami_script_error){ "SyntaxError", "unbalanced '}' closes the script early", 0, 0 };
        return AMI_ESCRIPT;
    }
    char msg[512];
    int line;
    split_syntax_message(duk_safe_to_string(ctx, -1), msg, sizeof msg, &line);
    duk_pop(ctx);
    int col = find_column(ctx, src, len, line, msg);
    /* Duktape's text is "Name: message"; the name is the error's class. */
    const char *colon = strstr(msg, ": ");
    size_t nlen = colon ? (size_t)(colon - msg) : 0;
    memset(se, 0, sizeof *se);
    if (colon && nlen < sizeof se->name && strspn(msg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == nlen) {
        memcpy(se->name, msg, nlen);
        snprintf(se->message, sizeof se->message, "%s", colon + 2);
    } else {
        snprintf(se->name, sizeof se->name, "SyntaxError");
        snprintf(se->message, sizeof se->message, "%s", msg);
    }
    se->line = line > 0 ? line : 0;
    se->column = line > 0 ? col : 0;
    return AMI_ESCRIPT;
}

/* ---- stand-alone compile check ---- */

typedef struct {
    const char *src;
    size_t len;
    ami_script_error se;
    int rc;
} compile_arg;

static duk_ret_t compile_only(duk_context *ctx, void *udata)
{
    compile_arg *a = udata;
    a->rc = ami__runtime_compile(ctx, a->src, a->len, &a->se);
    return 0;
}

AMI_EXTERN(int) ami_runtime_check_script(const char *script, size_t len, ami_script_error *err)
{
    if (!script) return ami__error_set(AMI_EINVAL, "runtime: script is NULL");
    compile_arg a;
    memset(&a, 0, sizeof a);
    ami_buf src = AMI_BUF_INIT;
    int rc = ami__runtime_prepare_source(script, len, AMI__LANG_AUTO, &src, &a.se);
    if (rc == 0) {
        duk_context *ctx = duk_create_heap(NULL, NULL, NULL, NULL, ami__runtime_fatal);
        if (!ctx) rc = ami__error_oom();
        else {
            a.src = src.ptr ? src.ptr : "";
            a.len = src.size;
            if (duk_safe_call(ctx, compile_only, &a, 0, 1) != 0) rc = ami__error_oom();
            else rc = a.rc;
            duk_destroy_heap(ctx);
        }
    }
    ami_buf_dispose(&src);
    if (rc == AMI_ESCRIPT) {
        if (err) *err = a.se;
        return ami__error_script(AMI_ESCRIPT, &a.se, NULL);
    }
    return rc;
}
