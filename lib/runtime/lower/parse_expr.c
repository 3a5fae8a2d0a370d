/* Parser: expressions (primary, member/call chains, unary, binary,
 * conditional, arrows' lookahead, assignment, yield, sequence). */
#include "runtime/lower/parse.h"

static node *parse_unary(P *p);

node *parse_expr_in(P *p)
{
    int s = p->no_in;
    p->no_in = 0;
    node *e = parse_expr(p);
    p->no_in = s;
    return e;
}
node *parse_assign_in(P *p)
{
    int s = p->no_in;
    p->no_in = 0;
    node *e = parse_assign(p);
    p->no_in = s;
    return e;
}

node *ident_node(P *p)
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
node *name_key(P *p)
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

node *parse_lhs(P *p, int allow_call)
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

node *parse_assign(P *p)
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

node *parse_expr(P *p)
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

