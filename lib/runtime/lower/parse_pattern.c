/* Parser: binding patterns (declarations, parameters) and turning an
 * expression into an assignment pattern. */
#include "runtime/lower/parse.h"

/* ---- binding patterns */

node *parse_binding_element(P *p, int bkind)
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

node *parse_binding_target(P *p, int bkind)
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
node *to_pattern(P *p, node *e, int top)
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

int simple_target(node *e)
{
    while (e->type == N_PAREN) e = e->a;
    if (e->type == N_IDENT) return strcmp(e->str, "eval") != 0 && strcmp(e->str, "arguments") != 0;
    return e->type == N_MEMBER;
}

