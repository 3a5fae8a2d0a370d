/* Parser: parameters and bodies of functions, function and arrow
 * expressions, classes. */
#include "runtime/lower/parse.h"

/* ---- functions */

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

fnstate fn_enter(P *p, int is_async)
{
    fnstate s = { p->fn_depth, p->in_async, p->await_ok, p->no_in, p->in_gen };
    p->fn_depth++;
    p->in_gen = 0;
    p->in_async = is_async;
    p->await_ok = is_async;
    p->no_in = 0;
    return s;
}
void fn_leave(P *p, fnstate s)
{
    p->fn_depth = s.fn_depth;
    p->in_gen = s.in_gen;
    p->in_async = s.in_async;
    p->await_ok = s.await_ok;
    p->no_in = s.no_in;
}

/* after `function` (or at a method's name/params).  is_expr: expression vs declaration */
node *parse_function(P *p, unsigned flags, const lw_token *start, int is_expr)
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
node *parse_arrow(P *p, const lw_token *start, int is_async)
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

node *parse_class(P *p, int is_decl)
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

