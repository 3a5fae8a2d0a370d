/*
 * The prelude's bytecode made lighter: its functions become non-constructable.
 *
 * Every constructable Duktape function carries a .prototype object (whose
 * .constructor points back), both the function templates duk_load_function
 * makes and each closure made from them.  The prelude's ~100 functions are
 * helpers and methods, never constructed, so in every heap those objects
 * cost time to make, memory while idle, and a collection to free (the
 * cycles).  Built-in functions behave the same way: `new logger.info()`
 * throws a TypeError like `new console.log()` does elsewhere, and they have
 * no .prototype.  Functions named with a capital first letter (the JavaScript
 * convention for constructors) stay constructors.
 *
 * This walks a dump this process made itself with duk_dump_function (never
 * anything from outside) and clears the function flag that duk_load_function
 * restores.  The layout is Duktape 2.x's (duk_api_bytecode.c): per function
 * counts, registers, lines, flags, instructions, constants, inner functions,
 * then length, name, fileName, pc2line, _Varmap and _Formals.  A dump that
 * does not parse to its exact end is left as it is, and the whole scheme is
 * tried once on a sample function first (ami__bytecode_check): if Duktape
 * does not behave as expected, nothing is changed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/internal.h"

#define SER_MARKER 0xbf
#define SER_STRING 0x00
#define SER_NUMBER 0x01
#define NO_FORMALS 0xffffffffUL
/* DUK_HOBJECT_FLAG_CONSTRUCTABLE: DUK_HEAPHDR_USER_FLAG(1), user flags from bit 7 */
#define FLAG_CONSTRUCTABLE (1UL << 8)

typedef struct {
    unsigned char *p, *end;
} cursor;

static int take(cursor *c, size_t n, unsigned char **at)
{
    if ((size_t)(c->end - c->p) < n) return -1;
    if (at) *at = c->p;
    c->p += n;
    return 0;
}

static int u32(cursor *c, uint32_t *v)
{
    unsigned char *q;
    if (take(c, 4, &q)) return -1;
    *v = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
    return 0;
}

/* A length-prefixed string or buffer: its bytes at *s (may be NULL), length in *n. */
static int blob(cursor *c, unsigned char **s, uint32_t *n)
{
    uint32_t len;
    if (u32(c, &len) || take(c, len, s)) return -1;
    if (n) *n = len;
    return 0;
}

/* A constructor by the prelude's own convention: its name begins with a
 * capital letter (RetSignal, PromiseImpl, Generator), so a constructor added
 * to a .js part keeps working without an edit here. */
static int kept(const unsigned char *name, uint32_t n)
{
    return n > 0 && name[0] >= 'A' && name[0] <= 'Z';
}

/* A function's dump up to its inner functions: counts, header (its flags word in
 * *flags when asked), instructions and constants.  0, or -1 on a bad dump. */
static int func_head(cursor *c, int depth, uint32_t *nfuncs, unsigned char **flags)
{
    uint32_t ninstr, nconst;
    if (depth > 200 || u32(c, &ninstr) || u32(c, &nconst) || u32(c, nfuncs)) return -1;
    if (take(c, 2 + 2 + 4 + 4, NULL) || take(c, 4, flags)) return -1;   /* nregs, nargs, lines; flags */
    if (ninstr > (size_t)(c->end - c->p) / 4 || take(c, (size_t)ninstr * 4, NULL)) return -1;
    for (uint32_t i = 0; i < nconst; i++) {
        unsigned char *type;
        if (take(c, 1, &type)) return -1;
        if (*type == SER_STRING) { if (blob(c, NULL, NULL)) return -1; }
        else if (*type == SER_NUMBER) { if (take(c, 8, NULL)) return -1; }
        else return -1;
    }
    return 0;
}

/* A function's dump after its fileName and line table: _Varmap and formals. */
static int func_tail(cursor *c)
{
    for (;;) {                                                  /* _Varmap: name, register; "" ends */
        uint32_t len;
        if (blob(c, NULL, &len)) return -1;
        if (!len) break;
        if (take(c, 4, NULL)) return -1;
    }
    uint32_t nformals;
    if (u32(c, &nformals)) return -1;
    if (nformals != NO_FORMALS)
        for (uint32_t i = 0; i < nformals; i++)
            if (blob(c, NULL, NULL)) return -1;
    return 0;
}

static int func(cursor *c, int depth)
{
    uint32_t nfuncs, n;
    unsigned char *flags, *name;
    if (func_head(c, depth, &nfuncs, &flags)) return -1;
    for (uint32_t i = 0; i < nfuncs; i++)
        if (func(c, depth + 1)) return -1;
    if (take(c, 4, NULL) || blob(c, &name, &n)) return -1;      /* length, name */
    if (blob(c, NULL, NULL) || blob(c, NULL, NULL)) return -1;  /* fileName, pc2line */
    if (func_tail(c)) return -1;
    if (!kept(name, n)) flags[2] &= (unsigned char)~(FLAG_CONSTRUCTABLE >> 8);   /* big-endian: bits 8..15 */
    return 0;
}

/* Clear the constructable flag of every function in the dump not named as a
 * constructor; 0, or -1 with the dump unchanged. */
static int patch(unsigned char *code, size_t size)
{
    if (size < 1 || code[0] != SER_MARKER) return -1;
    /* parse first without writing: only a dump that parses to its end is changed */
    unsigned char *copy = malloc(size);
    if (!copy) return -1;
    memcpy(copy, code, size);
    cursor c = { copy + 1, copy + size };
    int rc = func(&c, 0) == 0 && c.p == c.end ? 0 : -1;
    if (rc == 0) memcpy(code, copy, size);
    free(copy);
    return rc;
}

static int checked = -1;   /* the sample behaved: 1; did not: 0 (set once, under the prelude's once) */

/* On the scratch heap on top of ctx: a sample function through dump, patch
 * and load behaves as expected (a non-kept inner function is callable, not
 * constructable and without .prototype; a kept one is a constructor). */
static duk_ret_t sample(duk_context *ctx, void *udata)
{
    (void)udata;
    duk_push_string(ctx, "sample");
    duk_compile_string_filename(ctx, DUK_COMPILE_FUNCTION,
                                "function () { 'use strict'; function Kept() { this.k = 1; }"
                                " function helper(a) { return a + 1; } return [helper, Kept]; }");
    duk_dump_function(ctx);
    duk_size_t n = 0;
    unsigned char *p = duk_get_buffer_data(ctx, -1, &n);
    if (!p || patch(p, n)) return 0;
    duk_load_function(ctx);
    duk_call(ctx, 0);
    duk_get_prop_index(ctx, -1, 0);
    duk_get_prop_index(ctx, -2, 1);
    int ok = !duk_is_constructable(ctx, -2) && duk_is_constructable(ctx, -1);
    ok = ok && !duk_has_prop_string(ctx, -2, "prototype") && duk_has_prop_string(ctx, -1, "prototype");
    duk_dup(ctx, -2);
    duk_push_int(ctx, 41);
    duk_call(ctx, 1);
    ok = ok && duk_get_int(ctx, -1) == 42;
    duk_push_boolean(ctx, ok);
    return 1;
}

int ami__bytecode_unconstruct(duk_context *ctx, void *code, size_t size)
{
    if (checked < 0) {
        checked = duk_safe_call(ctx, sample, NULL, 0, 1) == 0 && duk_get_boolean(ctx, -1);
        duk_pop(ctx);
    }
    return checked ? patch(code, size) : -1;
}

/*
 * Stripping: every function of the dump gets an empty fileName and an empty
 * line table.  Duktape as libami builds it (scripts/duk_lean.patch) loads a
 * function dumped with an empty fileName "lean": without fileName and
 * _Pc2line properties, and its closures without the caller/arguments
 * throwers.  Done in place (the dump only shrinks), after a parse of the
 * whole dump: a dump that does not parse is left as it is.
 */
static int strip_blob(cursor *c, unsigned char **w)
{
    unsigned char *s;
    uint32_t n;
    if (blob(c, &s, &n)) return -1;
    memset(*w, 0, 4);   /* the length, big-endian: 0 */
    *w += 4;
    return 0;
}

/* copy [from, c->p) to *w (the writer trails the reader) */
static void flush(unsigned char **from, cursor *c, unsigned char **w)
{
    size_t n = (size_t)(c->p - *from);
    if (*w != *from) memmove(*w, *from, n);
    *w += n;
    *from = c->p;
}

static int strip_func(cursor *c, unsigned char **from, unsigned char **w, int depth)
{
    uint32_t nfuncs;
    if (func_head(c, depth, &nfuncs, NULL)) return -1;
    for (uint32_t i = 0; i < nfuncs; i++)
        if (strip_func(c, from, w, depth + 1)) return -1;
    if (take(c, 4, NULL) || blob(c, NULL, NULL)) return -1;   /* length, name */
    flush(from, c, w);
    if (strip_blob(c, w) || strip_blob(c, w)) return -1;     /* fileName, pc2line */
    *from = c->p;
    return func_tail(c);
}

int ami__bytecode_strip(void *code, size_t *size)
{
    if (*size < 1 || ((unsigned char *)code)[0] != SER_MARKER) return -1;
    /* on a copy: only a dump that parses to its end is changed */
    unsigned char *copy = malloc(*size);
    if (!copy) return -1;
    memcpy(copy, code, *size);
    cursor c = { copy + 1, copy + *size };
    unsigned char *from = c.p, *w = c.p;
    int rc = strip_func(&c, &from, &w, 0) == 0 && c.p == c.end ? 0 : -1;
    if (rc == 0) {
        flush(&from, &c, &w);
        *size = (size_t)(w - copy);
        memcpy(code, copy, *size);
    }
    free(copy);
    return rc;
}
