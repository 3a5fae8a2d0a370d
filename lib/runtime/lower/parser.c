/* Parser: tokens (next, expect, automatic semicolons, lookahead), nodes,
 * scopes and declarations, and the entry point ami__lw_parse. */
#include "runtime/lower/parse.h"

int tok_is(P *p, const char *s)
{
    return (p->tok.type == TK_PUNCT || p->tok.type == TK_KEYWORD) && strcmp(p->tok.val, s) == 0;
}
int tok_ident(P *p, const char *s)
{
    return p->tok.type == TK_IDENT && !p->tok.escaped && strcmp(p->tok.val, s) == 0;
}

/* whether a '/' after token t (preceded by `before`) starts a regex */
int regex_allowed_after2(const lw_token *t, const lw_token *before)
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


void next(P *p)
{
    lw_token before = p->prev;
    p->prev = p->tok;
    ami__lw_lex_next(p->C, &p->L, &p->tok, regex_allowed_after2(&p->prev, &before));
}

void unexpected(P *p)
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

void expect(P *p, const char *s)
{
    if (!tok_is(p, s)) unexpected(p);
    next(p);
}

int eat(P *p, const char *s)
{
    if (tok_is(p, s)) { next(p); return 1; }
    return 0;
}

void semicolon(P *p)
{
    if (eat(p, ";")) return;
    if (tok_is(p, "}") || p->tok.type == TK_EOF || p->tok.nl_before) return;
    unexpected(p);
}

__attribute__((noinline)) lw_token peek(P *p)
{
    lw_lexer save = p->L;
    lw_token t;
    ami__lw_lex_next(p->C, &p->L, &t, 0);
    p->L = save;
    return t;
}

void enter(P *p)
{
    if (++p->depth > MAX_DEPTH) ami__lw_fail(p->C, p->tok.line, p->tok.col, "Code nested too deeply");
}
void leave(P *p) { p->depth--; }

node *mk(P *p, int type, const lw_token *t)
{
    node *n = ami__lw_alloc(p->C, sizeof *n);
    n->type = type;
    n->line = t->line;
    n->col = t->col;
    n->end_line = t->line;
    p->C->nodes++;
    return n;
}

void nl_add(nl *l, node *n)
{
    n->next = NULL;
    if (l->tail) l->tail->next = n; else l->head = n;
    l->tail = n;
    l->n++;
}

/* ---- scopes */

lw_scope *push_scope(P *p, int kind, node *owner)
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
void pop_scope(P *p) { p->scope = p->scope->parent; }

static lw_scope *func_scope(lw_scope *s)
{
    while (s->kind == SC_BLOCK) s = s->parent;
    return s;
}

static int lexical(int k) { return k == BK_LET || k == BK_CONST || k == BK_CLASS; }

void declare(P *p, node *id, int kind)
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

void add_ref(P *p, node *id)
{
    id->ref_scope = p->scope;
    lw_ref *r = ami__lw_alloc(p->C, sizeof *r);
    r->id = id;
    r->next = p->C->refs;
    p->C->refs = r;
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
