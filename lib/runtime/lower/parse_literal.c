/* Parser: template literals, call arguments, array and object literals. */
#include "runtime/lower/parse.h"

/* ---- expressions */

node *parse_template(P *p, node *tag)
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

node *parse_args(P *p, node *call)
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

node *parse_array(P *p)
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
node *parse_prop_key(P *p, node *prop)
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

int is_key_start(lw_token *t)
{
    if (t->type == TK_IDENT || t->type == TK_KEYWORD || t->type == TK_STR || t->type == TK_NUM || t->type == TK_PRIVATE) return 1;
    return t->type == TK_PUNCT && (strcmp(t->val, "[") == 0 || strcmp(t->val, "*") == 0);
}

node *parse_method(P *p, const lw_token *st, unsigned flags)
{
    return parse_function(p, flags | NF_METHOD, st, 1);
}

node *parse_object(P *p)
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

