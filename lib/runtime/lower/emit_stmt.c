/* Emitter: statements: declarations, blocks, loops (per-iteration bindings,
 * for-of with iterator close), switch, try, labels. */
#include "runtime/lower/emit.h"

/* ---- statements */

static void emit_decls(E *e, node *v, int in_for_init)
{
    int as_assign = v->kind == VK_VAR && e->cur->is_wrap;
    int in_block = 0;
    /* let without initializer inside a block re-initialises each time */
    if (v->kind == VK_LET) in_block = 1;
    int first = 1;
    if (!as_assign) { sync(e, v->line); P("var "); }
    for (node *d = v->list; d; d = d->next) {
        node *t = d->a;
        if (t->type == N_IDENT) {
            if (as_assign) {
                hoist_var(e, ident_out(t));
                if (!d->b) continue;
                sep(e, &first);
                sync(e, t->line);
                P(ident_out(t));
                P(" = ");
                emit_expr(e, d->b);
                continue;
            }
            sep(e, &first);
            sync(e, t->line);
            P(ident_out(t));
            if (d->b) { P(" = "); emit_expr(e, d->b); }
            else if (in_block && !in_for_init) P(" = void 0");
            continue;
        }
        /* pattern */
        if (!d->b) fail(e, d, "Missing initializer in destructuring declaration");
        val v0 = { NULL, NULL, d->b };
        const char *tmp = to_temp(e, v0, &first);
        val vv = { tmp, NULL, NULL };
        if (as_assign) {
            /* hoist each bound name */
            node *stack[256];
            int sp = 0;
            stack[sp++] = t;
            while (sp) {
                node *x = stack[--sp];
                if (!x) continue;
                if (x->type == N_IDENT) { hoist_var(e, ident_out(x)); continue; }
                if (x->type == N_ASSIGN_PAT || x->type == N_REST) { if (sp < 255) stack[sp++] = x->a; continue; }
                if (x->type == N_PROP) { if (sp < 255) stack[sp++] = x->b; continue; }
                if (x->type == N_ARRAY_PAT || x->type == N_OBJ_PAT)
                    for (node *y = x->list; y; y = y->next) if (sp < 255) stack[sp++] = y;
            }
        }
        assign_pattern(e, t, vv, !as_assign, &first);
    }
    if (as_assign && first) P("void 0");
}

static void emit_body_block_inner(E *e, node *body)
{
    /* statements of a loop body (real or synthetic block) */
    if (body->type == N_BLOCK) {
        if (body->flags & NF_EXPR_BODY) emit_stmt(e, body->list);
        else emit_stmts(e, body->list);
    } else {
        emit_stmt(e, body);
    }
}

/* loop body; head_bind: scope whose bindings are passed to a wrapped body; prefix: callback for head assignment */
typedef void (*prefix_fn)(E *e, node *loop, void *arg);

static void emit_loop_body(E *e, node *loop, jump *j, lw_scope *head, prefix_fn prefix, void *arg)
{
    node *body = loop->d;
    sync(e, body->line);
    P("{");
    if (prefix) prefix(e, loop, arg);
    if (!body->scope || !body->scope->wrap) {
        emit_tdz_init(e, body->scope);
        emit_body_block_inner(e, body);
        sync(e, body->end_line);
        P("}");
        return;
    }
    /* per-iteration IIFE */
    const char *r = temp(e);
    P(" ");
    P(r);
    P(" = (function(");
    int first = 1;
    if (body->scope->wrap == 2 && head) {
        for (lw_binding *b = head->bindings; b; b = b->next) {
            if (!first) P(", ");
            first = 0;
            P(b->out);
        }
    }
    P("){");
    /* writes to the loop variables inside the body reach the next iteration */
    const char *back[64];
    int nback = 0;
    if (body->scope->wrap == 2 && head)
        for (lw_binding *b = head->bindings; b && nback < 64; b = b->next)
            if (b->kind == BK_LET) back[nback++] = temp(e);
    fnctx *f = fn_push(e, body->scope, 1, 1);
    f->wrap_loop = j;
    emit_tdz_init(e, body->scope);
    if (nback) P(" try {");
    emit_body_block_inner(e, body);
    if (nback) {
        P(" } finally {");
        int k = 0;
        for (lw_binding *b = head->bindings; b && k < nback; b = b->next)
            if (b->kind == BK_LET) { P(" "); P(back[k++]); P(" = "); P(b->out); P(";"); }
        P(" }");
    }
    exitrec *exits = f->exits;
    fn_pop(e);
    sync(e, body->end_line);
    P("})(");
    first = 1;
    if (body->scope->wrap == 2 && head) {
        for (lw_binding *b = head->bindings; b; b = b->next) {
            if (!first) P(", ");
            first = 0;
            P(b->out);
        }
    }
    P("); ");
    if (nback) {
        int k = 0;
        for (lw_binding *b = head->bindings; b && k < nback; b = b->next)
            if (b->kind == BK_LET) { P(b->out); P(" = "); P(back[k++]); P("; "); }
    }
    emit_exit_checks(e, loop, exits, r);
    P("}");
}

static jump *loop_jump(E *e)
{
    jump *j = push_jump(e, 'l', NULL);
    return j;
}

typedef struct forof_arg { const char *s; } forof_arg;

static void forof_prefix(E *e, node *loop, void *arg)
{
    forof_arg *fa = arg;
    node *left = loop->a;
    const char *value = fa->s;
    P(" ");
    if (left->type == N_VAR) {
        node *d = left->list;
        int as_assign = left->kind == VK_VAR && e->cur->is_wrap;
        int first = 1;
        if (!as_assign) P("var ");
        val v = { value, NULL, NULL };
        if (d->a->type == N_IDENT) {
            if (as_assign) hoist_var(e, ident_out(d->a));
            P(ident_out(d->a));
            P(" = ");
            P(value);
        } else {
            if (as_assign) fail(e, d, "Destructuring var in a per-iteration scope is not supported");
            assign_pattern(e, d->a, v, 1, &first);
        }
    } else {
        int first = 1;
        val v = { value, NULL, NULL };
        assign_target(e, left, v, 0, &first);
    }
    P(";");
}

static void emit_for(E *e, node *n)
{
    jump *j = loop_jump(e);
    sync(e, n->line);
    if (n->type == N_FOR) {
        P("for (");
        if (n->a) {
            if (n->a->type == N_VAR) {
                if (n->a->kind == VK_VAR && e->cur->is_wrap) emit_decls(e, n->a, 1);
                else emit_decls(e, n->a, 1);
            } else emit_expr(e, n->a);
        }
        P("; ");
        if (n->b) emit_expr(e, n->b);
        P("; ");
        if (n->c) emit_expr(e, n->c);
        P(") ");
        emit_loop_body(e, n, j, n->scope, NULL, NULL);
    } else if (n->type == N_FORIN) {
        node *left = n->a;
        int simple = (left->type == N_VAR && left->list->a->type == N_IDENT) || left->type == N_IDENT || left->type == N_MEMBER;
        if (simple) {
            P("for (");
            if (left->type == N_VAR) {
                node *id = left->list->a;
                if (left->kind == VK_VAR && e->cur->is_wrap) hoist_var(e, ident_out(id));
                else P("var ");
                sync(e, id->line);
                P(ident_out(id));
                if (left->list->b) fail(e, left, "for-in initializers are not supported");
            } else emit_expr(e, left);
            P(" in ");
            emit_expr(e, n->b);
            P(") ");
            emit_loop_body(e, n, j, n->scope, NULL, NULL);
        } else {
            const char *k = temp(e);
            P("for (");
            P(k);
            P(" in ");
            emit_expr(e, n->b);
            P(") ");
            forof_arg fa = { k };
            emit_loop_body(e, n, j, n->scope, forof_prefix, &fa);
        }
    } else {
        /* arrays take an index loop (no iterator objects); anything else __ami_iter */
        const char *t = temp(e), *i = temp(e), *a = temp(e), *it = temp(e), *s = temp(e);
        if (n->flags & NF_AWAIT_OF) {
            /* blocking await: each step of the (async) iterator is awaited */
            P("for (");
            P(it);
            P(" = __ami_aiter(");
            emit_expr(e, n->b);
            P("); !(");
            P(s);
            P(" = ");
            P(it);
            P(".next()).done; ) ");
            forof_arg fa = { fmt(e, "%s.value", s, NULL) };
            emit_loop_body(e, n, j, n->scope, forof_prefix, &fa);
            e->jumps = j->prev;
            return;
        }
        /* leaving early (break, return, throw) closes the iterator: return() */
        P("try { ");
        if (e->forof_label) {
            P(e->forof_label);
            e->forof_label = NULL;
        }
        P("for (");
        P(t);
        P(" = ");
        emit_expr(e, n->b);
        P(", ");
        char buf[400];
        snprintf(buf, sizeof buf, "%s = 0, %s = void 0, %s = Array.isArray(%s), %s = %s ? null : __ami_iter(%s); %s ? %s < %s.length : !(%s = %s.next()).done; %s++) ",
                 i, s, a, t, it, a, t, a, i, t, s, it, i);
        P(buf);
        forof_arg fa = { NULL };
        char vbuf[200];
        snprintf(vbuf, sizeof vbuf, "(%s ? %s[%s] : %s.value)", a, t, i, s);
        fa.s = ami__lw_strndup(e->C, vbuf, strlen(vbuf));
        emit_loop_body(e, n, j, n->scope, forof_prefix, &fa);
        snprintf(buf, sizeof buf, " } finally { if (%s && %s && !%s.done) __ami_iterclose(%s); }", it, s, s, it);
        P(buf);
    }
    e->jumps = j->prev;
}

static void emit_block(E *e, node *b)
{
    sync(e, b->line);
    if (b->scope && b->scope->wrap) {
        /* a block in a loop whose bindings are captured: one IIFE per execution */
        const char *r = temp(e);
        P("{ ");
        P(r);
        P(" = (function(){");
        fnctx *f = fn_push(e, b->scope, 1, 1);
        emit_tdz_init(e, b->scope);
        emit_stmts(e, b->list);
        exitrec *exits = f->exits;
        fn_pop(e);
        sync(e, b->end_line);
        P("})(); ");
        emit_exit_checks(e, b, exits, r);
        P("}");
        return;
    }
    P("{");
    emit_tdz_init(e, b->scope);
    emit_stmts(e, b->list);
    sync(e, b->end_line);
    P("}");
}

/* the cases of a switch and its closing brace */
static void emit_cases(E *e, node *n)
{
    for (node *c = n->list; c; c = c->next) {
        sync(e, c->line);
        if (c->a) { P(" case "); emit_expr(e, c->a); P(":"); }
        else P(" default:");
        emit_stmts(e, c->list);
    }
    sync(e, n->end_line);
    P("}");
}

void emit_stmt(E *e, node *n)
{
    switch (n->type) {
    case N_EMPTY: sync(e, n->line); P(";"); return;
    case N_DEBUGGER: sync(e, n->line); P("debugger;"); return;
    case N_VAR: emit_decls(e, n, 0); P(";"); return;
    case N_EXPR_STMT: {
        emit_expr(e, n->a);
        P(";");
        return;
    }
    case N_FUNC:
        emit_function(e, n, ident_out(n->a));
        return;
    case N_CLASS:
        sync(e, n->line);
        P("var ");
        P(ident_out(n->a));
        P(" = ");
        emit_class(e, n, ident_out(n->a));
        P(";");
        return;
    case N_BLOCK: emit_block(e, n); return;
    case N_IF:
        sync(e, n->line);
        P("if (");
        emit_expr(e, n->a);
        P(") ");
        emit_stmt(e, n->b);
        if (n->c) { P(" else "); emit_stmt(e, n->c); }
        return;
    case N_FOR: case N_FORIN: case N_FOROF: emit_for(e, n); return;
    case N_WHILE: {
        jump *j = loop_jump(e);
        sync(e, n->line);
        P("while (");
        emit_expr(e, n->a);
        P(") ");
        emit_loop_body(e, n, j, NULL, NULL, NULL);
        e->jumps = j->prev;
        return;
    }
    case N_DOWHILE: {
        jump *j = loop_jump(e);
        sync(e, n->line);
        P("do ");
        emit_loop_body(e, n, j, NULL, NULL, NULL);
        e->jumps = j->prev;
        P(" while (");
        emit_expr(e, n->a);
        P(");");
        return;
    }
    case N_RETURN:
        sync(e, n->line);
        if (e->cur->is_wrap) {
            P("return {v: ");
            if (n->a) emit_expr(e, n->a); else P("void 0");
            P("};");
            record_exit(e, 'r', NULL);
            return;
        }
        P("return");
        if (n->a) { P(" "); emit_expr(e, n->a); }
        P(";");
        return;
    case N_BREAK: case N_CONTINUE:
        sync(e, n->line);
        emit_jump(e, n, n->type == N_CONTINUE, n->str);
        return;
    case N_THROW:
        sync(e, n->line);
        P("throw ");
        emit_expr(e, n->a);
        P(";");
        return;
    case N_TRY:
        sync(e, n->line);
        P("try ");
        emit_block(e, n->a);
        if (n->c) {
            sync(e, n->c->line);
            P(" catch (");
            node *param = n->b;
            /* in a generator, the signal return() throws at the paused yield
             * passes through catch clauses (only finally blocks see it) */
            int gen = e->cur->genkind != 0;
            if (!param || param->type == N_IDENT) {
                char buf[32];
                const char *nm = buf;
                if (param) nm = ident_out(param);
                else snprintf(buf, sizeof buf, "__ami_e%d", ++e->ntemp);
                P(nm);
                P(") ");
                if (gen) { P("{ __ami_genret("); P(nm); P("); "); }
                emit_block(e, n->c->a);
                if (gen) P(" }");
            } else {
                char buf[32];
                snprintf(buf, sizeof buf, "__ami_e%d", ++e->ntemp);
                char *nm = ami__lw_strndup(e->C, buf, strlen(buf));
                P(nm);
                P(") ");
                node *blk = n->c->a;
                sync(e, blk->line);
                P("{ ");
                if (gen) { P("__ami_genret("); P(nm); P("); "); }
                P("var ");
                int first = 1;
                val v = { nm, NULL, NULL };
                assign_pattern(e, param, v, 1, &first);
                P(";");
                /* the block's own contents */
                if (blk->scope && blk->scope->wrap) {
                    emit_block(e, blk);
                } else {
                    emit_stmts(e, blk->list);
                }
                sync(e, blk->end_line);
                P("}");
            }
        }
        if (n->d) { P(" finally "); emit_block(e, n->d); }
        return;
    case N_SWITCH: {
        sync(e, n->line);
        if (n->scope && n->scope->wrap) {
            /* in a loop, with case bindings a closure captures: one IIFE per
             * execution (the discriminant is evaluated before it) */
            const char *d = temp(e), *r = temp(e);
            P("{ "); P(d); P(" = "); emit_expr(e, n->a); P("; ");
            P(r);
            P(" = (function(){");
            fnctx *f = fn_push(e, n->scope, 1, 1);
            jump *j = push_jump(e, 's', NULL);
            emit_tdz_init(e, n->scope);
            P("switch ("); P(d); P(") {");
            emit_cases(e, n);
            e->jumps = j->prev;
            exitrec *exits = f->exits;
            fn_pop(e);
            P("})(); ");
            emit_exit_checks(e, n, exits, r);
            P("}");
            return;
        }
        jump *j = push_jump(e, 's', NULL);
        emit_tdz_init(e, n->scope);
        P("switch (");
        emit_expr(e, n->a);
        P(") {");
        emit_cases(e, n);
        e->jumps = j->prev;
        return;
    }
    case N_LABELED: {
        jump *j = push_jump(e, 'b', n->str);
        sync(e, n->line);
        node *body = n->a, *inner = body;
        while (inner->type == N_LABELED) inner = inner->a;
        if (inner->type == N_FOROF && !(inner->flags & NF_AWAIT_OF)) {
            /* the for-of prints its labels (all of them: a: b: for…of) inside
             * its try, as continue needs them on the loop */
            const char *prev = e->forof_label ? e->forof_label : "";
            size_t pl = strlen(prev), nl = strlen(n->str);
            char *all = ami__lw_alloc(e->C, pl + nl + 3);
            memcpy(all, prev, pl);
            memcpy(all + pl, n->str, nl);
            memcpy(all + pl + nl, ": ", 3);
            e->forof_label = all;
        } else {
            P(n->str);
            P(": ");
        }
        /* a label on a loop also names the loop for continue */
        emit_stmt(e, body);
        e->jumps = j->prev;
        return;
    }
    default:
        emit_expr(e, n);
        P(";");
    }
}

void emit_stmts(E *e, node *list)
{
    for (node *s = list; s; s = s->next) {
        P(" ");
        emit_stmt(e, s);
    }
}

