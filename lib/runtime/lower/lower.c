/* Lowering driver: arena, error unwinding, name set, and ami__lower(). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/core.h"
#include "runtime/lower/ast.h"

#define CHUNK 65536

void *ami__lw_alloc(lw_ctx *C, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    lw_chunk *h = C->arena.head;
    if (!h || h->used + n > h->cap) {
        size_t cap = n > CHUNK ? n : CHUNK;
        lw_chunk *c = ami_malloc(sizeof(lw_chunk) + 16 + cap);
        if (!c) ami__lw_fail(C, 0, 0, "out of memory");
        c->next = h;
        c->used = 0;
        c->cap = cap;
        C->arena.head = c;
        h = c;
    }
    char *base = (char *)h + ((sizeof(lw_chunk) + 15) & ~(size_t)15);
    void *p = base + h->used;
    h->used += n;
    memset(p, 0, n);
    return p;
}

char *ami__lw_strndup(lw_ctx *C, const char *s, size_t n)
{
    char *p = ami__lw_alloc(C, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void ami__lw_arena_free(lw_arena *A)
{
    lw_chunk *c = A->head;
    while (c) {
        lw_chunk *n = c->next;
        ami_free(c);
        c = n;
    }
    A->head = NULL;
}

int ami__lw_buf_put(lw_ctx *C, lw_buf *b, const char *s, size_t n)
{
    if (b->size + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->size + n + 1) cap *= 2;
        char *np = ami__lw_alloc(C, cap);
        if (b->size) memcpy(np, b->ptr, b->size);
        b->ptr = np;
        b->cap = cap;
    }
    if (n) memcpy(b->ptr + b->size, s, n);
    b->size += n;
    b->ptr[b->size] = 0;
    return 0;
}

int ami__lw_buf_puts(lw_ctx *C, lw_buf *b, const char *s) { return ami__lw_buf_put(C, b, s, strlen(s)); }

void ami__lw_fail(lw_ctx *C, int line, int col, const char *fmt, ...)
{
    if (C->err) {
        C->err->line = line;
        C->err->column = col;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(C->err->message, sizeof C->err->message, fmt, ap);
        va_end(ap);
    }
    C->oom = line == 0 && strcmp(fmt, "out of memory") == 0;
    longjmp(C->jmp, 1);
}

/* ---- name set: open addressing on string hashes */
static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211ull; }
    return h;
}

int ami__lw_nameset_has(lw_ctx *C, const char *s)
{
    lw_nameset *S = &C->names;
    if (!S->cap) return 0;
    for (size_t i = hash(s) & (S->cap - 1);; i = (i + 1) & (S->cap - 1)) {
        if (!S->slot[i]) return 0;
        if (strcmp(S->slot[i], s) == 0) return 1;
    }
}

void ami__lw_nameset_add(lw_ctx *C, const char *s)
{
    lw_nameset *S = &C->names;
    if (S->n * 2 + 2 > S->cap) {
        size_t cap = S->cap ? S->cap * 2 : 256;
        const char **slot = ami__lw_alloc(C, cap * sizeof *slot);
        for (size_t i = 0; i < S->cap; i++) {
            if (!S->slot[i]) continue;
            size_t j = hash(S->slot[i]) & (cap - 1);
            while (slot[j]) j = (j + 1) & (cap - 1);
            slot[j] = S->slot[i];
        }
        S->slot = slot;
        S->cap = cap;
    }
    size_t i = hash(s) & (S->cap - 1);
    for (; S->slot[i]; i = (i + 1) & (S->cap - 1))
        if (strcmp(S->slot[i], s) == 0) return;
    S->slot[i] = s;
    S->n++;
}

/* setjmp lives here, with nothing that a longjmp could clobber */
static int run(lw_ctx *C, ami_buf *out)
{
    if (setjmp(C->jmp)) return C->oom ? AMI_ENOMEM : AMI_ESCRIPT;
    node *prog = ami__lw_parse(C);
    ami__lw_analyse(C, prog);
    ami__lw_emit(C, prog, out);
    return 0;
}

int ami__lower(const char *src, size_t len, ami_buf *out, ami_lower_error *err)
{
    return ami__lower_lang(src, len, AMI__LANG_AUTO, out, err, NULL);
}

int ami__lower_lang(const char *src, size_t len, int lang, ami_buf *out, ami_lower_error *err, int *detected)
{
    ami_lower_error dummy;
    if (!err) err = &dummy;
    memset(err, 0, sizeof *err);
    if (!src && len) return ami__error_set(AMI_EINVAL, "lower: NULL source");
    lw_ctx *C = ami_malloc(sizeof *C);
    if (!C) return ami__error_oom();
    memset(C, 0, sizeof *C);
    C->err = err;
    C->src = src ? src : "";
    C->len = len;
    C->lang_ts = lang == AMI__LANG_TS;
    size_t before = out->size;
    int rc = run(C, out);
    if (detected) *detected = (C->lang_ts || C->saw_ts) ? AMI__LANG_TS : AMI__LANG_JS;
    ami__lw_arena_free(&C->arena);
    ami_free(C);
    if (rc == 0) return 0;
    if (out->ptr) { out->size = before; out->ptr[before] = 0; }
    if (rc == AMI_ENOMEM) return ami__error_oom();
    return ami__error_set(AMI_ESCRIPT, "%d:%d: %s", err->line, err->column, err->message);
}

int ami__lower_prepare(const char *src, size_t len, int lang, ami_buf *out, ami_script_error *se)
{
    ami_lower_error err;
    ami_buf_clear(out);
    int rc = ami__lower_lang(src, len, lang, out, &err, NULL);
    if (rc == AMI_ESCRIPT && se) {
        snprintf(se->name, sizeof se->name, "SyntaxError");
        snprintf(se->message, sizeof se->message, "%s", err.message);
        se->line = err.line;
        se->column = err.column;
    }
    return rc;
}
