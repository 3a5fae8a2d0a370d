/* Emitter: expressions (calls, spread, super, optional chains, templates,
 * object literals) and emit_expr itself. */
#include "runtime/lower/emit.h"

/* ---- expressions */

int is_simple(node *n)
{
    return n->type == N_IDENT || n->type == N_THIS || n->type == N_NUM || n->type == N_STR || n->type == N_LIT;
}

static int has_spread(node *list)
{
    for (node *x = list; x; x = x->next) if (x->type == N_SPREAD) return 1;
    return 0;
}

/* an array built from elements, some of them spread: [a].concat(__ami_spread(b), [c]) */
static void seg_start(E *e, int *nseg)
{
    if (*nseg == 1) P(".concat(");
    else if (*nseg > 1) P(", ");
    (*nseg)++;
}

static void emit_array_concat(E *e, node *list)
{
    int nseg = 0, open = 0;
    for (node *x = list; x; x = x->next) {
        if (x->type == N_SPREAD) {
            if (open) { P("]"); open = 0; }
            seg_start(e, &nseg);
            sync(e, x->line);
            P("__ami_spread(");
            emit_expr(e, x->a);
            P(")");
        } else {
            if (!open) { seg_start(e, &nseg); P("["); open = 1; }
            else P(", ");
            if (x->type == N_HOLE) P("void 0");
            else emit_expr(e, x);
        }
    }
    if (open) P("]");
    if (nseg == 0) P("[]");
    if (nseg > 1) P(")");
}

static void emit_args(E *e, node *call)
{
    P("(");
    for (node *x = call->list; x; x = x->next) {
        emit_expr(e, x);
        if (x->next) P(", ");
    }
    sync(e, call->end_line);
    P(")");
}

/* super.x / super[x] as a plain value */
void emit_super_base(E *e, node *n)
{
    if (!e->cur->has_super) fail(e, n, "'super' keyword unexpected here");
    sync(e, n->line);
    if (e->cur->home) { P("Object.getPrototypeOf("); P(e->cur->home); P(".__ami_home)"); return; }
    P(e->cur->method_static ? "__super" : "__super.prototype");
}

void emit_member_tail(E *e, node *m)
{
    if (m->flags & NF_COMPUTED) {
        P("[");
        emit_expr(e, m->b);
        P("]");
    } else {
        sync(e, m->b->line);
        P(".");
        put(e, m->b->str, m->b->slen);
    }
}

static void emit_call(E *e, node *c)
{
    node *callee = c->a;
    int spread = has_spread(c->list);
    if (callee->type == N_SUPER) {
        if (!e->cur->in_ctor) fail(e, callee, "'super' keyword unexpected here");
        sync(e, callee->line);
        if (e->cur->in_ctor == 2) P("__ami_fields.call(");
        P("__ami_super(");
        P(this_name(e));
        P(", __super, ");
        if (spread) emit_array_concat(e, c->list);
        else {
            P("[");
            for (node *x = c->list; x; x = x->next) { emit_expr(e, x); if (x->next) P(", "); }
            P("]");
        }
        sync(e, c->end_line);
        P(")");
        if (e->cur->in_ctor == 2) P(")");
        return;
    }
    if (callee->type == N_MEMBER && callee->a->type == N_SUPER) {
        emit_super_base(e, callee->a);
        emit_member_tail(e, callee);
        if (spread) { P(".apply("); P(this_name(e)); P(", "); emit_array_concat(e, c->list); P(")"); return; }
        P(".call(");
        P(this_name(e));
        for (node *x = c->list; x; x = x->next) { P(", "); emit_expr(e, x); }
        sync(e, c->end_line);
        P(")");
        return;
    }
    if (!spread) {
        emit_expr(e, callee);
        emit_args(e, c);
        return;
    }
    if (callee->type == N_MEMBER) {
        const char *t = NULL;
        if (is_simple(callee->a)) {
            emit_expr(e, callee->a);
        } else {
            t = temp(e);
            P("(");
            P(t);
            P(" = ");
            emit_expr(e, callee->a);
            P(")");
        }
        emit_member_tail(e, callee);
        P(".apply(");
        if (t) P(t); else emit_expr(e, callee->a);
        P(", ");
        emit_array_concat(e, c->list);
        P(")");
        return;
    }
    emit_expr(e, callee);
    P(".apply(void 0, ");
    emit_array_concat(e, c->list);
    P(")");
}

/* --- optional chains */

static void chain_apply(E *e, node *op, const char *this_tmp)
{
    if (op->type == N_MEMBER) { emit_member_tail(e, op); return; }
    /* call */
    if (has_spread(op->list)) {
        P(".apply(");
        P(this_tmp ? this_tmp : "void 0");
        P(", ");
        emit_array_concat(e, op->list);
        P(")");
        return;
    }
    if (this_tmp) {
        P(".call(");
        P(this_tmp);
        for (node *x = op->list; x; x = x->next) { P(", "); emit_expr(e, x); }
        sync(e, op->end_line);
        P(")");
        return;
    }
    emit_args(e, op);
}

static void emit_chain(E *e, node *ch)
{
    int del = e->chain_delete;
    e->chain_delete = 0;
    node *ops[512];
    int n = 0;
    node *x = ch->a;
    while ((x->type == N_MEMBER || x->type == N_CALL) && x->a->type != N_SUPER) {
        if (n >= 512) fail(e, ch, "Optional chain too long");
        ops[n++] = x;
        x = x->a;
    }
    node *base = x;
    for (int i = 0; i + 1 < n; i++)
        if (ops[i]->type == N_CALL && has_spread(ops[i]->list) && !(ops[i]->flags & NF_OPTIONAL) && ops[i + 1]->type == N_MEMBER)
            fail(e, ops[i], "Spread arguments in a method call inside an optional chain are not supported");
    /* reverse: innermost first */
    for (int i = 0; i < n / 2; i++) { node *t = ops[i]; ops[i] = ops[n - 1 - i]; ops[n - 1 - i] = t; }
    sync(e, ch->line);
    P("(");
    const char *cur = NULL;     /* temp holding the current value, or NULL = base */
    const char *cur_this = NULL;
    int seg = 0, nguards = 0;
    for (int k = 0; k < n; k++) {
        if (!(ops[k]->flags & NF_OPTIONAL)) continue;
        /* value before op k */
        if (nguards) P(" || ");
        nguards++;
        const char *t = temp(e);
        const char *tthis = NULL;
        int upto = k;
        P("(");
        P(t);
        P(" = ");
        if (ops[k]->type == N_CALL && k - 1 >= seg && ops[k - 1]->type == N_MEMBER) {
            tthis = temp(e);
            P("(");
            P(tthis);
            P(" = ");
            upto = k - 1;
        }
        if (cur) P(cur); else emit_expr(e, base);
        for (int i = seg; i < upto; i++) chain_apply(e, ops[i], (i == seg) ? cur_this : NULL);
        if (tthis) {
            P(")");
            chain_apply(e, ops[k - 1], NULL);
        }
        P(") == null");
        cur = t;
        cur_this = tthis;
        seg = k;
    }
    P(del ? " ? true : delete " : " ? void 0 : ");
    if (cur) P(cur); else emit_expr(e, base);
    for (int i = seg; i < n; i++) chain_apply(e, ops[i], (i == seg) ? cur_this : NULL);
    P(")");
}

/* --- templates */

static void emit_template(E *e, node *t)
{
    sync(e, t->line);
    node *q = t->list;
    if (!t->list2) {
        emit_strlit(e, q->str, q->slen);
        return;
    }
    emit_strlit(e, q->str, q->slen);
    P(".concat(");
    int first = 1;
    node *x = t->list2;
    for (q = q->next; q; q = q->next, x = x ? x->next : NULL) {
        if (!first) P(", ");
        first = 0;
        emit_expr(e, x);
        if (q->slen) {
            P(", ");
            sync(e, q->line);
            emit_strlit(e, q->str, q->slen);
        }
    }
    P(")");
}

static void emit_tagged(E *e, node *tt)
{
    node *t = tt->b;
    char name[40];
    snprintf(name, sizeof name, "__ami_tpl%d", tt->id);
    if ((e->tplvars.size && ami__lw_buf_puts(e->C, &e->tplvars, ", ")) || ami__lw_buf_puts(e->C, &e->tplvars, name)) oom(e);
    node *tag = tt->a;
    if (tag->type == N_MEMBER && tag->a->type == N_SUPER) {
        emit_super_base(e, tag->a);
        emit_member_tail(e, tag);
        P(".call(");
        P(this_name(e));
        P(", ");
    } else {
        emit_expr(e, tag);
        P("(");
    }
    P(name);
    P(" || (");
    P(name);
    P(" = __ami_tpl([");
    for (node *q = t->list; q; q = q->next) {
        if (q->cooked_ok) emit_strlit(e, q->str, q->slen); else P("void 0");
        if (q->next) P(", ");
    }
    P("], [");
    for (node *q = t->list; q; q = q->next) {
        emit_rawlit(e, q->raw ? q->raw : "", q->rawlen);
        if (q->next) P(", ");
    }
    P("]))");
    for (node *x = t->list2; x; x = x->next) { P(", "); emit_expr(e, x); }
    P(")");
}

/* a global Error constructor (not a local of that name) */
static int is_error_ctor(node *n)
{
    static const char *const names[] = { "Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError",
                                         "EvalError", "URIError", NULL };
    if (n->type != N_IDENT || n->bind) return 0;
    for (int i = 0; names[i]; i++)
        if (!strcmp(n->str, names[i])) return 1;
    return 0;
}

void emit_expr(E *e, node *n)
{
    switch (n->type) {
    case N_IDENT: emit_ident(e, n); return;
    case N_NUM: sync(e, n->line); put(e, n->str, n->slen); e->last_num = 1; return;
    case N_STR: sync(e, n->line); emit_strlit(e, n->str, n->slen); return;
    case N_LIT: sync(e, n->line); put(e, n->str, n->slen); return;
    case N_REGEX: sync(e, n->line); put(e, n->str, n->slen); return;
    case N_THIS: sync(e, n->line); P(this_name(e)); return;
    case N_TEMPLATE: emit_template(e, n); return;
    case N_TAGGED: emit_tagged(e, n); return;
    case N_PAREN:
        sync(e, n->line);
        P("(");
        emit_expr(e, n->a);
        sync(e, n->end_line);
        P(")");
        return;
    case N_ARRAY:
        sync(e, n->line);
        if (has_spread(n->list)) { emit_array_concat(e, n->list); return; }
        P("[");
        for (node *x = n->list; x; x = x->next) {
            if (x->type != N_HOLE) emit_expr(e, x);
            if (x->next || x->type == N_HOLE) P(",");
            if (x->next && x->next->type != N_HOLE) P(" ");
        }
        sync(e, n->end_line);
        P("]");
        return;
    case N_OBJECT: emit_object(e, n); return;
    case N_FUNC: emit_function(e, n, NULL); return;
    case N_CLASS: emit_class(e, n, NULL); return;
    case N_UNARY:
        sync(e, n->line);
        if (!strcmp(n->str, "delete") && n->a->type == N_CHAIN) { e->chain_delete = 1; emit_chain(e, n->a); return; }
        P(n->str);
        if (n->str[0] >= 'a') P(" ");
        emit_expr(e, n->a);
        return;
    case N_UPDATE:
        if (is_const_ident(n->a)) {
            emit_const_error(e, n->a);
            return;
        }
        {
            node *st = n->a;
            while (st->type == N_PAREN) st = st->a;
            if (st->type == N_MEMBER && st->a->type == N_SUPER) { sync(e, n->line); emit_super_update(e, st, n->str, NULL, n->flags & NF_PREFIX); return; }
        }
        if (n->a->type == N_IDENT && (n->a->flags & NF_TDZCHK)) { sync(e, n->line); emit_tdz_write_check(e, n->a); }
        if (n->flags & NF_PREFIX) { sync(e, n->line); P(n->str); emit_target(e, n->a); }
        else { emit_target(e, n->a); P(n->str); }
        if (n->a->type == N_IDENT && (n->a->flags & NF_TDZCHK)) P(")");
        return;
    case N_BINARY:
    case N_LOGICAL:
        if (n->type == N_BINARY && !strcmp(n->str, "**")) {
            sync(e, n->line);
            P("Math.pow(");
            emit_expr(e, n->a);
            P(", ");
            emit_expr(e, n->b);
            P(")");
            return;
        }
        if (n->type == N_LOGICAL && !strcmp(n->str, "??")) {
            const char *t = temp(e);
            sync(e, n->line);
            P("((");
            P(t);
            P(" = ");
            emit_expr(e, n->a);
            P(") != null ? ");
            P(t);
            P(" : ");
            emit_expr(e, n->b);
            P(")");
            return;
        }
        emit_expr(e, n->a);
        sync(e, n->kind);   /* kind holds the operator's line (parser) */
        P(" ");
        P(n->str);
        P(" ");
        emit_expr(e, n->b);
        return;
    case N_ASSIGN: emit_assign(e, n); return;
    case N_COND:
        emit_expr(e, n->a);
        P(" ? ");
        emit_expr(e, n->b);
        P(" : ");
        emit_expr(e, n->c);
        return;
    case N_CALL: emit_call(e, n); return;
    case N_NEW:
        sync(e, n->line);
        if (has_spread(n->list)) {
            P("__ami_new(");
            emit_expr(e, n->a);
            P(", ");
            emit_array_concat(e, n->list);
            P(")");
            return;
        }
        if (is_error_ctor(n->a) && n->list && n->list->next && !n->list->next->next) {
            /* new Error(message, { cause }): Duktape ignores the options */
            P("__ami_cause(new ");
            emit_expr(e, n->a);
            P("(");
            emit_expr(e, n->list);
            P("), ");
            emit_expr(e, n->list->next);
            P(")");
            return;
        }
        P("new ");
        emit_expr(e, n->a);
        if (n->list || n->end_line != n->line || 1) emit_args(e, n);
        return;
    case N_MEMBER:
        if (n->a->type == N_SUPER) {
            /* getters found through super run with this */
            P("__ami_sget(");
            emit_super_base(e, n->a);
            P(", ");
            if (n->flags & NF_COMPUTED) emit_expr(e, n->b); else emit_key_string(e, n->b);
            P(", ");
            P(this_name(e));
            P(")");
            return;
        }
        emit_expr(e, n->a);
        emit_member_tail(e, n);
        return;
    case N_CHAIN: emit_chain(e, n); return;
    case N_SEQ:
        for (node *x = n->list; x; x = x->next) {
            emit_expr(e, x);
            if (x->next) P(", ");
        }
        return;
    case N_AWAIT:
        sync(e, n->line);
        P("__ami_await(");
        emit_expr(e, n->a);
        P(")");
        return;
    case N_YIELD:
        /* the generator's coroutine yields (lib/runtime/js/prelude.js) */
        sync(e, n->line);
        if (e->cur->genkind == 2) P((n->flags & NF_GEN) ? "__ami_ayield_star(" : "__ami_ayield(");
        else P((n->flags & NF_GEN) ? "__ami_yield_star(" : "__ami_y(");
        if (n->a) emit_expr(e, n->a);
        P(")");
        return;
    case N_SUPER: fail(e, n, "'super' keyword unexpected here");
    case N_SPREAD: fail(e, n, "Unexpected token '...'");
    case N_ARRAY_PAT: case N_OBJ_PAT: case N_ASSIGN_PAT: case N_REST:
        fail(e, n, "Invalid destructuring assignment target");
    default:
        fail(e, n, "Unexpected expression");
    }
}

