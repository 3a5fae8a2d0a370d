/* Error table, ami_strerror, and the per-thread last error. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/core.h"

static _Thread_local char last_msg[1024];
static _Thread_local int last_code;
static _Thread_local ami_script_error last_script;   /* valid while has_script */
static _Thread_local int has_script;

AMI_EXTERN(const char *) ami_strerror(int code)
{
    switch (code) {
#define AMI__ERR_CASE(name, value, msg) case value: return msg;
    AMI_ERROR_TABLE(AMI__ERR_CASE)
#undef AMI__ERR_CASE
    default: return "unknown error";
    }
}

AMI_EXTERN(const char *) ami_error_last(void) { return last_msg; }
AMI_EXTERN(int) ami_error_last_code(void) { return last_code; }
AMI_EXTERN(void) ami_error_clear(void) { last_msg[0] = '\0'; last_code = 0; has_script = 0; }

AMI_EXTERN(int) ami_error_last_script(ami_script_error *out)
{
    if (!has_script) return AMI_ENOTFOUND;
    if (out) *out = last_script;
    return 0;
}

int ami__error_set(int code, const char *fmt, ...)
{
    char tmp[sizeof(last_msg)];
    va_list ap;
    va_start(ap, fmt);
    /* Format into a temporary: callers may pass ami_error_last() as an argument. */
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(tmp))   /* no half UTF-8 character at the end: the message goes into JSON */
        tmp[ami__utf8_cut(tmp, (size_t)n, sizeof(tmp) - 1)] = '\0';
    memcpy(last_msg, tmp, sizeof(tmp));
    last_code = code;
    has_script = 0;
    return code;
}

void ami__script_error_format(const ami_script_error *se, char *out, size_t outlen)
{
    const char *name = se->name[0] ? se->name : "SyntaxError";
    if (se->line > 0 && se->column > 0)
        snprintf(out, outlen, "%s: %s (line %d, column %d)", name, se->message, se->line, se->column);
    else if (se->line > 0)
        snprintf(out, outlen, "%s: %s (line %d)", name, se->message, se->line);
    else
        snprintf(out, outlen, "%s: %s", name, se->message);
}

int ami__error_script(int code, const ami_script_error *se, const char *context)
{
    ami_script_error copy = *se;   /* se may point at last_script */
    char text[700];
    ami__script_error_format(&copy, text, sizeof text);
    ami__error_set(code, "%s%s", context ? context : "", text);
    last_script = copy;
    has_script = 1;
    return code;
}

int ami__error_code(int code) { return ami__error_set(code, "%s", ami_strerror(code)); }
int ami__error_oom(void) { return ami__error_set(AMI_ENOMEM, "out of memory"); }
