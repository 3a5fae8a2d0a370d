/*
 * Results of runs: the value as JSON, a thrown error described for the user
 * (name, message, the script's stack frames and line), the reasons a run was
 * torn down (stop, lost lease, slice, heap, exit).
 */
#define _GNU_SOURCE 1   /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/internal.h"
#include "core/core.h"
#include "util/util.h"

/* ---- results ---- */

AMI_EXTERN(void) ami_runtime_result_dispose(ami_runtime_result *res)
{
    if (!res) return;
    ami_free(res->name);
    ami_free(res->message);
    ami_free(res->stack);
    ami_free(res->value);
    *res = (ami_runtime_result)AMI_RUNTIME_RESULT_INIT;
}

/* [value] -> [JSON text or undefined]: a settled promise gives its value (what `return await …` means). */
static duk_ret_t encode_value(duk_context *ctx, void *udata)
{
    (void)udata;
    int promise = 0;
    if (duk_is_object(ctx, -1)) {
        duk_get_global_string(ctx, "Promise");
        promise = duk_is_function(ctx, -1) && duk_instanceof(ctx, -2, -1);
        duk_pop(ctx);
    }
    if (promise) {
        duk_get_prop_string(ctx, -1, AMI__PROMISE_KEY_STATE);
        int fulfilled = duk_get_int_default(ctx, -1, 0) == 1;
        duk_pop(ctx);
        if (fulfilled) duk_get_prop_string(ctx, -1, AMI__PROMISE_KEY_VALUE);
        else duk_push_undefined(ctx);
    } else {
        duk_dup_top(ctx);
    }
    if (duk_is_undefined(ctx, -1) || duk_is_function(ctx, -1)) return 1;
    duk_json_encode(ctx, -1);
    return 1;
}

/* The run's return value (on top) as JSON text into res->value (NULL for undefined or when it cannot be encoded). */
void ami__runtime_keep_value(ami_runtime *r, ami_runtime_result *res)
{
    duk_context *ctx = r->ctx;
    if (duk_is_undefined(ctx, -1)) {   /* no value: nothing to encode */
        duk_pop(ctx);
        return;
    }
    if (duk_safe_call(ctx, encode_value, NULL, 1, 1) == 0 && duk_is_string(ctx, -1)) {
        duk_size_t n = 0;
        const char *t = duk_get_lstring(ctx, -1, &n);
        res->value = ami__strndup(t, n);
    }
    duk_pop(ctx);
}

typedef struct {
    char *name, *message, *stack;
    int line;
} described;

/* A copy of Duktape text as UTF-8 (ami_malloc'd). */
static char *dup_utf8(const char *s, size_t len)
{
    ami_buf tmp = AMI_BUF_INIT;
    const char *t;
    size_t n;
    char *out = NULL;
    if (ami__cesu8_to_utf8(s, len, &tmp, &t, &n) == 0) out = ami__strndup(t, n);
    ami_buf_dispose(&tmp);
    return out;
}

static char *dup_top_string(duk_context *ctx)
{
    duk_size_t len;
    duk_safe_to_string(ctx, -1);
    const char *s = duk_get_lstring(ctx, -1, &len);
    return dup_utf8(s, len);
}

static char *dup_string_at(duk_context *ctx, duk_idx_t idx)
{
    duk_size_t len;
    const char *s = duk_get_lstring(ctx, idx, &len);
    return dup_utf8(s ? s : "", s ? len : 0);
}

/* The user's line: the first stack frame in the worker script. */
static int line_from_stack(const char *stack)
{
    const char *tag = "(" AMI__SCRIPT_FILENAME ":";
    const char *p = stack ? strstr(stack, tag) : NULL;
    return p ? atoi(p + strlen(tag)) : 0;
}

/* A Duktape stack trace as the user should see it: the first line (name and
 * message), then only the frames in the worker's script, each as
 * "    at NAME (worker.js:L)" (Duktape's internals, the prelude, built-ins
 * and its flags such as "strict preventsyield" left out).  In place. */
static void user_stack(char *stack)
{
    if (!stack) return;
    const char *tag = "(" AMI__SCRIPT_FILENAME ":";
    char *w = stack, *r = stack;
    int first = 1;
    while (*r) {
        char *eol = strchr(r, '\n');
        size_t n = eol ? (size_t)(eol - r) : strlen(r);
        char *at = first ? NULL : memmem(r, n, "    at ", 7);
        char *t = first ? NULL : memmem(r, n, tag, strlen(tag));
        if (first) {
            memmove(w, r, n);
            w += n;
        } else if (at == r && t) {
            char *close = memchr(t, ')', n - (size_t)(t - r));
            size_t keep = close ? (size_t)(close - r) + 1 : n;
            *w++ = '\n';
            memmove(w, r, keep);
            w += keep;
        }
        first = 0;
        r += n + (eol ? 1 : 0);
    }
    *w = '\0';
}

/* [ err ] -> [ err ]; fills d (run under duk_safe_call: getters may throw). */
static duk_ret_t describe_error(duk_context *ctx, void *udata)
{
    described *d = udata;
    duk_idx_t e = duk_get_top_index(ctx);
    if (duk_is_string(ctx, e)) {
        d->name = ami__strdup("Error");
        d->message = dup_string_at(ctx, e);
        return 0;
    }
    if (duk_is_symbol(ctx, e)) {
        d->name = ami__strdup("Error");
        d->message = ami__strdup("Uncaught Symbol");
        return 0;
    }
    if (!duk_is_object(ctx, e) || duk_is_function(ctx, e)) {
        d->name = ami__strdup("Error");
        if (duk_is_function(ctx, e)) duk_push_string(ctx, "Uncaught function");
        else duk_push_sprintf(ctx, "Uncaught %s", duk_safe_to_string(ctx, e));
        d->message = dup_top_string(ctx);
        return 0;
    }
    duk_get_prop_string(ctx, e, "name");
    d->name = duk_is_string(ctx, -1) && duk_get_length(ctx, -1) ? dup_string_at(ctx, -1) : ami__strdup("Error");
    duk_pop(ctx);
    duk_get_prop_string(ctx, e, "message");
    if (duk_is_undefined(ctx, -1)) {
        duk_pop(ctx);
        duk_dup(ctx, e);
        duk_json_encode(ctx, -1);
        duk_push_sprintf(ctx, "Uncaught %s", duk_safe_to_string(ctx, -1));
    } else {
        duk_safe_to_string(ctx, -1);
    }
    d->message = dup_top_string(ctx);
    duk_pop(ctx);
    duk_get_prop_string(ctx, e, "stack");
    if (duk_is_string(ctx, -1)) d->stack = dup_string_at(ctx, -1);
    duk_pop(ctx);
    duk_get_prop_string(ctx, e, "fileName");
    int in_script = duk_is_string(ctx, -1) && !strcmp(duk_get_string(ctx, -1), AMI__SCRIPT_FILENAME);
    duk_pop(ctx);
    if (in_script) {
        duk_get_prop_string(ctx, e, "lineNumber");
        d->line = duk_is_number(ctx, -1) ? duk_get_int(ctx, -1) : 0;
        duk_pop(ctx);
    }
    if (!d->line) d->line = line_from_stack(d->stack);
    user_stack(d->stack);
    return 0;
}

static void described_free(described *d)
{
    ami_free(d->name);
    ami_free(d->message);
    ami_free(d->stack);
    memset(d, 0, sizeof *d);
}

/* Turn the error on top of the stack (popped) into a result and a code. */
int ami__runtime_finish_error(ami_runtime *r, ami_runtime_result *res)
{
    duk_context *ctx = r->ctx;
    described d = { 0 };
    int abort_reason = r->abort;
    r->abort = 0;   /* let the describing getters run */
    r->running = 0;
    if (duk_safe_call(ctx, describe_error, &d, 1, 1) != 0 || !d.name || !d.message) {
        described_free(&d);
        d.name = ami__strdup("Error");
        d.message = ami__strdup("(the thrown value could not be described)");
    }
    duk_pop(ctx);
    int code = AMI_ESCRIPT;
    const char *name = NULL;
    char msg[160] = "";
    if (abort_reason == AMI__ABORT_EXIT && r->exit_code == 0) {   /* Deno.exit(0): a successful run */
        described_free(&d);
        if (res) res->ok = 1, res->code = 0;
        return 0;
    }
    switch (abort_reason) {
    case AMI__ABORT_EXIT:
        name = "Exit";
        snprintf(msg, sizeof msg, "Deno.exit(%d)", r->exit_code);
        break;
    case AMI__ABORT_STOP:
        code = AMI_ESTOPPED; name = "Stopped";
        snprintf(msg, sizeof msg, "the worker was stopped");
        break;
    case AMI__ABORT_LEASE:
        code = AMI_ELEASE; name = "LeaseLost";
        if (d.name && strcmp(d.name, "LeaseLost")) snprintf(msg, sizeof msg, "the leader lease was lost");
        break;
    case AMI__ABORT_SLICE:
        code = AMI_ELIMIT; name = "SliceLimitExceeded";
        snprintf(msg, sizeof msg, "the script ran %lld ms without sleeping, awaiting or calling the API",
                 (long long)r->slice_ms);
        break;
    default:
        /* a DoubleError: the heap was too full to build even the error */
        if (r->heap_hit && ((d.message && strstr(d.message, "alloc failed")) || (d.name && !strcmp(d.name, "DoubleError")))) {
            code = AMI_ELIMIT; name = "HeapLimitExceeded";
            snprintf(msg, sizeof msg, "the heap limit of %zu bytes was reached", r->heap_max);
        }
    }
    if (name) {
        ami_free(d.name);
        d.name = ami__strdup(name);
        if (msg[0]) { ami_free(d.message); d.message = ami__strdup(msg); }
    }
    ami__error_set(code, "%s: %s", d.name ? d.name : "Error", d.message ? d.message : "");
    if (res) {
        res->ok = 0;
        res->code = code;
        res->name = d.name;
        res->message = d.message;
        res->stack = d.stack;
        res->line = d.line;
    } else {
        described_free(&d);
    }
    return code;
}

int ami__runtime_stopped_result(ami_runtime *r, ami_runtime_result *res)
{
    int lease = __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) == AMI__ABORT_LEASE;
    int code = lease ? AMI_ELEASE : AMI_ESTOPPED;
    const char *name = lease ? "LeaseLost" : "Stopped";
    const char *msg = lease ? "the leader lease was lost" : "the worker was stopped";
    ami__error_set(code, "%s: %s", name, msg);
    if (res) {
        res->ok = 0;
        res->code = code;
        res->name = ami__strdup(name);
        res->message = ami__strdup(msg);
    }
    return code;
}
