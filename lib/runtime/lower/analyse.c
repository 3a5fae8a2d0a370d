/* Scope analysis: resolves references, decides which loop scopes need a fresh
 * binding per iteration (emitted as an IIFE), which block-scoped names must
 * be renamed when hoisted to `var`, and which functions capture this/arguments
 * for arrows. */
#include <stdio.h>
#include <string.h>
#include "runtime/lower/ast.h"

static int is_fn(const lw_scope *s) { return s->kind != SC_BLOCK; }
static lw_scope *real_fn(lw_scope *s)
{
    while (!is_fn(s)) s = s->parent;
    return s;
}

/* is `id` inside the parameter list of the function that owns scope s? */
static int in_params(lw_scope *s, node *id)
{
    node *fn = s->owner;
    if (s->kind == SC_BLOCK || !fn || fn->type != N_FUNC || !fn->b || (fn->flags & NF_EXPR_BODY)) return 0;
    return id->line < fn->b->line || (id->line == fn->b->line && id->col < fn->b->col);
}

static lw_binding *lookup(lw_scope *s, node *id, lw_scope **where)
{
    const char *name = id->str;
    for (; s; s = s->parent) {
        /* parameter defaults see the parameters and the outer scopes, not the body's declarations */
        int params_only = in_params(s, id);
        for (lw_binding *b = s->bindings; b; b = b->next)
            if (strcmp(b->name, name) == 0 && (!params_only || b->kind == BK_PARAM)) { *where = s; return b; }
    }
    *where = NULL;
    return NULL;
}

static void add_pass(lw_ctx *C, lw_scope *s, const char *name)
{
    for (int i = 0; i < s->npass; i++) if (strcmp(s->pass[i], name) == 0) return;
    if (s->npass == s->cappass) {
        int cap = s->cappass ? s->cappass * 2 : 8;
        const char **np = ami__lw_alloc(C, sizeof *np * (size_t)cap);
        if (s->npass) memcpy(np, s->pass, sizeof *np * (size_t)s->npass);
        s->pass = np;
        s->cappass = cap;
    }
    s->pass[s->npass++] = name;
}
static int has_pass(lw_scope *s, const char *name)
{
    for (int i = 0; i < s->npass; i++) if (strcmp(s->pass[i], name) == 0) return 1;
    return 0;
}

static int has_captured_lexical(lw_scope *s)
{
    for (lw_binding *b = s->bindings; b; b = b->next)
        if ((b->kind == BK_LET || b->kind == BK_CONST || b->kind == BK_CLASS || b->kind == BK_FUNC) && b->captured) return 1;
    return 0;
}

/* loop_flag: a loop lies between this point and the current hoist target */
static void decide_wraps(lw_scope *s, int loop_flag)
{
    for (lw_scope *c = s->first_child; c; c = c->next_sibling) {
        if (is_fn(c)) { decide_wraps(c, 0); continue; }
        int in_loop = loop_flag || c->is_loop_body;
        c->in_loop = in_loop;
        if (c->is_loop_head && has_captured_lexical(c)) {
            /* body is the child scope marked is_loop_body */
            for (lw_scope *b = c->first_child; b; b = b->next_sibling)
                if (b->is_loop_body) { b->wrap = 2; break; }
        }
        if (!c->wrap && in_loop && !c->is_loop_head && c->owner && has_captured_lexical(c)) c->wrap = 1;
        decide_wraps(c, c->wrap ? 0 : (in_loop || c->is_loop_head));
    }
}

static const char *fresh_name(lw_ctx *C, const char *base)
{
    char buf[300];
    /* one counter for all names keeps this linear (x$1, i$2, x$3, ...) */
    for (int i = ++C->nfresh;; i = ++C->nfresh) {
        snprintf(buf, sizeof buf, "%.250s$%d", base, i);
        if (!ami__lw_nameset_has(C, buf)) {
            char *s = ami__lw_strndup(C, buf, strlen(buf));
            ami__lw_nameset_add(C, s);
            return s;
        }
    }
}

/* names declared directly in hoist target T (params, vars, functions, its own lets) */
static int declared_in(lw_scope *T, const char *name, lw_binding *except)
{
    for (lw_binding *b = T->bindings; b; b = b->next)
        if (b != except && strcmp(b->name, name) == 0) return 1;
    return 0;
}

typedef struct used { const char *name; struct used *next; } used;

static void rename_in(lw_ctx *C, lw_scope *T, lw_scope *s, used **u)
{
    for (lw_scope *c = s->first_child; c; c = c->next_sibling) {
        if (is_fn(c) || c->wrap) continue;
        for (lw_binding *b = c->bindings; b; b = b->next) {
            if (b->kind == BK_FNAME || b->kind == BK_CATCH || b->kind == BK_VAR || b->kind == BK_PARAM) continue;
            int clash = declared_in(T, b->name, NULL) || has_pass(T, b->name) || strcmp(b->name, "arguments") == 0;
            for (used *x = *u; x && !clash; x = x->next) if (strcmp(x->name, b->name) == 0) clash = 1;
            /* a catch parameter of the same name in an enclosing block would shadow the var */
            for (lw_scope *q = c->parent; q && q != T && !clash; q = q->parent)
                for (lw_binding *o = q->bindings; o; o = o->next)
                    if (o->kind == BK_CATCH && strcmp(o->name, b->name) == 0) clash = 1;
            if (clash) b->out = fresh_name(C, b->name);
            used *n = ami__lw_alloc(C, sizeof *n);
            n->name = b->out;
            n->next = *u;
            *u = n;
        }
        rename_in(C, T, c, u);
    }
}

static void rename_all(lw_ctx *C, lw_scope *s)
{
    if (is_fn(s) || s->wrap) {
        used *u = NULL;
        for (lw_binding *b = s->bindings; b; b = b->next) {
            /* a parameter default that reads an outer name the body redeclares */
            if (b->kind != BK_PARAM && b->kind != BK_FNAME && has_pass(s, b->name)) b->out = fresh_name(C, b->name);
            used *n = ami__lw_alloc(C, sizeof *n);
            n->name = b->out;
            n->next = u;
            u = n;
        }
        rename_in(C, s, s, &u);
    }
    for (lw_scope *c = s->first_child; c; c = c->next_sibling) rename_all(C, c);
}

void ami__lw_analyse(lw_ctx *C, node *prog)
{
    (void)prog;
    /* 1. resolve and mark captures */
    for (lw_ref *r = C->refs; r; r = r->next) {
        node *id = r->id;
        if (id->type != N_IDENT) continue;
        lw_scope *where;
        lw_binding *b = lookup(id->ref_scope, id, &where);
        id->bind = b;
        if (!b && !strcmp(id->str, "RegExp")) C->needs_re = 1;
        if (b && real_fn(b->scope) != real_fn(id->ref_scope)) b->captured = 1;
        /* a use that runs before the declaration in the same function (code
         * above it in its own scope) is a temporal-dead-zone error */
        if (b && (b->kind == BK_LET || b->kind == BK_CONST || b->kind == BK_CLASS) &&
            real_fn(b->scope) == real_fn(id->ref_scope) &&
            (id->line < b->line || (id->line == b->line && id->col < b->col)))
            id->flags |= NF_TDZ;
        /* a closure created before the declaration (or a hoisted function
         * declaration) may run before it: its uses check at run time */
        if (b && (b->kind == BK_LET || b->kind == BK_CONST || b->kind == BK_CLASS) &&
            real_fn(b->scope) != real_fn(id->ref_scope)) {
            lw_scope *home = real_fn(b->scope), *outer = NULL;
            for (lw_scope *s = id->ref_scope; s && s != home; s = s->parent)
                if (is_fn(s)) outer = s;
            node *fn = outer ? outer->owner : NULL;
            if (fn && ((fn->flags & NF_DECL) || fn->line < b->line || (fn->line == b->line && fn->col < b->col))) {
                id->flags |= NF_TDZCHK;
                b->tdz = 1;
            }
        }
    }
    /* 2. per-iteration scopes */
    decide_wraps(C->root, 0);
    /* 3. names passing through each hoist target, and this/arguments capture */
    for (lw_ref *r = C->refs; r; r = r->next) {
        node *id = r->id;
        if (id->type == N_IDENT) {
            lw_scope *stop = id->bind ? id->bind->scope : NULL;
            for (lw_scope *s = id->ref_scope; s && s != stop; s = s->parent)
                if (is_fn(s) || s->wrap) add_pass(C, s, id->str);
            if (!id->bind && strcmp(id->str, "arguments") == 0) {
                int crossed = 0;
                for (lw_scope *s = id->ref_scope; s; s = s->parent) {
                    if (s->kind == SC_FUNC) { if (crossed) s->needs_args = 1; break; }
                    if (s->kind == SC_ARROW || s->wrap) crossed = 1;
                }
            }
        } else {   /* this / super */
            int crossed = 0;
            for (lw_scope *s = id->ref_scope; s; s = s->parent) {
                if (s->kind == SC_FUNC) { if (crossed) s->needs_this = 1; break; }
                if (s->kind == SC_ARROW || s->wrap) crossed = 1;
            }
        }
    }
    /* 4. renames */
    rename_all(C, C->root);
}
