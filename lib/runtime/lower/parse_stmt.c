/* Parser: statements (declarations, blocks, loops, switch, try, labels). */
#include "runtime/lower/parse.h"

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

node *parse_statement(P *p)
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

