/* Recursive-descent parser for ES2020 scripts (function-body goal: top-level
 * await and return allowed).  Builds the AST and the scope tree; records every
 * identifier reference for the analysis pass. */
#include <stdio.h>
#include <string.h>
#include "runtime/lower/ast.h"

#define MAX_DEPTH 200
#define MAX_CHAIN 3000

typedef struct pprop { node *id; struct pprop *next; } pprop;

typedef struct P {
    lw_ctx *C;
    lw_lexer L;
    lw_token tok, prev;
    lw_scope *scope;
    int fn_depth;       /* 0 at script level */
    int in_async;
    int in_gen;         /* yield is an operator here */
    int await_ok;
    int no_in;
    int depth;
    int in_func;        /* return allowed: always (script is a function body) */
    int ts;             /* TypeScript: given, or seen (generic calls f<T>() are parsed as such) */
    struct pprop *pprops;   /* constructor parameter properties (TypeScript) */
    size_t *akey;       /* arrow-lookahead cache: '(' offset + 1 -> is arrow */
    char *aval;
    size_t acap, an;
} P;

static int tok_is(P *p, const char *s)
{
    return (p->tok.type == TK_PUNCT || p->tok.type == TK_KEYWORD) && strcmp(p->tok.val, s) == 0;
}
static int tok_ident(P *p, const char *s)
{
    return p->tok.type == TK_IDENT && !p->tok.escaped && strcmp(p->tok.val, s) == 0;
}

/* whether a '/' after token t (preceded by `before`) starts a regex */
static int regex_allowed_after2(const lw_token *t, const lw_token *before)
{
    /* obj.default / 2: a keyword after '.' is a property name */
    if (t->type == TK_KEYWORD && before && before->type == TK_PUNCT &&
        (strcmp(before->val, ".") == 0 || strcmp(before->val, "?.") == 0)) return 0;
    switch (t->type) {
    case TK_NUM: case TK_STR: case TK_REGEX: case TK_IDENT: case TK_PRIVATE: return 0;
    case TK_TEMPLATE: return !(t->tpl == TPL_FULL || t->tpl == TPL_TAIL);
    case TK_KEYWORD:
        return !(strcmp(t->val, "this") == 0 || strcmp(t->val, "super") == 0 || strcmp(t->val, "null") == 0 ||
                 strcmp(t->val, "true") == 0 || strcmp(t->val, "false") == 0);
    case TK_PUNCT:
        return !(strcmp(t->val, ")") == 0 || strcmp(t->val, "]") == 0 || strcmp(t->val, "}") == 0 ||
                 strcmp(t->val, "++") == 0 || strcmp(t->val, "--") == 0);
    default: return 1;
    }
}


static void next(P *p)
{
    lw_token before = p->prev;
    p->prev = p->tok;
    ami__lw_lex_next(p->C, &p->L, &p->tok, regex_allowed_after2(&p->prev, &before));
}

static void unexpected(P *p) __attribute__((noreturn));
static void unexpected(P *p)
{
    lw_token *t = &p->tok;
    if (t->type == TK_EOF) ami__lw_fail(p->C, t->line, t->col, "Unexpected end of input");
    if (t->type == TK_STR) ami__lw_fail(p->C, t->line, t->col, "Unexpected string");
    if (t->type == TK_NUM) ami__lw_fail(p->C, t->line, t->col, "Unexpected number");
    if (t->type == TK_TEMPLATE) ami__lw_fail(p->C, t->line, t->col, "Unexpected template string");
    if (t->type == TK_IDENT) ami__lw_fail(p->C, t->line, t->col, "Unexpected identifier '%.100s'", t->val);
    if (t->type == TK_PRIVATE) ami__lw_fail(p->C, t->line, t->col, "Private class members (#names) are not supported");
    if (t->type == TK_REGEX) ami__lw_fail(p->C, t->line, t->col, "Unexpected regular expression");
    if (t->type == TK_PUNCT && !strcmp(t->val, "@")) ami__lw_fail(p->C, t->line, t->col, "Decorators (@...) are not supported");
    ami__lw_fail(p->C, t->line, t->col, "Unexpected token '%.100s'", t->val);
}

static void expect(P *p, const char *s)
{
    if (!tok_is(p, s)) unexpected(p);
    next(p);
}

static int eat(P *p, const char *s)
{
    if (tok_is(p, s)) { next(p); return 1; }
    return 0;
}

static void semicolon(P *p)
{
    if (eat(p, ";")) return;
    if (tok_is(p, "}") || p->tok.type == TK_EOF || p->tok.nl_before) return;
    unexpected(p);
}

__attribute__((noinline)) static lw_token peek(P *p)
{
    lw_lexer save = p->L;
    lw_token t;
    ami__lw_lex_next(p->C, &p->L, &t, 0);
    p->L = save;
    return t;
}

static void enter(P *p);
static void leave(P *p);

/* ---- TypeScript: types are skipped, never checked (as Deno and Node's type
 * stripping do).  The skippers below never fail by longjmp: they return 0
 * when the tokens are not a type, so callers can also use them to look
 * ahead (with the lexer state saved and restored). */

/* the source uses TypeScript-only syntax: remember it (the worker's language) */
static void ts_seen(P *p)
{
    p->ts = 1;
    p->C->saw_ts = 1;
}

typedef struct tsave { lw_lexer L; lw_token tok, prev; } tsave;
static tsave ts_save(P *p) { tsave s = { p->L, p->tok, p->prev }; return s; }
static void ts_restore(P *p, const tsave *s) { p->L = s->L; p->tok = s->tok; p->prev = s->prev; }

/* at ( [ { or <: skip to the matching close; 0 when it never closes */
static int ts_balanced_g(P *p, int guard)
{
    char stack[256];
    int sp = 0;
    for (;;) {
        lw_token *t = &p->tok;
        if (t->type == TK_EOF) return 0;
        if (t->type == TK_PUNCT) {
            const char *v = t->val;
            char c = v[0];
            int angle = sp == 0 || stack[sp - 1] == '<';
            if ((c == '(' || c == '[' || c == '{') && !v[1]) {
                if (sp == 256) return 0;
                stack[sp++] = c;
            } else if (c == '<' && !v[1] && angle) {
                if (sp == 256) return 0;
                stack[sp++] = '<';
            } else if (guard && stack[0] == '<' && sp && (!strcmp(v, ";") || !strcmp(v, "=") || !strcmp(v, "&&") || !strcmp(v, "||") ||
                                                  !strcmp(v, "+") || !strcmp(v, "*") || !strcmp(v, "/") || !strcmp(v, "%") ||
                                                  !strcmp(v, "==") || !strcmp(v, "!=") || !strcmp(v, "===") || !strcmp(v, "!==") ||
                                                  !strcmp(v, "<=") || !strcmp(v, ">=") || !strcmp(v, "!"))) {
                return 0;   /* not type arguments: an expression */
            } else if ((c == ')' || c == ']' || c == '}') && !v[1]) {
                char want = c == ')' ? '(' : c == ']' ? '[' : '{';
                if (!sp || stack[sp - 1] != want) return 0;
                sp--;
            } else if (c == '>' && sp && stack[sp - 1] == '<' && (!strcmp(v, ">") || !strcmp(v, ">>") || !strcmp(v, ">>>"))) {
                for (size_t k = strlen(v); k > 0; k--) {
                    if (!sp || stack[sp - 1] != '<') return 0;
                    sp--;
                }
            }
        }
        next(p);
        if (!sp) return 1;
    }
}

static int ts_balanced(P *p) { return ts_balanced_g(p, 0); }
static int ts_type(P *p);

/* `=> Type` after a parameter list of a function type */
static int ts_fn_tail(P *p)
{
    if (!tok_is(p, "=>")) return 0;
    next(p);
    return ts_type(p);
}

static int ts_prim(P *p)
{
    enter(p);
    int ok = 1;
    for (;;) {   /* type operators */
        if ((tok_ident(p, "keyof") || tok_ident(p, "unique") || tok_ident(p, "readonly") || tok_ident(p, "asserts")) &&
            !peek(p).nl_before && (peek(p).type == TK_IDENT || peek(p).type == TK_KEYWORD || peek(p).type == TK_PUNCT)) {
            lw_token nx = peek(p);
            if (nx.type == TK_PUNCT && strcmp(nx.val, "(") && strcmp(nx.val, "[") && strcmp(nx.val, "{")) break;
            next(p);
            continue;
        }
        if (tok_ident(p, "infer") && peek(p).type == TK_IDENT) {
            next(p);
            next(p);
            leave(p);
            return 1;
        }
        break;
    }
    lw_token *t = &p->tok;
    if (tok_is(p, "typeof")) {
        next(p);
        if (tok_is(p, "import")) { next(p); ok = tok_is(p, "(") && ts_balanced(p); }
        else if (p->tok.type == TK_IDENT || p->tok.type == TK_KEYWORD) next(p);
        else ok = 0;
        while (ok && tok_is(p, ".")) {
            next(p);
            if (p->tok.type != TK_IDENT && p->tok.type != TK_KEYWORD) { ok = 0; break; }
            next(p);
        }
        if (ok && tok_is(p, "<") && !p->tok.nl_before) ok = ts_balanced(p);
    } else if (tok_is(p, "(")) {
        ok = ts_balanced(p);
        if (ok && tok_is(p, "=>")) ok = ts_fn_tail(p);
    } else if (tok_is(p, "<")) {
        ok = ts_balanced(p) && tok_is(p, "(") && ts_balanced(p) && ts_fn_tail(p);
    } else if (tok_is(p, "new") || (tok_ident(p, "abstract") && peek(p).type == TK_KEYWORD && !strcmp(peek(p).val, "new"))) {
        if (tok_ident(p, "abstract")) next(p);
        next(p);
        if (tok_is(p, "<")) ok = ts_balanced(p);
        ok = ok && tok_is(p, "(") && ts_balanced(p) && ts_fn_tail(p);
    } else if (tok_is(p, "{") || tok_is(p, "[")) {
        ok = ts_balanced(p);
    } else if (t->type == TK_STR || t->type == TK_NUM) {
        next(p);
    } else if (t->type == TK_TEMPLATE) {
        int kind = t->tpl;
        next(p);
        while (ok && (kind == TPL_HEAD || kind == TPL_MIDDLE)) {
            ok = ts_type(p);
            if (!ok || p->tok.type != TK_TEMPLATE) { ok = 0; break; }
            kind = p->tok.tpl;
            next(p);
        }
    } else if (tok_is(p, "-") && peek(p).type == TK_NUM) {
        next(p);
        next(p);
    } else if (tok_is(p, "import")) {
        next(p);
        ok = tok_is(p, "(") && ts_balanced(p);
        while (ok && tok_is(p, ".")) {
            next(p);
            if (p->tok.type != TK_IDENT && p->tok.type != TK_KEYWORD) { ok = 0; break; }
            next(p);
        }
        if (ok && tok_is(p, "<")) ok = ts_balanced(p);
    } else if (t->type == TK_IDENT || (t->type == TK_KEYWORD && (tok_is(p, "this") || tok_is(p, "null") || tok_is(p, "void") ||
                                                                 tok_is(p, "true") || tok_is(p, "false") || tok_is(p, "const")))) {
        int is_this = tok_is(p, "this");
        next(p);
        while (tok_is(p, ".")) {
            next(p);
            if (p->tok.type != TK_IDENT && p->tok.type != TK_KEYWORD) { ok = 0; break; }
            next(p);
        }
        if (ok && tok_is(p, "<") && !p->tok.nl_before) ok = ts_balanced(p);
        /* type predicate: x is T */
        if (ok && tok_ident(p, "is") && !p->tok.nl_before) { next(p); ok = ts_type(p); }
        (void)is_this;
    } else {
        ok = 0;
    }
    /* T[] and T[K] */
    while (ok && tok_is(p, "[") && !p->tok.nl_before) ok = ts_balanced(p);
    leave(p);
    return ok;
}

/* a whole type: unions, intersections, conditional types, function types */
static int ts_type_nocond(P *p)
{
    if (tok_is(p, "|") || tok_is(p, "&")) next(p);
    if (!ts_prim(p)) return 0;
    while (tok_is(p, "|") || tok_is(p, "&")) {
        next(p);
        if (!ts_prim(p)) return 0;
    }
    return 1;
}

static int ts_type(P *p)
{
    enter(p);
    int ok = ts_type_nocond(p);
    if (ok && tok_is(p, "extends") && !p->tok.nl_before) {
        next(p);
        ok = ts_type_nocond(p) && tok_is(p, "?");
        if (ok) { next(p); ok = ts_type(p) && tok_is(p, ":"); }
        if (ok) { next(p); ok = ts_type(p); }
    }
    leave(p);
    return ok;
}

/* skip a required type, or fail at the token that is not one */
static void ts_need_type(P *p)
{
    ts_seen(p);
    lw_token at = p->tok;
    tsave s = ts_save(p);
    if (ts_type(p)) return;
    ts_restore(p, &s);
    ami__lw_fail(p->C, at.line, at.col, "Unexpected token in a TypeScript type");
}

/* `: Type` (and `?` / `!` before it) after a binding name or pattern */
static void ts_binding_suffix(P *p, int optional_ok)
{
    if (optional_ok && tok_is(p, "?")) {
        lw_token nx = peek(p);
        if (nx.type == TK_PUNCT && (!strcmp(nx.val, ":") || !strcmp(nx.val, ",") || !strcmp(nx.val, ")") || !strcmp(nx.val, "="))) {
            ts_seen(p);
            next(p);
        }
    } else if (tok_is(p, "!") && peek(p).type == TK_PUNCT && !strcmp(peek(p).val, ":")) {
        ts_seen(p);
        next(p);
    }
    if (tok_is(p, ":")) {
        next(p);
        ts_need_type(p);
    }
}

/* at `<` in TS mode: type parameters / arguments; 0 (nothing consumed) if unbalanced */
static int ts_angle(P *p)
{
    tsave s = ts_save(p);
    if (ts_balanced(p)) { ts_seen(p); return 1; }
    ts_restore(p, &s);
    return 0;
}

/* a comma-separated list of types (extends / implements clauses) */
static void ts_type_list(P *p)
{
    do ts_need_type(p); while (eat(p, ","));
}

/* skip a `declare …` statement, or an ambient declaration: to its `;`, its
 * end of line, or the `}` closing its body */
static void ts_skip_declaration(P *p)
{
    ts_seen(p);
    int braced = tok_is(p, "class") || tok_is(p, "enum") || tok_ident(p, "namespace") || tok_ident(p, "module") ||
                 tok_ident(p, "global") || tok_ident(p, "interface") || tok_ident(p, "abstract");
    int first = 1;
    for (;;) {
        if (p->tok.type == TK_EOF) return;
        if (!first && p->tok.nl_before && !braced && p->prev.type != TK_PUNCT) return;
        if (!first && p->tok.nl_before && !braced && p->prev.type == TK_PUNCT &&
            (!strcmp(p->prev.val, ")") || !strcmp(p->prev.val, "]") || !strcmp(p->prev.val, "}"))) return;
        first = 0;
        if (tok_is(p, ";")) { next(p); return; }
        if (tok_is(p, "}")) return;
        if (tok_is(p, "(") || tok_is(p, "[") || tok_is(p, "{")) {
            int brace = tok_is(p, "{");
            lw_token at = p->tok;
            if (!ts_balanced(p)) ami__lw_fail(p->C, at.line, at.col, "Unexpected end of input");
            if (brace && braced) { eat(p, ";"); return; }
            continue;
        }
        next(p);
    }
}

static void enter(P *p)
{
    if (++p->depth > MAX_DEPTH) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Code nested too deeply");
}
static void leave(P *p) { p->depth--; }

static node *mk(P *p, int type, const lw_token *t)
{
    node *n = ami__lw_alloc(p->C, sizeof *n);
    n->type = type;
    n->line = t->line;
    n->col = t->col;
    n->end_line = t->line;
    p->C->nodes++;
    return n;
}

typedef struct nl { node *head, *tail; int n; } nl;
static void nl_add(nl *l, node *n)
{
    n->next = NULL;
    if (l->tail) l->tail->next = n; else l->head = n;
    l->tail = n;
    l->n++;
}

/* ---- scopes */

static lw_scope *push_scope(P *p, int kind, node *owner)
{
    lw_scope *s = ami__lw_alloc(p->C, sizeof *s);
    s->kind = kind;
    s->parent = p->scope;
    s->owner = owner;
    if (p->scope) {
        /* append to keep source order */
        lw_scope **pp = &p->scope->first_child;
        while (*pp) pp = &(*pp)->next_sibling;
        *pp = s;
    }
    p->scope = s;
    if (owner) owner->scope = s;
    return s;
}
static void pop_scope(P *p) { p->scope = p->scope->parent; }

static lw_scope *func_scope(lw_scope *s)
{
    while (s->kind == SC_BLOCK) s = s->parent;
    return s;
}

static int lexical(int k) { return k == BK_LET || k == BK_CONST || k == BK_CLASS; }

static void declare(P *p, node *id, int kind)
{
    lw_scope *s = (kind == BK_VAR) ? func_scope(p->scope) : p->scope;
    if (kind == BK_FUNC && p->scope->kind != SC_BLOCK) s = p->scope;
    if (kind == BK_FUNC && p->scope->kind == SC_BLOCK && !p->scope->is_switch) {
        /* Annex B (scripts are sloppy mode): a function declared in a block is
         * also a var of the enclosing function, unless a let/const/class of
         * the same name is in the way.  Duktape hoists it that way too. */
        int conflict = 0;
        lw_scope *f = func_scope(p->scope);
        for (lw_scope *q = p->scope; q && !conflict; q = q->parent) {
            for (lw_binding *b = q->bindings; b; b = b->next)
                if (strcmp(b->name, id->str) == 0 && (lexical(b->kind) || b->kind == BK_CATCH || b->kind == BK_FNAME)) conflict = 1;
            if (q == f) break;
        }
        if (!conflict) s = f;
    }
    if (strcmp(id->str, "let") == 0 && lexical(kind))
        ami__lw_fail(p->C, id->line, id->col, "let is disallowed as a lexically bound name");
    for (lw_binding *b = s->bindings; b; b = b->next) {
        if (strcmp(b->name, id->str) != 0) continue;
        if (lexical(kind) || lexical(b->kind) || (b->kind == BK_FUNC && kind == BK_FUNC && s->kind == SC_BLOCK))
            if (!(b->kind == BK_PARAM && kind != BK_PARAM && s->kind != SC_BLOCK && !lexical(kind)))
                ami__lw_fail(p->C, id->line, id->col, "Identifier '%.100s' has already been declared", id->str);
        if (kind == BK_VAR || kind == BK_PARAM || (kind == BK_FUNC && b->kind != BK_FNAME)) {
            if (kind == BK_FUNC) b->kind = BK_FUNC;
            id->bind = b;
            return;
        }
    }
    /* var through a block that declares the same name lexically */
    if (kind == BK_VAR) {
        for (lw_scope *q = p->scope; q != s; q = q->parent)
            for (lw_binding *b = q->bindings; b; b = b->next)
                if (strcmp(b->name, id->str) == 0 && lexical(b->kind))
                    ami__lw_fail(p->C, id->line, id->col, "Identifier '%.100s' has already been declared", id->str);
    }
    lw_binding *b = ami__lw_alloc(p->C, sizeof *b);
    b->name = id->str;
    b->kind = kind;
    b->scope = s;
    b->out = id->str;
    b->line = id->line;
    b->col = id->col;
    b->next = s->bindings;
    s->bindings = b;
    id->bind = b;
}

static void add_ref(P *p, node *id)
{
    id->ref_scope = p->scope;
    lw_ref *r = ami__lw_alloc(p->C, sizeof *r);
    r->id = id;
    r->next = p->C->refs;
    p->C->refs = r;
}

/* ---- forward declarations */
static node *parse_statement(P *p);
static node *parse_expr(P *p);
static node *parse_assign(P *p);
static node *parse_unary(P *p);
static node *parse_lhs(P *p, int allow_call);
static node *parse_function(P *p, unsigned flags, const lw_token *start, int is_expr);
static node *parse_class(P *p, int is_decl);
static node *parse_binding_target(P *p, int bkind);
static node *parse_arrow(P *p, const lw_token *start, int is_async);

static node *parse_expr_in(P *p)
{
    int s = p->no_in;
    p->no_in = 0;
    node *e = parse_expr(p);
    p->no_in = s;
    return e;
}
static node *parse_assign_in(P *p)
{
    int s = p->no_in;
    p->no_in = 0;
    node *e = parse_assign(p);
    p->no_in = s;
    return e;
}

static node *ident_node(P *p)
{
    if (p->tok.type != TK_IDENT) unexpected(p);
    if (p->await_ok && strcmp(p->tok.val, "await") == 0) unexpected(p);
    node *n = mk(p, N_IDENT, &p->tok);
    n->str = p->tok.val;
    n->slen = p->tok.vlen;
    ami__lw_nameset_add(p->C, n->str);
    next(p);
    return n;
}

/* property name after '.', or as an object/class key (IdentifierName) */
static node *name_key(P *p)
{
    if (p->tok.type == TK_PRIVATE) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Private class members (#names) are not supported");
    if (p->tok.type != TK_IDENT && p->tok.type != TK_KEYWORD) unexpected(p);
    node *n = mk(p, N_STR, &p->tok);
    n->str = p->tok.val;
    n->slen = p->tok.vlen;
    n->kind = 1;   /* identifier name */
    next(p);
    return n;
}

/* ---- binding patterns */

static node *parse_binding_element(P *p, int bkind)
{
    lw_token st = p->tok;
    node *t = parse_binding_target(p, bkind);
    ts_binding_suffix(p, bkind == BK_PARAM);
    if (tok_is(p, "=")) {
        next(p);
        node *d = mk(p, N_ASSIGN_PAT, &st);
        d->a = t;
        d->b = parse_assign_in(p);
        return d;
    }
    return t;
}

static node *parse_binding_target(P *p, int bkind)
{
    enter(p);
    node *r;
    if (tok_is(p, "[")) {
        r = mk(p, N_ARRAY_PAT, &p->tok);
        next(p);
        nl l = { 0 };
        while (!tok_is(p, "]")) {
            if (tok_is(p, ",")) { nl_add(&l, mk(p, N_HOLE, &p->tok)); next(p); continue; }
            if (tok_is(p, "...")) {
                node *rest = mk(p, N_REST, &p->tok);
                next(p);
                rest->a = parse_binding_target(p, bkind);
                nl_add(&l, rest);
                if (!tok_is(p, "]")) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Rest element must be last element");
                break;
            }
            nl_add(&l, parse_binding_element(p, bkind));
            if (!tok_is(p, "]")) expect(p, ",");
        }
        r->end_line = p->tok.line;
        expect(p, "]");
        r->list = l.head;
    } else if (tok_is(p, "{")) {
        r = mk(p, N_OBJ_PAT, &p->tok);
        next(p);
        nl l = { 0 };
        while (!tok_is(p, "}")) {
            if (tok_is(p, "...")) {
                node *rest = mk(p, N_REST, &p->tok);
                next(p);
                rest->a = ident_node(p);
                declare(p, rest->a, bkind);
                nl_add(&l, rest);
                if (!tok_is(p, "}")) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Rest element must be last element");
                break;
            }
            node *prop = mk(p, N_PROP, &p->tok);
            if (tok_is(p, "[")) {
                next(p);
                prop->a = parse_assign_in(p);
                prop->flags |= NF_COMPUTED;
                expect(p, "]");
            } else if (p->tok.type == TK_STR || p->tok.type == TK_NUM) {
                prop->a = mk(p, p->tok.type == TK_STR ? N_STR : N_NUM, &p->tok);
                prop->a->str = p->tok.val;
                prop->a->slen = p->tok.vlen;
                next(p);
            } else if (p->tok.type == TK_IDENT && !tok_is(p, ":") && peek(p).type == TK_PUNCT &&
                       strcmp(peek(p).val, ":") != 0) {
                /* shorthand {a} or {a = 1} */
                lw_token st = p->tok;
                node *id = ident_node(p);
                declare(p, id, bkind);
                prop->a = mk(p, N_STR, &st);
                prop->a->str = id->str;
                prop->a->slen = id->slen;
                prop->a->kind = 1;
                prop->b = id;
                if (tok_is(p, "=")) {
                    node *d = mk(p, N_ASSIGN_PAT, &st);
                    next(p);
                    d->a = id;
                    d->b = parse_assign_in(p);
                    prop->b = d;
                }
                nl_add(&l, prop);
                if (!tok_is(p, "}")) expect(p, ",");
                continue;
            } else {
                prop->a = name_key(p);
            }
            expect(p, ":");
            prop->b = parse_binding_element(p, bkind);
            nl_add(&l, prop);
            if (!tok_is(p, "}")) expect(p, ",");
        }
        r->end_line = p->tok.line;
        expect(p, "}");
        r->list = l.head;
    } else {
        r = ident_node(p);
        declare(p, r, bkind);
    }
    leave(p);
    return r;
}

/* Convert an expression (cover grammar) into an assignment pattern. */
static node *to_pattern(P *p, node *e, int top)
{
    switch (e->type) {
    case N_IDENT:
        if (strcmp(e->str, "eval") == 0 || strcmp(e->str, "arguments") == 0)
            ami__lw_fail(p->C, e->line, e->col, "Invalid left-hand side in assignment");
        return e;
    case N_MEMBER:
        if (top < 0) break;
        return e;
    case N_PAREN: {
        node *in = e->a;
        while (in->type == N_PAREN) in = in->a;
        if (in->type == N_IDENT || in->type == N_MEMBER) return to_pattern(p, in, top);
        break;
    }
    case N_ARRAY: {
        e->type = N_ARRAY_PAT;
        for (node *x = e->list; x; x = x->next) {
            node *conv;
            if (x->type == N_HOLE) continue;
            if (x->type == N_SPREAD) {
                if (x->next) ami__lw_fail(p->C, x->line, x->col, "Rest element must be last element");
                x->type = N_REST;
                x->a = to_pattern(p, x->a, 0);
                continue;
            }
            if (x->type == N_ASSIGN && strcmp(x->str, "=") == 0) {
                x->type = N_ASSIGN_PAT;
                x->a = to_pattern(p, x->a, 0);
                continue;
            }
            conv = to_pattern(p, x, 0);
            (void)conv;
            if (conv != x) {   /* parenthesised target: replace in place */
                node *nx = x->next;
                *x = *conv;
                x->next = nx;
            }
        }
        return e;
    }
    case N_OBJECT:
        e->type = N_OBJ_PAT;
        for (node *x = e->list; x; x = x->next) {
            if (x->kind == PK_SPREAD) {
                x->type = N_REST;
                x->a = to_pattern(p, x->a, 0);
                if (x->next) ami__lw_fail(p->C, x->line, x->col, "Rest element must be last element");
                continue;
            }
            if (x->kind != PK_INIT && x->kind != PK_SHORTHAND) break;
            if (x->kind == PK_SHORTHAND) {
                /* b = ident, c = default (cover initializer) */
                if (x->c) {
                    node *d = mk(p, N_ASSIGN_PAT, &p->tok);
                    d->line = x->line; d->col = x->col;
                    d->a = x->b;
                    d->b = x->c;
                    x->b = d;
                    x->c = NULL;
                }
                x->kind = PK_INIT;
                continue;
            }
            node *v = x->b;
            if (v->type == N_ASSIGN && strcmp(v->str, "=") == 0) {
                v->type = N_ASSIGN_PAT;
                v->a = to_pattern(p, v->a, 0);
            } else {
                x->b = to_pattern(p, v, 0);
            }
        }
        for (node *x = e->list; x; x = x->next)
            if (x->type == N_PROP && x->kind != PK_INIT)
                ami__lw_fail(p->C, x->line, x->col, "Invalid destructuring assignment target");
        return e;
    default:
        break;
    }
    ami__lw_fail(p->C, e->line, e->col, "Invalid left-hand side in assignment");
}

static int simple_target(node *e)
{
    while (e->type == N_PAREN) e = e->a;
    if (e->type == N_IDENT) return strcmp(e->str, "eval") != 0 && strcmp(e->str, "arguments") != 0;
    return e->type == N_MEMBER;
}

/* ---- expressions */

static node *parse_template(P *p, node *tag)
{
    node *t = mk(p, N_TEMPLATE, &p->tok);
    nl quasis = { 0 }, exprs = { 0 };
    for (;;) {
        if (p->tok.type != TK_TEMPLATE) unexpected(p);
        node *q = mk(p, N_STR, &p->tok);
        q->str = p->tok.val;
        q->slen = p->tok.vlen;
        q->raw = p->tok.raw;
        q->rawlen = p->tok.rawlen;
        q->cooked_ok = p->tok.cooked_ok;
        q->end_line = p->tok.end_line;
        if (!tag && !q->cooked_ok) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Invalid escape sequence in template");
        nl_add(&quasis, q);
        int tp = p->tok.tpl;
        t->end_line = p->tok.end_line;
        next(p);
        if (tp == TPL_FULL || tp == TPL_TAIL) break;
        nl_add(&exprs, parse_expr_in(p));
        if (p->tok.type != TK_TEMPLATE || (p->tok.tpl != TPL_MIDDLE && p->tok.tpl != TPL_TAIL)) unexpected(p);
    }
    t->list = quasis.head;
    t->list2 = exprs.head;
    if (tag) {
        node *tt = mk(p, N_TAGGED, &p->prev);
        tt->line = tag->line; tt->col = tag->col;
        tt->a = tag;
        tt->b = t;
        tt->id = ++p->C->ntemplates;
        return tt;
    }
    return t;
}

static node *parse_args(P *p, node *call)
{
    expect(p, "(");
    nl l = { 0 };
    while (!tok_is(p, ")")) {
        if (tok_is(p, "...")) {
            node *s = mk(p, N_SPREAD, &p->tok);
            next(p);
            s->a = parse_assign_in(p);
            nl_add(&l, s);
        } else {
            nl_add(&l, parse_assign_in(p));
        }
        if (!tok_is(p, ")")) {
            if (!tok_is(p, ",")) {
                if (p->tok.type == TK_EOF) unexpected(p);
                ami__lw_fail(p->C, p->tok.line, p->tok.col, "missing ) after argument list");
            }
            next(p);
        }
    }
    call->end_line = p->tok.line;
    next(p);
    call->list = l.head;
    return call;
}

static node *parse_array(P *p)
{
    node *a = mk(p, N_ARRAY, &p->tok);
    next(p);
    nl l = { 0 };
    while (!tok_is(p, "]")) {
        if (tok_is(p, ",")) { nl_add(&l, mk(p, N_HOLE, &p->tok)); next(p); continue; }
        if (tok_is(p, "...")) {
            node *s = mk(p, N_SPREAD, &p->tok);
            next(p);
            s->a = parse_assign_in(p);
            nl_add(&l, s);
        } else {
            nl_add(&l, parse_assign_in(p));
        }
        if (!tok_is(p, "]")) expect(p, ",");
    }
    a->end_line = p->tok.line;
    next(p);
    a->list = l.head;
    return a;
}

/* property key for object literals and classes; sets NF_COMPUTED on prop */
static node *parse_prop_key(P *p, node *prop)
{
    if (tok_is(p, "[")) {
        next(p);
        node *k = parse_assign_in(p);
        expect(p, "]");
        prop->flags |= NF_COMPUTED;
        return k;
    }
    if (p->tok.type == TK_STR || p->tok.type == TK_NUM) {
        node *k = mk(p, p->tok.type == TK_STR ? N_STR : N_NUM, &p->tok);
        k->str = p->tok.val;
        k->slen = p->tok.vlen;
        next(p);
        return k;
    }
    return name_key(p);
}

static int is_key_start(lw_token *t)
{
    if (t->type == TK_IDENT || t->type == TK_KEYWORD || t->type == TK_STR || t->type == TK_NUM || t->type == TK_PRIVATE) return 1;
    return t->type == TK_PUNCT && (strcmp(t->val, "[") == 0 || strcmp(t->val, "*") == 0);
}

static node *parse_method(P *p, const lw_token *st, unsigned flags)
{
    return parse_function(p, flags | NF_METHOD, st, 1);
}

static node *parse_object(P *p)
{
    node *o = mk(p, N_OBJECT, &p->tok);
    next(p);
    nl l = { 0 };
    while (!tok_is(p, "}")) {
        node *prop = mk(p, N_PROP, &p->tok);
        lw_token st = p->tok;
        if (tok_is(p, "...")) {
            next(p);
            prop->kind = PK_SPREAD;
            prop->a = parse_assign_in(p);
            nl_add(&l, prop);
            if (!tok_is(p, "}")) expect(p, ",");
            continue;
        }
        unsigned mflags = 0;
        int kind = PK_INIT;
        if ((tok_ident(p, "get") || tok_ident(p, "set") || tok_ident(p, "async"))) {
            lw_token nx = peek(p);
            if (is_key_start(&nx) && !(tok_ident(p, "async") && nx.nl_before)) {
                if (tok_ident(p, "get")) kind = PK_GET;
                else if (tok_ident(p, "set")) kind = PK_SET;
                else { kind = PK_METHOD; mflags |= NF_ASYNC; }
                next(p);
            }
        }
        if (tok_is(p, "*")) {
            if (kind == PK_GET || kind == PK_SET) unexpected(p);
            next(p);
            kind = PK_METHOD;
            mflags |= NF_GEN;
        }
        int ident_key = p->tok.type == TK_IDENT;
        lw_token keytok = p->tok;
        prop->a = parse_prop_key(p, prop);
        if (tok_is(p, "(")) {
            if (kind == PK_INIT) kind = PK_METHOD;
            prop->kind = kind;
            prop->b = parse_method(p, &st, mflags);
        } else if (kind != PK_INIT) {
            unexpected(p);
        } else if (tok_is(p, ":")) {
            next(p);
            prop->kind = PK_INIT;
            prop->b = parse_assign_in(p);
        } else if (ident_key && !(prop->flags & NF_COMPUTED)) {
            /* shorthand; `{a = 1}` is only valid as a pattern (checked when emitted) */
            prop->kind = PK_SHORTHAND;
            if (p->await_ok && strcmp(keytok.val, "await") == 0) ami__lw_fail(p->C, keytok.line, keytok.col, "Unexpected reserved word");
            node *id = mk(p, N_IDENT, &keytok);
            id->str = keytok.val;
            id->slen = keytok.vlen;
            ami__lw_nameset_add(p->C, id->str);
            add_ref(p, id);
            prop->b = id;
            if (tok_is(p, "=")) {
                next(p);
                prop->c = parse_assign_in(p);
            }
        } else {
            unexpected(p);
        }
        nl_add(&l, prop);
        if (!tok_is(p, "}")) expect(p, ",");
    }
    o->end_line = p->tok.line;
    next(p);
    o->list = l.head;
    return o;
}

static node *parse_primary(P *p)
{
    lw_token t = p->tok;
    node *n;
    switch (t.type) {
    case TK_IDENT: {
        if (!t.escaped && strcmp(t.val, "async") == 0) {
            lw_token nx = peek(p);
            if (nx.type == TK_KEYWORD && strcmp(nx.val, "function") == 0 && !nx.nl_before) {
                next(p);
                next(p);
                return parse_function(p, NF_ASYNC, &t, 1);
            }
        }
        n = ident_node(p);
        add_ref(p, n);
        return n;
    }
    case TK_NUM:
        n = mk(p, N_NUM, &t); n->str = t.val; n->slen = t.vlen; next(p); return n;
    case TK_STR:
        n = mk(p, N_STR, &t); n->str = t.val; n->slen = t.vlen; n->end_line = t.end_line; next(p); return n;
    case TK_TEMPLATE:
        return parse_template(p, NULL);
    case TK_REGEX:
        n = mk(p, N_REGEX, &t); n->str = t.val; n->slen = t.vlen; next(p); return n;
    case TK_PRIVATE:
        unexpected(p);
    case TK_KEYWORD:
        if (strcmp(t.val, "this") == 0) { n = mk(p, N_THIS, &t); add_ref(p, n); next(p); return n; }
        if (strcmp(t.val, "null") == 0 || strcmp(t.val, "true") == 0 || strcmp(t.val, "false") == 0) {
            n = mk(p, N_LIT, &t); n->str = t.val; n->slen = t.vlen; next(p); return n;
        }
        if (strcmp(t.val, "function") == 0) { next(p); return parse_function(p, 0, &t, 1); }
        if (strcmp(t.val, "class") == 0) return parse_class(p, 0);
        if (strcmp(t.val, "super") == 0) {
            n = mk(p, N_SUPER, &t);
            add_ref(p, n);
            next(p);
            if (!tok_is(p, "(") && !tok_is(p, ".") && !tok_is(p, "[")) ami__lw_fail(p->C, t.line, t.col, "'super' keyword unexpected here");
            return n;
        }
        if (strcmp(t.val, "import") == 0) ami__lw_fail(p->C, t.line, t.col, "Modules (import/export) are not supported");
        unexpected(p);
    case TK_PUNCT:
        if (strcmp(t.val, "(") == 0) {
            n = mk(p, N_PAREN, &t);
            next(p);
            n->a = parse_expr_in(p);
            n->end_line = p->tok.line;
            expect(p, ")");
            return n;
        }
        if (strcmp(t.val, "[") == 0) return parse_array(p);
        if (strcmp(t.val, "{") == 0) return parse_object(p);
        if (strcmp(t.val, "/") == 0 || strcmp(t.val, "/=") == 0) {
            /* the lexer guessed division; this is a regular expression */
            p->L.pos = t.start;
            p->L.line = t.line;
            p->L.line_start = t.start - (size_t)(t.col - 1);
            ami__lw_lex_next(p->C, &p->L, &p->tok, 1);
            n = mk(p, N_REGEX, &p->tok);
            n->str = p->tok.val;
            n->slen = p->tok.vlen;
            next(p);
            return n;
        }
        unexpected(p);
    default:
        unexpected(p);
    }
}

static node *parse_lhs(P *p, int allow_call)
{
    enter(p);
    lw_token st = p->tok;
    node *e;
    if (tok_is(p, "new")) {
        next(p);
        if (tok_is(p, ".")) {
            next(p);
            if (!tok_ident(p, "target")) unexpected(p);
            ami__lw_fail(p->C, st.line, st.col, "new.target is not supported");
        }
        node *callee = parse_lhs(p, 0);
        e = mk(p, N_NEW, &st);
        e->a = callee;
        if (tok_is(p, "(")) parse_args(p, e);
        else e->end_line = p->prev.end_line;
    } else {
        e = parse_primary(p);
    }
    int chained = 0, count = 0;
    for (;;) {
        if (++count > MAX_CHAIN) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Expression too long");
        lw_token t = p->tok;
        if (tok_is(p, ".")) {
            next(p);
            node *m = mk(p, N_MEMBER, &t);
            m->a = e;
            m->b = name_key(p);
            e = m;
        } else if (tok_is(p, "?.")) {
            if (!allow_call) ami__lw_fail(p->C, t.line, t.col, "Invalid optional chain from new expression");
            next(p);
            chained = 1;
            if (tok_is(p, "(")) {
                node *c = mk(p, N_CALL, &t);
                c->a = e;
                c->flags |= NF_OPTIONAL;
                parse_args(p, c);
                e = c;
            } else if (tok_is(p, "[")) {
                next(p);
                node *m = mk(p, N_MEMBER, &t);
                m->a = e;
                m->b = parse_expr_in(p);
                m->flags |= NF_COMPUTED | NF_OPTIONAL;
                expect(p, "]");
                e = m;
            } else if (p->tok.type == TK_TEMPLATE) {
                ami__lw_fail(p->C, t.line, t.col, "Invalid tagged template on optional chain");
            } else {
                node *m = mk(p, N_MEMBER, &t);
                m->a = e;
                m->b = name_key(p);
                m->flags |= NF_OPTIONAL;
                e = m;
            }
        } else if (tok_is(p, "[")) {
            next(p);
            node *m = mk(p, N_MEMBER, &t);
            m->a = e;
            m->b = parse_expr_in(p);
            m->flags |= NF_COMPUTED;
            expect(p, "]");
            e = m;
        } else if (p->tok.type == TK_TEMPLATE && (p->tok.tpl == TPL_FULL || p->tok.tpl == TPL_HEAD)) {
            if (chained) ami__lw_fail(p->C, t.line, t.col, "Invalid tagged template on optional chain");
            e = parse_template(p, e);
        } else if (tok_is(p, "!") && !p->tok.nl_before) {
            /* TypeScript non-null assertion x! */
            ts_seen(p);
            next(p);
        } else if (p->ts && tok_is(p, "<") && e->type != N_LIT && e->type != N_NUM && e->type != N_STR) {
            /* TypeScript type arguments f<T>(x): only when a call or a template follows */
            tsave sv = ts_save(p);
            if (ts_balanced_g(p, 1) && (tok_is(p, "(") || p->tok.type == TK_TEMPLATE)) continue;
            ts_restore(p, &sv);
            break;
        } else if (allow_call && tok_is(p, "(")) {
            node *c = mk(p, N_CALL, &t);
            c->line = e->line; c->col = e->col;
            c->a = e;
            parse_args(p, c);
            e = c;
        } else {
            break;
        }
    }
    if (chained) {
        node *ch = mk(p, N_CHAIN, &st);
        ch->line = e->line; ch->col = e->col;
        ch->a = e;
        e = ch;
    }
    leave(p);
    return e;
}

static node *parse_postfix(P *p)
{
    lw_token st = p->tok;
    node *e = parse_lhs(p, 1);
    if ((tok_is(p, "++") || tok_is(p, "--")) && !p->tok.nl_before) {
        if (!simple_target(e)) ami__lw_fail(p->C, st.line, st.col, "Invalid left-hand side expression in postfix operation");
        node *u = mk(p, N_UPDATE, &p->tok);
        u->line = e->line; u->col = e->col;
        u->str = p->tok.val;
        u->a = e;
        next(p);
        return u;
    }
    return e;
}

static node *parse_unary(P *p)
{
    enter(p);
    lw_token t = p->tok;
    node *r;
    if (t.type == TK_PUNCT && (strcmp(t.val, "!") == 0 || strcmp(t.val, "~") == 0 || strcmp(t.val, "+") == 0 || strcmp(t.val, "-") == 0)) {
        next(p);
        r = mk(p, N_UNARY, &t);
        r->str = t.val;
        r->a = parse_unary(p);
    } else if (t.type == TK_KEYWORD && (strcmp(t.val, "typeof") == 0 || strcmp(t.val, "void") == 0 || strcmp(t.val, "delete") == 0)) {
        next(p);
        r = mk(p, N_UNARY, &t);
        r->str = t.val;
        r->a = parse_unary(p);
    } else if (t.type == TK_PUNCT && (strcmp(t.val, "++") == 0 || strcmp(t.val, "--") == 0)) {
        next(p);
        r = mk(p, N_UPDATE, &t);
        r->str = t.val;
        r->flags |= NF_PREFIX;
        r->a = parse_unary(p);
        if (!simple_target(r->a)) ami__lw_fail(p->C, t.line, t.col, "Invalid left-hand side expression in prefix operation");
    } else if (t.type == TK_IDENT && !t.escaped && strcmp(t.val, "await") == 0 && p->await_ok) {
        next(p);
        r = mk(p, N_AWAIT, &t);
        r->a = parse_unary(p);
    } else {
        r = parse_postfix(p);
    }
    leave(p);
    return r;
}

static int binprec(P *p, int *right)
{
    *right = 0;
    lw_token *t = &p->tok;
    if (t->type == TK_KEYWORD) {
        if (strcmp(t->val, "instanceof") == 0) return 8;
        if (strcmp(t->val, "in") == 0) return p->no_in ? 0 : 8;
        return 0;
    }
    if (t->type != TK_PUNCT) return 0;
    const char *v = t->val;
    static const struct { const char *op; int prec; } ops[] = {
        {"??", 1}, {"||", 2}, {"&&", 3}, {"|", 4}, {"^", 5}, {"&", 6},
        {"==", 7}, {"!=", 7}, {"===", 7}, {"!==", 7},
        {"<", 8}, {">", 8}, {"<=", 8}, {">=", 8},
        {"<<", 9}, {">>", 9}, {">>>", 9}, {"+", 10}, {"-", 10},
        {"*", 11}, {"/", 11}, {"%", 11}, {"**", 12}, {NULL, 0}
    };
    for (int i = 0; ops[i].op; i++)
        if (strcmp(v, ops[i].op) == 0) { *right = ops[i].prec == 12; return ops[i].prec; }
    return 0;
}

static node *parse_binary(P *p, int minprec)
{
    enter(p);
    lw_token st = p->tok;
    node *left = parse_unary(p);
    int count = 0;
    for (;;) {
        int right;
        if ((tok_ident(p, "as") || tok_ident(p, "satisfies")) && !p->tok.nl_before && minprec <= 8) {
            /* TypeScript: x as T, x satisfies T (binds like a relational operator) */
            next(p);
            ts_need_type(p);
            continue;
        }
        int prec = binprec(p, &right);
        if (!prec || prec < minprec) break;
        if (++count > MAX_CHAIN) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Expression too long");
        lw_token op = p->tok;
        if (prec == 12 && left->type == N_UNARY)
            ami__lw_fail(p->C, op.line, op.col, "Unary operator used immediately before exponentiation expression. Parenthesis must be used to disambiguate operator precedence");
        next(p);
        node *r = parse_binary(p, right ? prec : prec + 1);
        int logical = prec <= 3;
        if (logical) {
            /* ?? cannot mix with || or && without parentheses */
            const char *o = op.val;
            node *sides[2] = { left, r };
            for (int i = 0; i < 2; i++)
                if (sides[i]->type == N_LOGICAL && ((strcmp(o, "??") == 0) != (strcmp(sides[i]->str, "??") == 0)))
                    ami__lw_fail(p->C, op.line, op.col, "Unexpected token '%s'", o);
        }
        node *b = mk(p, logical ? N_LOGICAL : N_BINARY, &op);
        b->line = left->line; b->col = left->col;
        b->str = op.val;
        b->a = left;
        b->b = r;
        b->c = NULL;
        (void)st;
        /* remember operator position for line placement */
        b->kind = op.line;
        left = b;
    }
    leave(p);
    return left;
}

static node *parse_conditional(P *p)
{
    node *c = parse_binary(p, 1);
    if (tok_is(p, "?")) {
        lw_token t = p->tok;
        next(p);
        node *n = mk(p, N_COND, &t);
        n->line = c->line; n->col = c->col;
        n->a = c;
        n->b = parse_assign_in(p);
        expect(p, ":");
        n->c = parse_assign(p);
        return n;
    }
    return c;
}

static int is_assign_op(P *p)
{
    if (p->tok.type != TK_PUNCT) return 0;
    static const char *const ops[] = { "=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", ">>>=",
                                       "&=", "|=", "^=", "&&=", "||=", "?\?=", NULL };
    for (int i = 0; ops[i]; i++) if (strcmp(p->tok.val, ops[i]) == 0) return 1;
    return 0;
}

/* At '(' : is this the parameter list of an arrow function?  The scan to the
 * matching ')' records the answer for every '(' it passes, so nested parens
 * cost linear time overall. */
static int arrow_cache_get(P *p, size_t off, int *res)
{
    if (!p->acap) return 0;
    for (size_t i = (off * 2654435761u) & (p->acap - 1);; i = (i + 1) & (p->acap - 1)) {
        if (!p->akey[i]) return 0;
        if (p->akey[i] == off + 1) { *res = p->aval[i]; return 1; }
    }
}

static void arrow_cache_put(P *p, size_t off, int res)
{
    if (p->an * 2 + 2 > p->acap) {
        size_t cap = p->acap ? p->acap * 2 : 64;
        size_t *k = ami__lw_alloc(p->C, cap * sizeof *k);
        char *v = ami__lw_alloc(p->C, cap);
        for (size_t i = 0; i < p->acap; i++) {
            if (!p->akey[i]) continue;
            size_t j = ((p->akey[i] - 1) * 2654435761u) & (cap - 1);
            while (k[j]) j = (j + 1) & (cap - 1);
            k[j] = p->akey[i];
            v[j] = p->aval[i];
        }
        p->akey = k;
        p->aval = v;
        p->acap = cap;
    }
    size_t i = (off * 2654435761u) & (p->acap - 1);
    while (p->akey[i] && p->akey[i] != off + 1) i = (i + 1) & (p->acap - 1);
    if (!p->akey[i]) p->an++;
    p->akey[i] = off + 1;
    p->aval[i] = (char)res;
}

__attribute__((noinline)) static int paren_is_arrow(P *p)
{
    int cached;
    if (arrow_cache_get(p, p->tok.start, &cached)) return cached;
    lw_lexer save = p->L;
    lw_token t = p->tok, prev = p->tok, before = p->prev;
    size_t *opens = NULL;   /* offsets of '(' (or SIZE_MAX for other brackets) */
    size_t nopen = 0, capopen = 0;
    int result = 0;
    for (;;) {
        if (t.type == TK_EOF) break;
        int is_open = 0, is_close = 0;
        if (t.type == TK_PUNCT) {
            if (!strcmp(t.val, "(") || !strcmp(t.val, "[") || !strcmp(t.val, "{")) is_open = 1;
            else if (!strcmp(t.val, ")") || !strcmp(t.val, "]") || !strcmp(t.val, "}")) is_close = 1;
        }
        if (t.type == TK_TEMPLATE && t.tpl == TPL_HEAD) is_open = 1;
        if (t.type == TK_TEMPLATE && t.tpl == TPL_TAIL) is_close = 1;
        if (is_open) {
            if (nopen == capopen) {
                size_t cap = capopen ? capopen * 2 : 32;
                size_t *n = ami__lw_alloc(p->C, cap * sizeof *n);
                if (nopen) memcpy(n, opens, nopen * sizeof *n);
                opens = n;
                capopen = cap;
            }
            opens[nopen++] = (t.type == TK_PUNCT && t.val[0] == '(') ? t.start : (size_t)-1;
        } else if (is_close) {
            if (!nopen) break;
            size_t off = opens[--nopen];
            if (off != (size_t)-1 && t.type == TK_PUNCT && t.val[0] == ')') {
                lw_lexer s2 = p->L;
                lw_token n;
                ami__lw_lex_next(p->C, &p->L, &n, 0);
                p->L = s2;
                int r = n.type == TK_PUNCT && strcmp(n.val, "=>") == 0 && !n.nl_before;
                if (!r && p->ts && n.type == TK_PUNCT && strcmp(n.val, ":") == 0) {
                    /* TypeScript: (params): ReturnType => body */
                    P q = *p;
                    q.L = s2;
                    q.prev = t;
                    ami__lw_lex_next(p->C, &q.L, &q.tok, 0);
                    next(&q);
                    r = ts_type(&q) && tok_is(&q, "=>") && !q.tok.nl_before;
                }
                arrow_cache_put(p, off, r);
                if (nopen == 0) { result = r; break; }
            } else if (nopen == 0) {
                break;
            }
        }
        before = prev;
        prev = t;
        ami__lw_lex_next(p->C, &p->L, &t, regex_allowed_after2(&prev, &before));
    }
    /* parens never closed cannot start arrows */
    for (size_t i = 0; i < nopen; i++)
        if (opens[i] != (size_t)-1) arrow_cache_put(p, opens[i], 0);
    p->L = save;
    return result;
}

/* At `async`: does an async arrow follow?  If so, consumes `async`. */
__attribute__((noinline)) static int async_arrow_ahead(P *p)
{
    lw_token nx = peek(p);
    if (!nx.nl_before && nx.type == TK_IDENT) {
        lw_lexer save = p->L;
        lw_token a, b;
        ami__lw_lex_next(p->C, &p->L, &a, 0);
        ami__lw_lex_next(p->C, &p->L, &b, 0);
        p->L = save;
        if (b.type == TK_PUNCT && strcmp(b.val, "=>") == 0 && !b.nl_before) { next(p); return 1; }
    } else if (!nx.nl_before && nx.type == TK_PUNCT && strcmp(nx.val, "(") == 0) {
        lw_lexer save = p->L;
        lw_token savetok = p->tok, saveprev = p->prev;
        next(p);
        if (paren_is_arrow(p)) return 1;
        p->L = save;
        p->tok = savetok;
        p->prev = saveprev;
    }
    return 0;
}

/* after `yield`: does an operand follow on the same line? */
static int yield_operand_follows(P *p)
{
    if (p->tok.nl_before || p->tok.type == TK_EOF) return 0;
    static const char *const stop[] = { ")", "]", "}", ",", ";", ":", "=>", "in", "of", "?", NULL };
    for (int i = 0; stop[i]; i++) if (tok_is(p, stop[i])) return 0;
    return 1;
}

static node *parse_assign(P *p)
{
    enter(p);
    lw_token st = p->tok;
    node *r;
    if (p->in_gen && st.type == TK_IDENT && !st.escaped && strcmp(st.val, "yield") == 0) {
        next(p);
        r = mk(p, N_YIELD, &st);
        if (tok_is(p, "*") && !p->tok.nl_before) {
            next(p);
            r->flags |= NF_GEN;
            r->a = parse_assign(p);
        } else if (yield_operand_follows(p)) {
            r->a = parse_assign(p);
        }
        leave(p);
        return r;
    }
    if (st.type == TK_IDENT && !st.escaped && strcmp(st.val, "async") == 0 && async_arrow_ahead(p)) {
        r = parse_arrow(p, &st, 1);
        leave(p);
        return r;
    }
    if (st.type == TK_IDENT) {
        lw_token nx = peek(p);
        if (nx.type == TK_PUNCT && strcmp(nx.val, "=>") == 0 && !nx.nl_before) {
            r = parse_arrow(p, &st, 0);
            leave(p);
            return r;
        }
    }
    if (tok_is(p, "(") && paren_is_arrow(p)) {
        r = parse_arrow(p, &st, 0);
        leave(p);
        return r;
    }
    if (tok_is(p, "<")) {
        /* TypeScript: <T>(x: T) => x */
        tsave sv = ts_save(p);
        if (ts_balanced(p) && tok_is(p, "(") && paren_is_arrow(p)) {
            ts_seen(p);
            r = parse_arrow(p, &st, 0);
            leave(p);
            return r;
        }
        ts_restore(p, &sv);
    }
    node *left = parse_conditional(p);
    if (tok_is(p, "=>")) ami__lw_fail(p->C, left->line, left->col, "Malformed arrow function parameter list");
    if (is_assign_op(p)) {
        lw_token op = p->tok;
        if (strcmp(op.val, "=") == 0) {
            if (left->type == N_ARRAY || left->type == N_OBJECT) left = to_pattern(p, left, 1);
            else if (!simple_target(left)) ami__lw_fail(p->C, left->line, left->col, "Invalid left-hand side in assignment");
        } else if (!simple_target(left)) {
            ami__lw_fail(p->C, left->line, left->col, "Invalid left-hand side in assignment");
        }
        next(p);
        node *a = mk(p, N_ASSIGN, &op);
        a->line = left->line; a->col = left->col;
        a->str = op.val;
        a->a = left;
        a->b = parse_assign(p);
        leave(p);
        return a;
    }
    leave(p);
    return left;
}

static node *parse_expr(P *p)
{
    node *e = parse_assign(p);
    if (tok_is(p, ",")) {
        node *s = mk(p, N_SEQ, &p->tok);
        s->line = e->line; s->col = e->col;
        nl l = { 0 };
        nl_add(&l, e);
        int count = 0;
        while (eat(p, ",")) {
            if (++count > MAX_CHAIN) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Expression too long");
            nl_add(&l, parse_assign(p));
        }
        s->list = l.head;
        return s;
    }
    return e;
}

/* ---- functions */

static int ts_modifier(P *p)
{
    static const char *const mods[] = { "public", "private", "protected", "readonly", "override", "declare", "abstract", "accessor", NULL };
    if (p->tok.type != TK_IDENT || p->tok.escaped) return 0;
    for (int i = 0; mods[i]; i++)
        if (!strcmp(p->tok.val, mods[i])) {
            lw_token nx = peek(p);
            if (nx.nl_before) return 0;
            if (nx.type == TK_PUNCT && strcmp(nx.val, "[") && strcmp(nx.val, "{") && strcmp(nx.val, "*")) return 0;
            if (nx.type == TK_EOF) return 0;
            return 1;
        }
    return 0;
}

static void parse_params(P *p, node *fn)
{
    expect(p, "(");
    nl l = { 0 };
    while (!tok_is(p, ")")) {
        if (tok_is(p, "this") && peek(p).type == TK_PUNCT && !strcmp(peek(p).val, ":")) {
            /* TypeScript's `this` parameter */
            next(p);
            next(p);
            ts_need_type(p);
            if (!tok_is(p, ")")) expect(p, ",");
            continue;
        }
        if (ts_modifier(p)) {
            /* constructor parameter property: becomes this.x = x */
            lw_token mt = p->tok;
            ts_seen(p);
            while (ts_modifier(p)) next(p);
            if (!(fn->flags & NF_CTOR) || p->tok.type != TK_IDENT)
                ami__lw_fail(p->C, mt.line, mt.col, "A parameter property is only allowed in a constructor, on a plain name");
            pprop *pp = ami__lw_alloc(p->C, sizeof *pp);
            pp->id = mk(p, N_IDENT, &p->tok);
            pp->id->str = p->tok.val;
            pp->id->slen = p->tok.vlen;
            pp->next = p->pprops;
            p->pprops = pp;
        }
        if (tok_is(p, "...")) {
            node *rest = mk(p, N_REST, &p->tok);
            next(p);
            rest->a = parse_binding_target(p, BK_PARAM);
            ts_binding_suffix(p, 0);
            nl_add(&l, rest);
            if (!tok_is(p, ")")) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Rest parameter must be last formal parameter");
            break;
        }
        nl_add(&l, parse_binding_element(p, BK_PARAM));
        if (!tok_is(p, ")")) expect(p, ",");
    }
    expect(p, ")");
    fn->list = l.head;
}

static node *parse_body(P *p, node *fn)
{
    node *b = mk(p, N_BLOCK, &p->tok);
    expect(p, "{");
    nl l = { 0 };
    while (!tok_is(p, "}")) {
        if (p->tok.type == TK_EOF) unexpected(p);
        nl_add(&l, parse_statement(p));
    }
    b->end_line = p->tok.line;
    fn->end_line = p->tok.line;
    next(p);
    b->list = l.head;
    return b;
}

typedef struct fnstate { int fn_depth, in_async, await_ok, no_in, in_gen; } fnstate;
static fnstate fn_enter(P *p, int is_async)
{
    fnstate s = { p->fn_depth, p->in_async, p->await_ok, p->no_in, p->in_gen };
    p->fn_depth++;
    p->in_gen = 0;
    p->in_async = is_async;
    p->await_ok = is_async;
    p->no_in = 0;
    return s;
}
static void fn_leave(P *p, fnstate s)
{
    p->fn_depth = s.fn_depth;
    p->in_gen = s.in_gen;
    p->in_async = s.in_async;
    p->await_ok = s.await_ok;
    p->no_in = s.no_in;
}

/* TypeScript constructor parameter properties: `this.x = x;` at the start
 * of the body (after the super(...) call of a derived class) */
static void ts_param_props(P *p, node *fn)
{
    node *body = fn->b;
    lw_token at = { 0 };
    at.line = body->line;
    at.col = body->col;
    node **slot = &body->list;
    if (fn->flags & NF_DERIVED) {
        for (node **q = &body->list; *q; q = &(*q)->next) {
            node *st = *q;
            if (st->type == N_EXPR_STMT && st->a && st->a->type == N_CALL && st->a->a && st->a->a->type == N_SUPER) {
                slot = &st->next;
                at.line = st->end_line;
                at.col = 1;
                break;
            }
        }
    }
    for (pprop *pp = p->pprops; pp; pp = pp->next) {   /* reversed list: prepend keeps source order */
        node *st = mk(p, N_EXPR_STMT, &at);
        node *as = mk(p, N_ASSIGN, &at);
        as->str = "=";
        node *m = mk(p, N_MEMBER, &at);
        node *th = mk(p, N_THIS, &at);
        add_ref(p, th);
        node *key = mk(p, N_STR, &at);
        key->str = pp->id->str;
        key->slen = pp->id->slen;
        key->kind = 1;
        m->a = th;
        m->b = key;
        node *val = mk(p, N_IDENT, &at);
        val->str = pp->id->str;
        val->slen = pp->id->slen;
        add_ref(p, val);
        as->a = m;
        as->b = val;
        st->a = as;
        st->next = *slot;
        *slot = st;
    }
}

/* after `function` (or at a method's name/params).  is_expr: expression vs declaration */
static node *parse_function(P *p, unsigned flags, const lw_token *start, int is_expr)
{
    node *fn = mk(p, N_FUNC, start);
    fn->flags = flags;
    if (!(flags & NF_METHOD)) {
        if (tok_is(p, "*")) { next(p); flags |= NF_GEN; fn->flags = flags; }
        if (p->tok.type == TK_IDENT) {
            if (is_expr) {
                fn->a = ident_node(p);
            } else {
                fn->a = ident_node(p);
                declare(p, fn->a, BK_FUNC);
            }
        } else if (!is_expr) {
            unexpected(p);
        }
    }
    fnstate s = fn_enter(p, (flags & NF_ASYNC) != 0);
    p->in_gen = (flags & NF_GEN) != 0;
    if (is_expr && fn->a) {
        /* the name of a function expression lives in its own scope */
        push_scope(p, SC_BLOCK, NULL);
        declare(p, fn->a, BK_FNAME);
        push_scope(p, SC_FUNC, fn);
    } else {
        push_scope(p, SC_FUNC, fn);
    }
    p->scope->is_async = (flags & NF_ASYNC) != 0;
    if (tok_is(p, "<")) ts_angle(p);
    pprop *outer_pprops = p->pprops;
    p->pprops = NULL;
    parse_params(p, fn);
    if (tok_is(p, ":")) { next(p); ts_need_type(p); }
    if (!tok_is(p, "{") && p->ts && (tok_is(p, ";") || tok_is(p, "}") || p->tok.nl_before || p->tok.type == TK_EOF)) {
        /* an overload signature or an abstract method: no body, dropped */
        eat(p, ";");
        fn->flags |= NF_TS_SIG;
        fn->b = mk(p, N_BLOCK, &p->prev);
    } else {
        fn->b = parse_body(p, fn);
    }
    if (p->pprops) ts_param_props(p, fn);
    p->pprops = outer_pprops;
    pop_scope(p);
    if (is_expr && fn->a) pop_scope(p);
    fn_leave(p, s);
    return fn;
}

/* at the parameter(s) of an arrow (after `async` if any) */
static node *parse_arrow(P *p, const lw_token *start, int is_async)
{
    node *fn = mk(p, N_FUNC, start);
    fn->flags = NF_ARROW | (is_async ? NF_ASYNC : 0);
    /* await inside an arrow needs the arrow to be async (as in Node) */
    fnstate s = fn_enter(p, is_async);
    push_scope(p, SC_ARROW, fn);
    p->scope->is_async = is_async;
    if (tok_is(p, "(")) {
        parse_params(p, fn);
        if (tok_is(p, ":")) { next(p); ts_need_type(p); }
    } else {
        node *id = ident_node(p);
        declare(p, id, BK_PARAM);
        fn->list = id;
    }
    if (!tok_is(p, "=>") || p->tok.nl_before) unexpected(p);
    next(p);
    if (tok_is(p, "{")) {
        fn->b = parse_body(p, fn);
    } else {
        fn->flags |= NF_EXPR_BODY;
        int ni = p->no_in;
        p->no_in = s.no_in;
        fn->b = parse_assign(p);
        p->no_in = ni;
        fn->end_line = p->prev.end_line;
    }
    pop_scope(p);
    fn_leave(p, s);
    return fn;
}

static node *parse_class(P *p, int is_decl)
{
    lw_token st = p->tok;
    node *c = mk(p, N_CLASS, &st);
    next(p);
    if (is_decl) c->flags |= NF_DECL;
    if (p->tok.type == TK_IDENT && !tok_is(p, "extends")) {
        c->a = ident_node(p);
        if (is_decl) declare(p, c->a, BK_CLASS);
    } else if (is_decl) {
        unexpected(p);
    }
    /* the class body sees its own name */
    push_scope(p, SC_BLOCK, NULL);
    c->scope = p->scope;
    if (c->a && !is_decl) declare(p, c->a, BK_FNAME);
    if (tok_is(p, "<")) ts_angle(p);
    if (tok_is(p, "extends")) {
        next(p);
        c->b = parse_lhs(p, 1);
        c->flags |= NF_DERIVED;
        if (tok_is(p, "<")) ts_angle(p);
    }
    if (tok_ident(p, "implements")) {
        ts_seen(p);
        next(p);
        ts_type_list(p);
    }
    expect(p, "{");
    nl l = { 0 };
    while (!tok_is(p, "}")) {
        if (eat(p, ";")) continue;
        lw_token mt = p->tok;
        node *m = mk(p, N_CLASS_MEMBER, &mt);
        int ts_drop = 0;   /* declare fields, index signatures: types only */
        for (;;) {
            if (ts_modifier(p)) {
                ts_seen(p);
                if (tok_ident(p, "declare")) ts_drop = 1;
                next(p);
                continue;
            }
            if (tok_ident(p, "static") && !(m->flags & NF_STATIC)) {
                lw_token nx = peek(p);
                if (!(nx.type == TK_PUNCT && (strcmp(nx.val, "(") == 0 || strcmp(nx.val, "=") == 0 ||
                                              strcmp(nx.val, ";") == 0 || strcmp(nx.val, "}") == 0 ||
                                              (p->ts && (strcmp(nx.val, ":") == 0 || strcmp(nx.val, "?") == 0 ||
                                                         strcmp(nx.val, "<") == 0))))) {
                    m->flags |= NF_STATIC;
                    next(p);
                    continue;
                }
            }
            break;
        }
        if (tok_is(p, "[")) {
            /* TypeScript index signature: [key: string]: T; */
            tsave sv = ts_save(p);
            next(p);
            int sig = p->tok.type == TK_IDENT && peek(p).type == TK_PUNCT && !strcmp(peek(p).val, ":");
            ts_restore(p, &sv);
            if (sig) {
                ts_seen(p);
                ts_balanced(p);
                ts_binding_suffix(p, 0);
                eat(p, ";");
                continue;
            }
        }
        int kind = PK_METHOD;
        unsigned fflags = 0;
        if (tok_ident(p, "get") || tok_ident(p, "set") || tok_ident(p, "async")) {
            lw_token nx = peek(p);
            if (is_key_start(&nx) && !(tok_ident(p, "async") && nx.nl_before)) {
                if (tok_ident(p, "get")) kind = PK_GET;
                else if (tok_ident(p, "set")) kind = PK_SET;
                else fflags |= NF_ASYNC;
                next(p);
            }
        }
        if (tok_is(p, "*")) {
            if (kind != PK_METHOD) unexpected(p);
            next(p);
            fflags |= NF_GEN;
        }
        if (p->tok.type == TK_PRIVATE) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Private class members (#names) are not supported");
        m->a = parse_prop_key(p, m);
        if (tok_is(p, "?") || (tok_is(p, "!") && !p->tok.nl_before)) {   /* TypeScript optional / definite member */
            ts_seen(p);
            next(p);
        }
        if (tok_is(p, "<")) ts_angle(p);
        if (tok_is(p, ":") && kind == PK_METHOD && !fflags) { next(p); ts_need_type(p); }
        if (ts_drop) {
            if (tok_is(p, "(")) parse_method(p, &mt, fflags);
            if (!eat(p, ";") && !tok_is(p, "}") && !p->tok.nl_before) unexpected(p);
            continue;
        }
        if (!tok_is(p, "(")) {
            if (!(tok_is(p, "=") || tok_is(p, ";") || tok_is(p, "}") || p->tok.nl_before) || kind != PK_METHOD || fflags)
                unexpected(p);
            /* field: initialisers run in a synthetic method (one per class
             * for instance fields, one for static ones) */
            if (m->flags & NF_COMPUTED) ami__lw_fail(p->C, mt.line, mt.col, "Computed class field names are not supported");
            if (m->a->type == N_STR && strcmp(m->a->str, "constructor") == 0) ami__lw_fail(p->C, mt.line, mt.col, "Classes may not have a field named 'constructor'");
            node **slot = (m->flags & NF_STATIC) ? &c->d : &c->c;
            if (!*slot) {
                node *fn = mk(p, N_FUNC, &mt);
                fn->flags = NF_METHOD | (c->flags & NF_DERIVED);
                push_scope(p, SC_FUNC, fn);
                pop_scope(p);
                *slot = fn;
            }
            m->kind = PK_INIT;
            if (eat(p, "=")) {
                lw_scope *saved = p->scope;
                p->scope = (*slot)->scope;
                fnstate fs = fn_enter(p, 0);
                m->b = parse_assign_in(p);
                fn_leave(p, fs);
                p->scope = saved;
            }
            if (!eat(p, ";") && !tok_is(p, "}") && !p->tok.nl_before) unexpected(p);
            nl_add(&l, m);
            continue;
        }
        m->kind = kind;
        int is_ctor = !(m->flags & (NF_STATIC | NF_COMPUTED)) && m->a->type == N_STR &&
                      strcmp(m->a->str, "constructor") == 0;
        if (is_ctor) {
            if (kind != PK_METHOD || (fflags & NF_ASYNC)) ami__lw_fail(p->C, mt.line, mt.col, "Class constructor may not be an accessor or async");
            m->flags |= NF_CTOR;
        }
        fflags |= (c->flags & NF_DERIVED);
        if (is_ctor) fflags |= NF_CTOR;
        m->b = parse_method(p, &mt, fflags);
        if (m->b->flags & NF_TS_SIG) continue;   /* overload / abstract: types only */
        nl_add(&l, m);
    }
    c->end_line = p->tok.line;
    next(p);
    c->list = l.head;
    pop_scope(p);
    return c;
}

/* ---- statements */

/* TypeScript enum (after `enum`, or `const enum`), lowered to
 *   let E = (function () { var A = 0; var B = A + 1; …; return __ami_enum(["A", "B"], [A, B]); })();
 * so initialisers see the earlier members by name; numeric members get the
 * reverse mapping (E[0] === "A"). */
static node *ts_enum(P *p, const lw_token *st)
{
    ts_seen(p);
    next(p);
    node *name = ident_node(p);
    declare(p, name, BK_LET);
    node *v = mk(p, N_VAR, st);
    v->kind = VK_LET;
    node *d = mk(p, N_DECL, st);
    d->a = name;
    v->list = d;
    node *fn = mk(p, N_FUNC, st);
    fnstate fs = fn_enter(p, 0);
    push_scope(p, SC_FUNC, fn);
    node *blk = mk(p, N_BLOCK, &p->tok);
    expect(p, "{");
    nl body = { 0 }, keys = { 0 }, vals = { 0 };
    node *prev = NULL;
    int idx = 0;
    while (!tok_is(p, "}")) {
        lw_token mt = p->tok;
        node *key;
        int plain = p->tok.type == TK_IDENT;
        if (p->tok.type == TK_STR) {
            key = mk(p, N_STR, &mt);
            key->str = p->tok.val;
            key->slen = p->tok.vlen;
            next(p);
        } else if (p->tok.type == TK_IDENT || p->tok.type == TK_KEYWORD) {
            key = name_key(p);
        } else {
            unexpected(p);
        }
        node *vid = mk(p, N_IDENT, &mt);
        if (plain) {
            vid->str = key->str;
            vid->slen = key->slen;
        } else {
            char buf[32];
            int n = snprintf(buf, sizeof buf, "__ami_e%d", idx);
            vid->str = ami__lw_strndup(p->C, buf, (size_t)n);
            vid->slen = (size_t)n;
        }
        ami__lw_nameset_add(p->C, vid->str);
        node *init;
        if (eat(p, "=")) {
            init = parse_assign_in(p);
        } else if (!prev) {
            init = mk(p, N_NUM, &mt);
            init->str = "0";
            init->slen = 1;
        } else {
            init = mk(p, N_BINARY, &mt);
            init->str = "+";
            init->kind = mt.line;
            node *r = mk(p, N_IDENT, &mt);
            r->str = prev->str;
            r->slen = prev->slen;
            add_ref(p, r);
            node *one = mk(p, N_NUM, &mt);
            one->str = "1";
            one->slen = 1;
            init->a = r;
            init->b = one;
        }
        declare(p, vid, BK_VAR);
        node *vv = mk(p, N_VAR, &mt);
        vv->kind = VK_VAR;
        node *dd = mk(p, N_DECL, &mt);
        dd->a = vid;
        dd->b = init;
        vv->list = dd;
        nl_add(&body, vv);
        nl_add(&keys, key);
        node *ref = mk(p, N_IDENT, &mt);
        ref->str = vid->str;
        ref->slen = vid->slen;
        add_ref(p, ref);
        nl_add(&vals, ref);
        prev = vid;
        idx++;
        if (!tok_is(p, "}")) expect(p, ",");
    }
    lw_token end = p->tok;
    for (node *k = keys.head; k; k = k->next) { k->line = end.line; k->col = end.col; }
    for (node *k = vals.head; k; k = k->next) { k->line = end.line; k->col = end.col; }
    next(p);
    node *ret = mk(p, N_RETURN, &end);
    node *call = mk(p, N_CALL, &end);
    node *callee = mk(p, N_IDENT, &end);
    callee->str = "__ami_enum";
    callee->slen = 10;
    ami__lw_nameset_add(p->C, callee->str);
    add_ref(p, callee);
    node *ka = mk(p, N_ARRAY, &end), *va = mk(p, N_ARRAY, &end);
    ka->list = keys.head;
    va->list = vals.head;
    ka->next = va;
    call->a = callee;
    call->list = ka;
    ret->a = call;
    nl_add(&body, ret);
    blk->list = body.head;
    blk->end_line = end.line;
    fn->b = blk;
    fn->end_line = end.line;
    pop_scope(p);
    fn_leave(p, fs);
    node *paren = mk(p, N_PAREN, st);
    paren->a = fn;
    paren->end_line = end.line;
    node *iife = mk(p, N_CALL, st);
    iife->a = paren;
    iife->end_line = end.line;
    d->b = iife;
    v->end_line = end.line;
    return v;
}

static node *parse_var(P *p, int kind, int in_for)
{
    node *v = mk(p, N_VAR, &p->tok);
    v->kind = kind;
    next(p);
    int bk = kind == VK_VAR ? BK_VAR : kind == VK_LET ? BK_LET : BK_CONST;
    nl l = { 0 };
    for (;;) {
        node *d = mk(p, N_DECL, &p->tok);
        d->a = parse_binding_target(p, bk);
        ts_binding_suffix(p, 0);
        if (eat(p, "=")) {
            d->b = parse_assign(p);
        } else if (!(in_for && (tok_ident(p, "of") || tok_is(p, "in")))) {
            if (kind == VK_CONST) ami__lw_fail(p->C, d->line, d->col, "Missing initializer in const declaration");
            if (d->a->type != N_IDENT) ami__lw_fail(p->C, d->line, d->col, "Missing initializer in destructuring declaration");
        }
        nl_add(&l, d);
        if (!eat(p, ",")) break;
    }
    v->list = l.head;
    return v;
}

static int let_starts_decl(P *p)
{
    if (!tok_ident(p, "let")) return 0;
    lw_token nx = peek(p);
    if (nx.type == TK_IDENT) return 1;
    return nx.type == TK_PUNCT && (strcmp(nx.val, "[") == 0 || strcmp(nx.val, "{") == 0);
}

static node *parse_block(P *p)
{
    node *b = mk(p, N_BLOCK, &p->tok);
    expect(p, "{");
    push_scope(p, SC_BLOCK, b);
    nl l = { 0 };
    while (!tok_is(p, "}")) {
        if (p->tok.type == TK_EOF) unexpected(p);
        nl_add(&l, parse_statement(p));
    }
    b->end_line = p->tok.line;
    next(p);
    pop_scope(p);
    b->list = l.head;
    return b;
}

/* loop bodies always get a scope (for per-iteration bindings) */
static node *parse_loop_body(P *p)
{
    if (tok_is(p, "{")) {
        node *b = parse_block(p);
        b->scope->is_loop_body = 1;
        return b;
    }
    node *b = mk(p, N_BLOCK, &p->tok);
    b->flags |= NF_EXPR_BODY;   /* synthetic braces */
    push_scope(p, SC_BLOCK, b);
    p->scope->is_loop_body = 1;
    b->list = parse_statement(p);
    b->end_line = p->prev.end_line;
    pop_scope(p);
    return b;
}

static node *parse_for(P *p)
{
    lw_token st = p->tok;
    next(p);
    int is_await = 0;
    if (tok_ident(p, "await")) {
        if (!p->await_ok) unexpected(p);
        is_await = 1;
        next(p);
    }
    expect(p, "(");
    node *f = mk(p, N_FOR, &st);
    push_scope(p, SC_BLOCK, f);
    node *init = NULL;
    p->no_in = 1;
    if (tok_is(p, ";")) {
        init = NULL;
    } else if (tok_is(p, "var")) {
        init = parse_var(p, VK_VAR, 1);
    } else if (tok_is(p, "const") || let_starts_decl(p)) {
        int k = tok_is(p, "const") ? VK_CONST : VK_LET;
        init = parse_var(p, k, 1);
        p->scope->is_loop_head = 1;
    } else {
        init = parse_expr(p);
    }
    p->no_in = 0;
    if (is_await && !(init && tok_ident(p, "of"))) ami__lw_fail(p->C, st.line, st.col, "for await requires an of loop");
    if (is_await) f->flags |= NF_AWAIT_OF;
    if (init && (tok_ident(p, "of") || tok_is(p, "in"))) {
        int is_of = tok_ident(p, "of");
        f->type = is_of ? N_FOROF : N_FORIN;
        if (init->type == N_VAR) {
            if (init->list->next) ami__lw_fail(p->C, init->line, init->col, "Invalid left-hand side in for-%s loop: Must have a single binding.", is_of ? "of" : "in");
            if (init->list->b && (is_of || init->kind != VK_VAR || init->list->a->type != N_IDENT))
                ami__lw_fail(p->C, init->line, init->col, "for-%s loop variable declaration may not have an initializer.", is_of ? "of" : "in");
        } else {
            if (init->type == N_ARRAY || init->type == N_OBJECT) init = to_pattern(p, init, 1);
            else if (!simple_target(init)) ami__lw_fail(p->C, init->line, init->col, "Invalid left-hand side in for-loop");
        }
        next(p);
        f->a = init;
        f->b = is_of ? parse_assign_in(p) : parse_expr_in(p);
        expect(p, ")");
        f->d = parse_loop_body(p);
        f->end_line = p->prev.end_line;
        pop_scope(p);
        return f;
    }
    if (init && init->type == N_VAR)
        for (node *d = init->list; d; d = d->next)
            if (!d->b && (init->kind == VK_CONST || d->a->type != N_IDENT))
                ami__lw_fail(p->C, d->line, d->col, "Missing initializer in declaration");
    f->a = init;
    expect(p, ";");
    if (!tok_is(p, ";")) f->b = parse_expr_in(p);
    expect(p, ";");
    if (!tok_is(p, ")")) f->c = parse_expr_in(p);
    expect(p, ")");
    f->d = parse_loop_body(p);
    f->end_line = p->prev.end_line;
    pop_scope(p);
    return f;
}

static node *parse_statement(P *p)
{
    enter(p);
    lw_token t = p->tok;
    node *s = NULL;
    if (t.type == TK_PUNCT) {
        if (strcmp(t.val, "{") == 0) { s = parse_block(p); goto out; }
        if (strcmp(t.val, ";") == 0) { s = mk(p, N_EMPTY, &t); next(p); goto out; }
    }
    if (t.type == TK_KEYWORD) {
        const char *k = t.val;
        if (!strcmp(k, "const") && peek(p).type == TK_KEYWORD && !strcmp(peek(p).val, "enum")) {
            next(p);
            s = ts_enum(p, &t);
            goto out;
        }
        if (!strcmp(k, "var") || !strcmp(k, "const")) {
            s = parse_var(p, k[0] == 'v' ? VK_VAR : VK_CONST, 0);
            semicolon(p);
            goto out;
        }
        if (!strcmp(k, "function")) {
            next(p);
            s = parse_function(p, NF_DECL, &t, 0);
            if (s->flags & NF_TS_SIG) s = mk(p, N_EMPTY, &t);   /* overload signature */
            goto out;
        }
        if (!strcmp(k, "class")) { s = parse_class(p, 1); goto out; }
        if (!strcmp(k, "if")) {
            next(p);
            s = mk(p, N_IF, &t);
            expect(p, "(");
            s->a = parse_expr_in(p);
            expect(p, ")");
            s->b = parse_statement(p);
            if (eat(p, "else")) s->c = parse_statement(p);
            goto out;
        }
        if (!strcmp(k, "for")) { s = parse_for(p); goto out; }
        if (!strcmp(k, "while")) {
            next(p);
            s = mk(p, N_WHILE, &t);
            expect(p, "(");
            s->a = parse_expr_in(p);
            expect(p, ")");
            s->d = parse_loop_body(p);
            goto out;
        }
        if (!strcmp(k, "do")) {
            next(p);
            s = mk(p, N_DOWHILE, &t);
            s->d = parse_loop_body(p);
            expect(p, "while");
            expect(p, "(");
            s->a = parse_expr_in(p);
            expect(p, ")");
            eat(p, ";");
            goto out;
        }
        if (!strcmp(k, "return")) {
            next(p);
            s = mk(p, N_RETURN, &t);
            if (!tok_is(p, ";") && !tok_is(p, "}") && p->tok.type != TK_EOF && !p->tok.nl_before) s->a = parse_expr_in(p);
            semicolon(p);
            goto out;
        }
        if (!strcmp(k, "break") || !strcmp(k, "continue")) {
            next(p);
            s = mk(p, k[0] == 'b' ? N_BREAK : N_CONTINUE, &t);
            if (p->tok.type == TK_IDENT && !p->tok.nl_before) { s->str = p->tok.val; next(p); }
            semicolon(p);
            goto out;
        }
        if (!strcmp(k, "throw")) {
            next(p);
            if (p->tok.nl_before) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Illegal newline after throw");
            s = mk(p, N_THROW, &t);
            s->a = parse_expr_in(p);
            semicolon(p);
            goto out;
        }
        if (!strcmp(k, "try")) {
            next(p);
            s = mk(p, N_TRY, &t);
            s->a = parse_block(p);
            if (tok_is(p, "catch")) {
                lw_token ct = p->tok;
                next(p);
                node *h = mk(p, N_BLOCK, &ct);
                push_scope(p, SC_BLOCK, h);
                if (eat(p, "(")) {
                    s->b = parse_binding_target(p, BK_CATCH);
                    ts_binding_suffix(p, 0);
                    expect(p, ")");
                }
                h->a = parse_block(p);
                pop_scope(p);
                s->c = h;
            }
            if (eat(p, "finally")) s->d = parse_block(p);
            if (!s->c && !s->d) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Missing catch or finally after try");
            goto out;
        }
        if (!strcmp(k, "switch")) {
            next(p);
            s = mk(p, N_SWITCH, &t);
            expect(p, "(");
            s->a = parse_expr_in(p);
            expect(p, ")");
            expect(p, "{");
            push_scope(p, SC_BLOCK, s);
            p->scope->is_switch = 1;
            nl cases = { 0 };
            int seen_default = 0;
            while (!tok_is(p, "}")) {
                node *c = mk(p, N_CASE, &p->tok);
                if (eat(p, "case")) {
                    c->a = parse_expr_in(p);
                } else {
                    if (seen_default) ami__lw_fail(p->C, p->tok.line, p->tok.col, "More than one default clause in switch statement");
                    expect(p, "default");
                    seen_default = 1;
                }
                expect(p, ":");
                nl body = { 0 };
                while (!tok_is(p, "case") && !tok_is(p, "default") && !tok_is(p, "}")) {
                    if (p->tok.type == TK_EOF) unexpected(p);
                    nl_add(&body, parse_statement(p));
                }
                c->list = body.head;
                nl_add(&cases, c);
            }
            s->end_line = p->tok.line;
            next(p);
            pop_scope(p);
            s->list = cases.head;
            goto out;
        }
        if (!strcmp(k, "debugger")) { next(p); s = mk(p, N_DEBUGGER, &t); semicolon(p); goto out; }
        if (!strcmp(k, "with")) ami__lw_fail(p->C, t.line, t.col, "with statements are not supported");
        if (!strcmp(k, "import") || !strcmp(k, "export")) {
            lw_token nx = peek(p);
            if (nx.type == TK_IDENT && !nx.nl_before && (!strcmp(nx.val, "type") || (k[0] == 'e' && !strcmp(nx.val, "interface")))) {
                /* import type / export type / export interface: types only, removed */
                next(p);
                if (tok_ident(p, "interface") || (tok_ident(p, "type") && peek(p).type == TK_IDENT && k[0] == 'e')) {
                    s = parse_statement(p);
                    goto out;
                }
                ts_skip_declaration(p);
                s = mk(p, N_EMPTY, &t);
                goto out;
            }
            if (!(nx.type == TK_PUNCT && (strcmp(nx.val, "(") == 0 || strcmp(nx.val, ".") == 0)) || !strcmp(k, "export"))
                ami__lw_fail(p->C, t.line, t.col, "Modules (import/export) are not supported");
        }
        if (!strcmp(k, "enum")) { s = ts_enum(p, &t); goto out; }
    }
    if (t.type == TK_IDENT && !t.escaped) {
        lw_token nx = peek(p);
        int same = !nx.nl_before;
        if (same && nx.type == TK_IDENT && !strcmp(t.val, "interface")) {
            ts_seen(p);
            next(p);
            next(p);
            if (tok_is(p, "<")) ts_angle(p);
            if (eat(p, "extends")) ts_type_list(p);
            if (!tok_is(p, "{")) unexpected(p);
            if (!ts_balanced(p)) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Unexpected end of input");
            s = mk(p, N_EMPTY, &t);
            goto out;
        }
        if (same && nx.type == TK_IDENT && !strcmp(t.val, "type")) {
            ts_seen(p);
            next(p);
            next(p);
            if (tok_is(p, "<")) ts_angle(p);
            expect(p, "=");
            ts_need_type(p);
            semicolon(p);
            s = mk(p, N_EMPTY, &t);
            goto out;
        }
        if (same && !strcmp(t.val, "declare") &&
            ((nx.type == TK_KEYWORD && (!strcmp(nx.val, "var") || !strcmp(nx.val, "const") || !strcmp(nx.val, "function") ||
                                        !strcmp(nx.val, "class") || !strcmp(nx.val, "enum"))) ||
             (nx.type == TK_IDENT && (!strcmp(nx.val, "let") || !strcmp(nx.val, "namespace") || !strcmp(nx.val, "module") ||
                                      !strcmp(nx.val, "global") || !strcmp(nx.val, "type") || !strcmp(nx.val, "interface") ||
                                      !strcmp(nx.val, "abstract") || !strcmp(nx.val, "async"))))) {
            next(p);
            ts_skip_declaration(p);
            s = mk(p, N_EMPTY, &t);
            goto out;
        }
        if (same && !strcmp(t.val, "abstract") && nx.type == TK_KEYWORD && !strcmp(nx.val, "class")) {
            ts_seen(p);
            next(p);
            s = parse_class(p, 1);
            goto out;
        }
        if (same && (nx.type == TK_IDENT || nx.type == TK_STR) && (!strcmp(t.val, "namespace") || !strcmp(t.val, "module")))
            ami__lw_fail(p->C, t.line, t.col, "TypeScript namespaces are not supported (use an object, or `declare namespace` for types only)");
    }
    if (t.type == TK_IDENT) {
        if (let_starts_decl(p)) {
            s = parse_var(p, VK_LET, 0);
            semicolon(p);
            goto out;
        }
        if (!t.escaped && strcmp(t.val, "async") == 0) {
            lw_token nx = peek(p);
            if (nx.type == TK_KEYWORD && strcmp(nx.val, "function") == 0 && !nx.nl_before) {
                next(p);
                next(p);
                s = parse_function(p, NF_DECL | NF_ASYNC, &t, 0);
                if (s->flags & NF_TS_SIG) s = mk(p, N_EMPTY, &t);
                goto out;
            }
        }
        lw_token nx = peek(p);
        if (nx.type == TK_PUNCT && strcmp(nx.val, ":") == 0 && !(p->await_ok && strcmp(t.val, "await") == 0)) {
            s = mk(p, N_LABELED, &t);
            s->str = t.val;
            next(p);
            next(p);
            if (tok_is(p, "function")) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Labelled function declarations are not supported");
            s->a = parse_statement(p);
            goto out;
        }
    }
    s = mk(p, N_EXPR_STMT, &t);
    s->a = parse_expr_in(p);
    semicolon(p);
out:
    s->end_line = s->end_line > p->prev.end_line ? s->end_line : p->prev.end_line;
    leave(p);
    return s;
}

node *ami__lw_parse(lw_ctx *C)
{
    P p;
    memset(&p, 0, sizeof p);
    p.C = C;
    ami__lw_lex_init(&p.L, C->src, C->len);
    node *prog = ami__lw_alloc(C, sizeof *prog);
    prog->type = N_PROGRAM;
    prog->line = 1;
    push_scope(&p, SC_FUNC, prog);
    C->root = p.scope;
    p.await_ok = 1;       /* top-level await */
    p.ts = C->lang_ts;
    p.in_async = 1;
    p.scope->is_async = 0;
    ami__lw_lex_next(C, &p.L, &p.tok, 1);
    nl l = { 0 };
    while (p.tok.type != TK_EOF) nl_add(&l, parse_statement(&p));
    prog->list = l.head;
    prog->end_line = p.tok.line;
    return prog;
}
