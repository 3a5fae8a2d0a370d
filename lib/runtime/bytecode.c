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

/*
 * Sharing: the instructions of the dumps this process keeps for its whole
 * life (the prelude, its parts and the lowering's helpers, prelude.c) are
 * the same in every heap that loads them, so Duktape as libami builds it
 * (scripts/duk_lean.patch, AMI__DUK_SHARED_CODE) runs them from one copy
 * per process instead of copying them into each heap (~6.5 KB of an idle
 * instance).  ami__bytecode_share walks a dump once and makes that copy
 * (native byte order, aligned); the loader asks ami__duk_shared_code for
 * each function it loads, by the position of its instructions in the dump
 * and their count: anything not registered, or not matching exactly, loads
 * as before.
 */
typedef struct {
    uintptr_t at;     /* the instructions' position in the dump */
    uint32_t n;       /* their count */
    uint32_t *code;   /* the shared copy */
} shared_fn;
enum { SHARED_DUMPS = 16 };
static struct {
    uintptr_t start, end;
    shared_fn *fns;   /* in dump order: increasing at */
    size_t n;
} shared[SHARED_DUMPS];
static int nshared;   /* written under the prelude's once, read by any loader (atomics) */

static int share_walk(cursor *c, int depth, shared_fn **fns, size_t *n, size_t *cap)
{
    unsigned char *head = c->p;
    uint32_t nfuncs, ninstr;
    if (func_head(c, depth, &nfuncs, NULL)) return -1;
    ninstr = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
    if (*n == *cap) {
        shared_fn *grown = realloc(*fns, (*cap = *cap ? *cap * 2 : 64) * sizeof **fns);
        if (!grown) return -1;
        *fns = grown;
    }
    /* instructions after the counts (3 x 4), nregs, nargs (2 x 2), lines (2 x 4) and flags (4) */
    (*fns)[(*n)++] = (shared_fn){ (uintptr_t)(head + 28), ninstr, NULL };
    for (uint32_t i = 0; i < nfuncs; i++)
        if (share_walk(c, depth + 1, fns, n, cap)) return -1;
    if (take(c, 4, NULL) || blob(c, NULL, NULL)) return -1;      /* length, name */
    if (blob(c, NULL, NULL) || blob(c, NULL, NULL)) return -1;   /* fileName, pc2line */
    return func_tail(c);
}

int ami__bytecode_share(const void *code, size_t size)
{
    int k = __atomic_load_n(&nshared, __ATOMIC_RELAXED);
    if (k >= SHARED_DUMPS || size < 1 || ((const unsigned char *)code)[0] != SER_MARKER) return -1;
    cursor c = { (unsigned char *)code + 1, (unsigned char *)code + size };   /* read only */
    shared_fn *fns = NULL;
    size_t n = 0, cap = 0, total = 0;
    if (share_walk(&c, 0, &fns, &n, &cap) || c.p != c.end) { free(fns); return -1; }
    for (size_t i = 0; i < n; i++) total += fns[i].n;
    uint32_t *all = malloc(total ? total * sizeof *all : 1);
    if (!all) { free(fns); return -1; }
    uint32_t *w = all;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *q = (const unsigned char *)fns[i].at;
        fns[i].code = w;
        for (uint32_t j = 0; j < fns[i].n; j++, q += 4)
            *w++ = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
    }
    shared[k].start = (uintptr_t)code;
    shared[k].end = (uintptr_t)code + size;
    shared[k].fns = fns;
    shared[k].n = n;
    __atomic_store_n(&nshared, k + 1, __ATOMIC_RELEASE);
    return 0;
}

uint32_t *ami__duk_shared_code(const void *p, uint32_t count)
{
    uintptr_t at = (uintptr_t)p;
    int k = __atomic_load_n(&nshared, __ATOMIC_ACQUIRE);
    for (int i = 0; i < k; i++) {
        if (at < shared[i].start || at >= shared[i].end) continue;
        size_t lo = 0, hi = shared[i].n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (shared[i].fns[mid].at < at) lo = mid + 1;
            else hi = mid;
        }
        if (lo < shared[i].n && shared[i].fns[lo].at == at && shared[i].fns[lo].n == count && count > 0)
            return shared[i].fns[lo].code;
        return NULL;
    }
    return NULL;
}
