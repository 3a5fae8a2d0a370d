/* Emitter: walks the AST and writes ES5.1, keeping every token on its source
 * line (newlines are only ever written to catch up with the source line). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/lower/ast.h"

typedef struct exitrec { int kind; const char *label; struct exitrec *next; } exitrec;  /* kind 'b','c','r' */

typedef struct fnctx {
    struct fnctx *parent;
    lw_buf body;
    lw_buf vars;           /* ", "-separated names for the header var */
    int arrowlike;          /* this/arguments come from the enclosing function */
    int is_wrap;            /* per-iteration IIFE */
    struct jump *wrap_loop; /* loop whose body this wrap is (continue = return) */
    exitrec *exits;
    int method_static;      /* super refers to the constructor, not the prototype */
    int has_super;
    int in_ctor;
    int genkind;            /* 1 generator, 2 async generator (per-iteration wraps inherit it) */
    lw_scope *scope;
} fnctx;

typedef struct jump {
    struct jump *prev;
    int kind;               /* 'l' loop, 's' switch, 'b' labelled statement, 'F' function barrier */
    const char *label;      /* for labelled entries */
    fnctx *owner;
} jump;

typedef struct E {
    lw_ctx *C;
    fnctx *cur;
    int line;
    char last;
    int last_num;           /* the last token was a number literal (1 .x needs the space) */
    int ntemp;
    jump *jumps;
    lw_buf tplvars;
    int base_fields;        /* the constructor being emitted starts with __ami_fields.call(this) */
    int chain_delete;       /* the chain being emitted is the operand of delete */
    const char *forof_label; /* label of the for-of being emitted (printed inside its try) */
} E;

static void oom(E *e) __attribute__((noreturn));
static void oom(E *e) { ami__lw_fail(e->C, 0, 0, "out of memory"); }

static void raw(E *e, const char *s, size_t n)
{
    if (!n) return;
    if (ami__lw_buf_put(e->C, &e->cur->body, s, n)) oom(e);
    e->last = s[n - 1];
    e->last_num = 0;
}

static int idch(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '\\' || (unsigned char)c >= 0x80; }

static void put(E *e, const char *s, size_t n)
{
    if (!n) return;
    char a = e->last, b = s[0];
    if ((idch(a) && idch(b)) || (a == '+' && b == '+') || (a == '-' && b == '-') || (a == '/' && (b == '/' || b == '*')) ||
        (a >= '0' && a <= '9' && b == '.' && e->last_num) || (a == '<' && b == '!') || (a == '-' && b == '>'))
        raw(e, " ", 1);
    raw(e, s, n);
}
static void puts_(E *e, const char *s) { put(e, s, strlen(s)); }
#define P(s) puts_(e, s)

static void sync(E *e, int line)
{
    while (e->line < line) {
        raw(e, "\n", 1);
        e->line++;
    }
}

static void fail(E *e, node *n, const char *msg) __attribute__((noreturn));
static void fail(E *e, node *n, const char *msg) { ami__lw_fail(e->C, n->line, n->col, "%s", msg); }

static const char *temp(E *e)
{
    char buf[32];
    snprintf(buf, sizeof buf, "__ami_t%d", ++e->ntemp);
    char *s = ami__lw_strndup(e->C, buf, strlen(buf));
    fnctx *f = e->cur;
    if ((f->vars.size && ami__lw_buf_puts(e->C, &f->vars, ", ")) || ami__lw_buf_puts(e->C, &f->vars, s)) oom(e);
    return s;
}

static void hoist_var(E *e, const char *name)
{
    fnctx *f = e->cur;
    while (f->is_wrap) f = f->parent;
    if ((f->vars.size && ami__lw_buf_puts(e->C, &f->vars, ", ")) || ami__lw_buf_puts(e->C, &f->vars, name)) oom(e);
}

static fnctx *fn_push(E *e, lw_scope *scope, int arrowlike, int is_wrap)
{
    fnctx *f = ami__lw_alloc(e->C, sizeof *f);
    f->parent = e->cur;
    f->arrowlike = arrowlike || is_wrap;
    f->is_wrap = is_wrap;
    f->scope = scope;
    if (e->cur && (arrowlike || is_wrap)) {
        f->method_static = e->cur->method_static;
        f->has_super = e->cur->has_super;
        f->in_ctor = e->cur->in_ctor;
    }
    if (e->cur && is_wrap) f->genkind = e->cur->genkind;
    e->cur = f;
    if (!is_wrap) {
        jump *j = ami__lw_alloc(e->C, sizeof *j);
        j->kind = 'F';
        j->owner = f;
        j->prev = e->jumps;
        e->jumps = j;
    }
    return f;
}

/* close the function: parent gets "var header;" + body */
static void fn_pop(E *e)
{
    fnctx *f = e->cur;
    e->cur = f->parent;
    if (!f->is_wrap) {
        e->jumps = e->jumps->prev;
    }
    lw_buf hdr = { 0 };
    int n = 0;
    if (f->scope && f->scope->kind == SC_FUNC && f->scope->needs_this) { ami__lw_buf_puts(e->C, &hdr, "__ami_this = this"); n++; }
    if (f->scope && f->scope->kind == SC_FUNC && f->scope->needs_args) { ami__lw_buf_puts(e->C, &hdr, n ? ", __ami_args = arguments" : "__ami_args = arguments"); n++; }
    if (f->vars.size) { if (n) ami__lw_buf_puts(e->C, &hdr, ", "); ami__lw_buf_put(e->C, &hdr, f->vars.ptr, f->vars.size); n++; }
    int ok = 1;
    if (n) ok = !ami__lw_buf_puts(e->C, &e->cur->body, "var ") && !ami__lw_buf_put(e->C, &e->cur->body, hdr.ptr, hdr.size) && !ami__lw_buf_puts(e->C, &e->cur->body, "; ");
    if (ok && f->body.size) ok = !ami__lw_buf_put(e->C, &e->cur->body, f->body.ptr, f->body.size);
    
    
    
    if (!ok) oom(e);
    e->last = e->cur->body.size ? e->cur->body.ptr[e->cur->body.size - 1] : ' ';
}

static void emit_expr(E *e, node *n);
static void emit_stmt(E *e, node *n);
static void emit_stmts(E *e, node *list);
static void emit_function(E *e, node *fn, const char *name);
static void emit_class(E *e, node *c, const char *name);
static int is_const_ident(node *n);
static void emit_rawlit(E *e, const char *s, size_t n);
static void emit_const_error(E *e, node *id);

/* ---- names */

static const char *ident_out(node *id)
{
    return id->bind ? id->bind->out : id->str;
}

static void emit_tdz(E *e, node *id)
{
    sync(e, id->line);
    P("__ami_tdz(");
    emit_rawlit(e, id->str, id->slen);
    P(")");
}

static void emit_ident(E *e, node *id)
{
    sync(e, id->line);
    if (id->flags & NF_TDZ) { emit_tdz(e, id); return; }
    if (!id->bind && strcmp(id->str, "arguments") == 0 && e->cur->arrowlike) { P("__ami_args"); return; }
    P(ident_out(id));
}

static const char *this_name(E *e) { return e->cur->arrowlike ? "__ami_this" : "this"; }

/* string literal (body already escaped for "...") */
static void emit_strlit(E *e, const char *body, size_t n)
{
    put(e, "\"", 1);
    size_t s = 0;
    for (size_t i = 0; i < n; i++) {
        if (body[i] == '\1') {   /* template line marker: dropped (sync keeps lines) */
            raw(e, body + s, i - s);
            s = i + 1;
        }
    }
    raw(e, body + s, n - s);
    raw(e, "\"", 1);
}

/* a raw template string as an ES5 literal */
static void emit_rawlit(E *e, const char *s, size_t n)
{
    put(e, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char t[8];
        if (c == '"' || c == '\\') { t[0] = '\\'; t[1] = (char)c; raw(e, t, 2); }
        else if (c == '\n') raw(e, "\\n", 2);
        else if (c < 0x20 || c == 0x7f) { snprintf(t, sizeof t, "\\u%04X", c); raw(e, t, 6); }
        else if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 && ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            raw(e, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
            i += 2;
        } else raw(e, (const char *)&s[i], 1);
    }
    raw(e, "\"", 1);
}

/* key of a non-computed property as a string expression */
static void emit_key_string(E *e, node *k)
{
    sync(e, k->line);
    if (k->type == N_NUM) { put(e, k->str, k->slen); return; }
    if (k->kind == 1) {   /* identifier name: UTF-8, no quotes/backslashes */
        emit_rawlit(e, k->str, k->slen);
        return;
    }
    emit_strlit(e, k->str, k->slen);
}

/* key inside an ES5 object literal */
static void emit_key_literal(E *e, node *k)
{
    sync(e, k->line);
    if (k->type == N_NUM) { put(e, k->str, k->slen); return; }
    if (k->kind == 1) { put(e, k->str, k->slen); return; }
    emit_strlit(e, k->str, k->slen);
}

/* ---- jumps */

static jump *push_jump(E *e, int kind, const char *label)
{
    jump *j = ami__lw_alloc(e->C, sizeof *j);
    j->kind = kind;
    j->label = label;
    j->owner = e->cur;
    j->prev = e->jumps;
    e->jumps = j;
    return j;
}

/* labels attached to the next loop/switch */



static jump *find_jump(E *e, node *n, int is_continue, const char *label)
{
    for (jump *j = e->jumps; j; j = j->prev) {
        if (j->kind == 'F') break;
        if (label) {
            if (j->label && strcmp(j->label, label) == 0) return j;
        } else if (j->kind == 'l' || (j->kind == 's' && !is_continue)) {
            return j;
        }
    }
    if (label) ami__lw_fail(e->C, n->line, n->col, "Undefined label '%.100s'", label);
    ami__lw_fail(e->C, n->line, n->col, is_continue ? "Illegal continue statement: no surrounding iteration statement" : "Illegal break statement");
}

static void record_exit(E *e, int kind, const char *label)
{
    for (exitrec *x = e->cur->exits; x; x = x->next)
        if (x->kind == kind && ((!x->label && !label) || (x->label && label && strcmp(x->label, label) == 0))) return;
    exitrec *x = ami__lw_alloc(e->C, sizeof *x);
    x->kind = kind;
    x->label = label;
    x->next = e->cur->exits;
    e->cur->exits = x;
}

static void emit_jump_code(E *e, int kind, const char *label)
{
    /* kind 'b' or 'c'; label NULL = unlabelled */
    char buf[200];
    snprintf(buf, sizeof buf, "return \"%c:%.150s\";", kind, label ? label : "");
    P(buf);
    record_exit(e, kind, label);
}

static void emit_jump(E *e, node *n, int is_continue, const char *label)
{
    jump *j = find_jump(e, n, is_continue, label);
    if (j->owner == e->cur) {
        P(is_continue ? "continue" : "break");
        if (label) { P(" "); P(label); }
        P(";");
        return;
    }
    /* crossing a per-iteration IIFE: continuing its own loop is returning */
    if (is_continue && j == e->cur->wrap_loop) {
        P("return;");
        return;
    }
    if (is_continue && e->cur->wrap_loop && label) {
        /* labelled continue naming the wrapped loop itself */
        jump *k = e->cur->wrap_loop->prev;
        while (k && k->kind == 'b' && k->owner == e->cur->wrap_loop->owner) {
            if (k->label && strcmp(k->label, label) == 0) { P("return;"); return; }
            k = k->prev;
        }
    }
    emit_jump_code(e, is_continue ? 'c' : 'b', label);
}

/* after a per-iteration IIFE call stored in r: act on its exits */
static void emit_exit_checks(E *e, node *at, exitrec *exits, const char *r)
{
    if (!exits) return;
    P("if (");
    P(r);
    P(" !== void 0) {");
    for (exitrec *x = exits; x; x = x->next) {
        if (x->kind == 'r') continue;
        char buf[220];
        snprintf(buf, sizeof buf, " if (%s === \"%c:%.150s\") ", r, x->kind, x->label ? x->label : "");
        P(buf);
        emit_jump(e, at, x->kind == 'c', x->label);
    }
    for (exitrec *x = exits; x; x = x->next) {
        if (x->kind != 'r') continue;
        P(" if (typeof ");
        P(r);
        P(" === \"object\") ");
        if (e->cur->is_wrap) { P("return "); P(r); P(";"); record_exit(e, 'r', NULL); }
        else { P("return "); P(r); P(".v;"); }
    }
    P(" }");
}

/* ---- expressions */

static int is_simple(node *n)
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
static void emit_super_base(E *e, node *n)
{
    if (!e->cur->has_super) fail(e, n, "'super' keyword unexpected here");
    sync(e, n->line);
    P(e->cur->method_static ? "__super" : "__super.prototype");
}

static void emit_member_tail(E *e, node *m)
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

/* --- objects */

static void emit_prop_value_fn(E *e, node *prop)
{
    emit_function(e, prop->b, NULL);
}

static void emit_object(E *e, node *o)
{
    sync(e, o->line);
    int dynamic = 0;
    for (node *p = o->list; p; p = p->next) {
        if (p->kind == PK_SHORTHAND && p->c) fail(e, p, "Invalid shorthand property initializer");
        if (p->kind == PK_SPREAD || (p->flags & NF_COMPUTED)) dynamic = 1;
    }
    if (!dynamic) {
        P("{");
        for (node *p = o->list; p; p = p->next) {
            sync(e, p->line);
            if (p->kind == PK_GET || p->kind == PK_SET) {
                P(p->kind == PK_GET ? "get " : "set ");
                emit_key_literal(e, p->a);
                /* ES5 accessor syntax: key(params){body} */
                node *fn = p->b;
                if (fn->flags & NF_ASYNC) fail(e, p, "Unexpected async accessor");
                emit_function(e, fn, "\001" "accessor");
            } else {
                emit_key_literal(e, p->a);
                P(": ");
                if (p->kind == PK_METHOD) emit_prop_value_fn(e, p);
                else emit_expr(e, p->b);
            }
            if (p->next) P(", ");
        }
        sync(e, o->end_line);
        P("}");
        return;
    }
    const char *t = temp(e);
    P("(");
    P(t);
    P(" = {");
    node *p = o->list;
    int any = 0;
    for (; p && p->kind != PK_SPREAD && !(p->flags & NF_COMPUTED); p = p->next) {
        if (any) P(", ");
        any = 1;
        sync(e, p->line);
        if (p->kind == PK_GET || p->kind == PK_SET) {
            P(p->kind == PK_GET ? "get " : "set ");
            emit_key_literal(e, p->a);
            emit_function(e, p->b, "\001" "accessor");
        } else {
            emit_key_literal(e, p->a);
            P(": ");
            if (p->kind == PK_METHOD) emit_prop_value_fn(e, p);
            else emit_expr(e, p->b);
        }
    }
    P("}");
    for (; p; p = p->next) {
        P(", ");
        sync(e, p->line);
        if (p->kind == PK_SPREAD) {
            P("__ami_objspread(");
            P(t);
            P(", ");
            emit_expr(e, p->a);
            P(")");
            continue;
        }
        if (p->kind == PK_GET || p->kind == PK_SET) {
            P("__ami_accessor(");
            P(t);
            P(", ");
            if (p->flags & NF_COMPUTED) emit_expr(e, p->a); else emit_key_string(e, p->a);
            P(", ");
            if (p->kind == PK_GET) { emit_function(e, p->b, NULL); P(", void 0"); }
            else { P("void 0, "); emit_function(e, p->b, NULL); }
            P(", true)");
            continue;
        }
        P("__ami_prop(");
        P(t);
        P(", ");
        if (p->flags & NF_COMPUTED) emit_expr(e, p->a); else emit_key_string(e, p->a);
        P(", ");
        if (p->kind == PK_METHOD) emit_function(e, p->b, NULL);
        else emit_expr(e, p->b);
        P(")");
    }
    P(", ");
    P(t);
    sync(e, o->end_line);
    P(")");
}

/* --- destructuring */

typedef struct val { const char *name; node *dflt; node *expr; } val;

static void emit_val(E *e, val v)
{
    if (v.expr) { emit_expr(e, v.expr); return; }
    if (v.dflt) {
        P("(");
        P(v.name);
        P(" === void 0 ? ");
        emit_expr(e, v.dflt);
        P(" : ");
        P(v.name);
        P(")");
        return;
    }
    P(v.name);
}

/* item separator */
static void sep(E *e, int *first)
{
    if (!*first) P(", ");
    *first = 0;
}

static void assign_target(E *e, node *target, val v, int decl, int *first);

static const char *to_temp(E *e, val v, int *first)
{
    if (!v.dflt && !v.expr && strncmp(v.name, "__ami_", 6) == 0 && !strpbrk(v.name, ".[(")) return v.name;
    const char *t = temp(e);
    sep(e, first);
    P(t);
    P(" = ");
    emit_val(e, v);
    return t;
}

static char *fmt(E *e, const char *f, const char *a, const char *b)
{
    size_t n = strlen(f) + strlen(a) + (b ? strlen(b) : 0) + 1;
    char *s = ami__lw_alloc(e->C, n);
    snprintf(s, n, f, a, b ? b : "");
    return s;
}

static void assign_pattern(E *e, node *pat, val v, int decl, int *first)
{
    if (pat->type == N_ASSIGN_PAT) {
        const char *t = to_temp(e, v, first);
        val nv = { t, pat->b, NULL };
        assign_target(e, pat->a, nv, decl, first);
        return;
    }
    if (pat->type == N_OBJ_PAT) {
        const char *src = to_temp(e, v, first);
        if (!pat->list) {   /* {} = x still requires x to be an object-coercible value */
            sep(e, first);
            if (decl) { P(temp(e)); P(" = "); }
            P("__ami_objrest(");
            P(src);
            P(", [])");
            return;
        }
        /* keys used so far (for rest) */
        lw_buf keys = { 0 };
        for (node *p = pat->list; p; p = p->next) {
            if (p->type == N_REST) {
                size_t n = keys.size + strlen(src) + 40;
                char *acc = ami__lw_alloc(e->C, n);
                snprintf(acc, n, "__ami_objrest(%s, [%s])", src, keys.ptr ? keys.ptr : "");
                val tv = { acc, NULL, NULL };
                assign_target(e, p->a, tv, decl, first);
                return;
            }
            const char *access;
            if (p->flags & NF_COMPUTED) {
                const char *k = temp(e);
                sep(e, first);
                P(k);
                P(" = ");
                emit_expr(e, p->a);
                access = fmt(e, "%s[%s]", src, k);
                if (keys.size) ami__lw_buf_puts(e->C, &keys, ", ");
                ami__lw_buf_puts(e->C, &keys, k);
            } else {
                node *k = p->a;
                if (k->kind == 1) {
                    access = fmt(e, "%s.%s", src, k->str);
                    if (keys.size) ami__lw_buf_puts(e->C, &keys, ", ");
                    ami__lw_buf_puts(e->C, &keys, fmt(e, "\"%s\"", k->str, NULL));
                } else if (k->type == N_NUM) {
                    access = fmt(e, "%s[%s]", src, k->str);
                    if (keys.size) ami__lw_buf_puts(e->C, &keys, ", ");
                    ami__lw_buf_puts(e->C, &keys, fmt(e, "String(%s)", k->str, NULL));
                } else {
                    char *q = ami__lw_alloc(e->C, k->slen + 3);
                    snprintf(q, k->slen + 3, "\"%s\"", k->str);
                    access = fmt(e, "%s[%s]", src, q);
                    if (keys.size) ami__lw_buf_puts(e->C, &keys, ", ");
                    ami__lw_buf_puts(e->C, &keys, q);
                }
            }
            val pv = { access, NULL, NULL };
            assign_target(e, p->b, pv, decl, first);
        }
        
        return;
    }
    if (pat->type == N_ARRAY_PAT) {
        const char *t = temp(e);
        sep(e, first);
        P(t);
        P(" = __ami_arr(");
        emit_val(e, v);
        P(")");
        int i = 0;
        for (node *x = pat->list; x; x = x->next, i++) {
            char idx[32];
            snprintf(idx, sizeof idx, "%d", i);
            if (x->type == N_HOLE) continue;
            if (x->type == N_REST) {
                val rv = { fmt(e, "%s.slice(%s)", t, idx), NULL, NULL };
                assign_target(e, x->a, rv, decl, first);
                break;
            }
            val ev = { fmt(e, "%s[%s]", t, idx), NULL, NULL };
            assign_target(e, x, ev, decl, first);
        }
        if (!pat->list && decl) { /* nothing bound */ }
        return;
    }
    fail(e, pat, "Invalid destructuring target");
}

static void assign_target(E *e, node *target, val v, int decl, int *first)
{
    while (target->type == N_PAREN) target = target->a;
    if (target->type == N_IDENT) {
        sep(e, first);
        if (!decl && is_const_ident(target)) {
            /* assigning a const through destructuring throws, like Node */
            emit_const_error(e, target);
            return;
        }
        if (decl) { sync(e, target->line); P(ident_out(target)); }
        else emit_expr(e, target);
        P(" = ");
        emit_val(e, v);
        return;
    }
    if (target->type == N_MEMBER) {
        sep(e, first);
        emit_expr(e, target);
        P(" = ");
        emit_val(e, v);
        return;
    }
    assign_pattern(e, target, v, decl, first);
}

/* --- assignment */

static int is_const_ident(node *n)
{
    while (n->type == N_PAREN) n = n->a;
    return n->type == N_IDENT && n->bind && (n->bind->kind == BK_CONST || (n->flags & NF_TDZ));
}

/* the error a write to a const (or to a name in its dead zone) throws */
static void emit_const_error(E *e, node *id)
{
    while (id->type == N_PAREN) id = id->a;
    sync(e, id->line);
    P((id->flags & NF_TDZ) ? "__ami_tdz(" : "__ami_const(");
    emit_rawlit(e, id->str, id->slen);
    P(")");
}

/* super.x as an assignment target writes this.x */
static void emit_target(E *e, node *t)
{
    if (t->type == N_MEMBER && t->a->type == N_SUPER) {
        if (!e->cur->has_super) fail(e, t->a, "'super' keyword unexpected here");
        sync(e, t->line);
        P(this_name(e));
        emit_member_tail(e, t);
        return;
    }
    emit_expr(e, t);
}

static void emit_assign(E *e, node *a)
{
    const char *op = a->str;
    node *t = a->a;
    if (t->type == N_ARRAY_PAT || t->type == N_OBJ_PAT) {
        P("(");
        int first = 1;
        const char *tmp = temp(e);
        sep(e, &first);
        P(tmp);
        P(" = ");
        emit_expr(e, a->b);
        val v = { tmp, NULL, NULL };
        assign_pattern(e, t, v, 0, &first);
        P(", ");
        P(tmp);
        P(")");
        return;
    }
    if (is_const_ident(t)) {
        P("(");
        emit_expr(e, a->b);
        P(", ");
        emit_const_error(e, t);
        P(")");
        return;
    }
    int logical = !strcmp(op, "&&=") || !strcmp(op, "||=") || !strcmp(op, "?\?=");
    int expo = !strcmp(op, "**=");
    if (!logical && !expo) {
        emit_target(e, t);
        P(" ");
        P(op);
        P(" ");
        emit_expr(e, a->b);
        return;
    }
    /* reference evaluated once: obj/key into temps when not simple */
    node *tt = t;
    while (tt->type == N_PAREN) tt = tt->a;
    const char *obj = NULL, *key = NULL;
    P("(");
    /* read */
    if (tt->type == N_MEMBER && tt->a->type == N_SUPER) {
        /* read through super (getters see this), write to this */
        if ((tt->flags & NF_COMPUTED) && !is_simple(tt->b)) fail(e, tt, "Logical assignment to a computed super property is not supported");
        const char *v = !strcmp(op, "?\?=") ? temp(e) : NULL;
        if (v) { P("("); P(v); P(" = "); }
        if (expo) { emit_target(e, tt); P(" = Math.pow("); }
        P("__ami_sget(");
        emit_super_base(e, tt->a);
        P(", ");
        if (tt->flags & NF_COMPUTED) emit_expr(e, tt->b); else emit_key_string(e, tt->b);
        P(", ");
        P(this_name(e));
        P(")");
        if (expo) { P(", "); emit_expr(e, a->b); P("))"); return; }
        if (v) { P(") != null ? "); P(v); P(" : ("); }
        else P(!strcmp(op, "&&=") ? " && (" : " || (");
        emit_target(e, tt);
        P(" = ");
        emit_expr(e, a->b);
        P("))");
        return;
    }
    if (tt->type == N_MEMBER) {
        if (!is_simple(tt->a)) {
            obj = temp(e);
        }
        if ((tt->flags & NF_COMPUTED) && !(tt->b->type == N_NUM || tt->b->type == N_STR)) key = temp(e);
    }
    /* emit first read: for logical ops the read is the condition; for ** it's inside Math.pow */
#define EMIT_REF_FIRST() do { \
        if (tt->type == N_MEMBER) { \
            if (obj) { P("("); P(obj); P(" = "); emit_expr(e, tt->a); P(")"); } else emit_expr(e, tt->a); \
            if (tt->flags & NF_COMPUTED) { P("["); if (key) { P(key); P(" = "); } emit_expr(e, tt->b); P("]"); } \
            else emit_member_tail(e, tt); \
        } else emit_expr(e, tt); \
    } while (0)
#define EMIT_REF_AGAIN() do { \
        if (tt->type == N_MEMBER) { \
            if (obj) P(obj); else emit_expr(e, tt->a); \
            if (tt->flags & NF_COMPUTED) { P("["); if (key) P(key); else emit_expr(e, tt->b); P("]"); } \
            else { P("."); put(e, tt->b->str, tt->b->slen); } \
        } else emit_expr(e, tt); \
    } while (0)
    if (expo) {
        /* (ref = Math.pow(ref, b)) with the target evaluated first */
        if (tt->type == N_MEMBER) {
            EMIT_REF_FIRST();
            P(" = Math.pow(");
            EMIT_REF_AGAIN();
        } else {
            emit_expr(e, tt);
            P(" = Math.pow(");
            emit_expr(e, tt);
        }
        P(", ");
        emit_expr(e, a->b);
        P("))");
        return;
    }
    if (!strcmp(op, "?\?=")) {
        const char *v = temp(e);
        P("(");
        P(v);
        P(" = ");
        EMIT_REF_FIRST();
        P(") != null ? ");
        P(v);
        P(" : (");
        EMIT_REF_AGAIN();
        P(" = ");
        emit_expr(e, a->b);
        P("))");
        return;
    }
    EMIT_REF_FIRST();
    P(!strcmp(op, "&&=") ? " && (" : " || (");
    EMIT_REF_AGAIN();
    P(" = ");
    emit_expr(e, a->b);
    P("))");
#undef EMIT_REF_FIRST
#undef EMIT_REF_AGAIN
}

static void emit_expr(E *e, node *n)
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
        if (n->flags & NF_PREFIX) { sync(e, n->line); P(n->str); emit_target(e, n->a); }
        else { emit_target(e, n->a); P(n->str); }
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
        else P((n->flags & NF_GEN) ? "__ami_yield_star(" : "__ami_yield(");
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

/* ---- functions */

/* The parameter list written in the function head */
static void emit_param_list(E *e, node *fn, const char **pnames)
{
    P("(");
    int i = 0, first = 1;
    for (node *p = fn->list; p; p = p->next, i++) {
        if (p->type == N_REST) break;
        if (!first) P(", ");
        first = 0;
        node *id = p->type == N_ASSIGN_PAT ? p->a : p;
        if (id->type == N_IDENT) { sync(e, id->line); P(ident_out(id)); pnames[i] = ident_out(id); }
        else {
            char buf[32];
            snprintf(buf, sizeof buf, "__ami_p%d", ++e->ntemp);
            pnames[i] = ami__lw_strndup(e->C, buf, strlen(buf));
            P(pnames[i]);
        }
    }
    P(")");
}

static void emit_prologue(E *e, node *fn, const char **pnames)
{
    int i = 0;
    for (node *p = fn->list; p; p = p->next, i++) {
        if (p->type == N_REST) {
            char buf[80];
            snprintf(buf, sizeof buf, "Array.prototype.slice.call(arguments, %d)", i);
            char *s = ami__lw_strndup(e->C, buf, strlen(buf));
            P("var ");
            int first = 1;
            val v = { s, NULL, NULL };
            assign_target(e, p->a, v, 1, &first);
            P("; ");
            break;
        }
        if (p->type == N_ASSIGN_PAT && p->a->type == N_IDENT) {
            P("if (");
            P(pnames[i]);
            P(" === void 0) ");
            P(pnames[i]);
            P(" = ");
            emit_expr(e, p->b);
            P("; ");
        } else if (p->type != N_IDENT) {
            P("var ");
            int first = 1;
            val v = { pnames[i], p->type == N_ASSIGN_PAT ? p->b : NULL, NULL };
            assign_target(e, p->type == N_ASSIGN_PAT ? p->a : p, v, 1, &first);
            P("; ");
        }
    }
}

/* name: NULL = anonymous expression (arrows: wrapped in parens); "\1accessor" = ES5 accessor body only */
static void emit_function(E *e, node *fn, const char *name)
{
    int arrow = (fn->flags & NF_ARROW) != 0;
    int async = (fn->flags & NF_ASYNC) != 0;
    int gen = (fn->flags & NF_GEN) != 0;
    int accessor = name && name[0] == '\1';
    const char *pnames[256];
    int np = 0;
    for (node *p = fn->list; p; p = p->next) np++;
    if (np > 255) fail(e, fn, "Too many parameters");
    sync(e, fn->line);
    if (arrow) P("(");
    if (!accessor) {
        P("function");
        if (name) { P(" "); P(name); }
        else if (fn->a && !(fn->flags & NF_METHOD)) { P(" "); P(ident_out(fn->a)); }
    }
    /* sync to the parameter list's line happens through params */
    emit_param_list(e, fn, pnames);
    node *body = fn->b;
    if (!(fn->flags & NF_EXPR_BODY)) sync(e, body->line);
    P("{");
    fnctx *outer = e->cur;
    if (gen) {
        /* outer shell: a generator object whose coroutine runs the body */
        P(async ? "return __ami_agen(function(){" : "return __ami_gen(function(){");
    } else if (async) {
        /* outer shell: the real function just hands over to __ami_async */
        P("return __ami_async(function(){");
    }
    fnctx *f = fn_push(e, fn->scope, arrow, 0);
    f->genkind = gen ? (async ? 2 : 1) : 0;
    if (!arrow) {
        f->has_super = (fn->flags & NF_METHOD) && outer->has_super;
        f->method_static = outer->method_static;
        f->in_ctor = (fn->flags & NF_CTOR) ? outer->in_ctor : 0;
        if (!(fn->flags & NF_METHOD)) { f->has_super = 0; f->in_ctor = 0; }
    }
    emit_prologue(e, fn, pnames);
    if ((fn->flags & NF_CTOR) && name) {   /* class constructors need new, as in Node */
        P("if (!(this instanceof "); P(name); P(")) __ami_nonew(\""); P(name); P("\");");
    }
    if (f->in_ctor && e->base_fields) { P("__ami_fields.call(this);"); e->base_fields = 0; }
    if (fn->flags & NF_EXPR_BODY) {
        P("return (");
        emit_expr(e, body);
        P(");");
    } else {
        emit_stmts(e, body->list);
    }
    fn_pop(e);
    sync(e, fn->end_line);
    if (async || gen) P("}, this, arguments);");
    P("}");
    if (arrow) P(")");
}

/* ---- classes */

/* fields of one kind (static or not) as a function run with this = target */
static void emit_fields(E *e, node *c, node *fnode, int is_static)
{
    P(is_static ? " function __ami_sfields(){" : " function __ami_fields(){");
    fnctx *f = fn_push(e, fnode->scope, 0, 0);
    f->has_super = 1;
    f->method_static = is_static;
    for (node *m = c->list; m; m = m->next) {
        if (m->kind != PK_INIT || ((m->flags & NF_STATIC) != 0) != is_static) continue;
        sync(e, m->line);
        P(" __ami_prop(this, ");
        emit_key_string(e, m->a);
        P(", ");
        if (m->b) emit_expr(e, m->b); else P("void 0");
        P(");");
    }
    P(" return this;");
    fn_pop(e);
    P(" }");
}

static void emit_class(E *e, node *c, const char *name)
{
    sync(e, c->line);
    const char *cname = c->a ? c->a->str : "__ami_class_";
    node *ctor = NULL;
    for (node *m = c->list; m; m = m->next)
        if (m->flags & NF_CTOR) {
            if (ctor) fail(e, m, "A class may only have one constructor");
            ctor = m;
        }
    P("__ami_class(");
    if (c->b) emit_expr(e, c->b); else P("null");
    P(", function(__super){");
    (void)name;
    int save_static = e->cur->method_static, save_super = e->cur->has_super, save_ctor = e->cur->in_ctor;
    e->cur->has_super = 1;
    if (!ctor) {
        P("function ");
        P(cname);
        P("(){ if (!(this instanceof "); P(cname); P(")) __ami_nonew(\""); P(cname); P("\");");
        if (c->b) P(c->c ? " return __ami_fields.call(__ami_super(this, __super, arguments)); }"
                         : " return __ami_super(this, __super, arguments); }");
        else P(c->c ? " __ami_fields.call(this); }" : " }");
    }
    if (c->b) { P(" __ami_inherits("); P(cname); P(", __super);"); }
    int done_fields = 0, done_sfields = 0;
    for (node *m = c->list; m; m = m->next) {
        sync(e, m->line);
        e->cur->method_static = (m->flags & NF_STATIC) != 0;
        if (m->kind == PK_INIT) {
            if (m->flags & NF_STATIC) { if (!done_sfields++) emit_fields(e, c, c->d, 1); }
            else if (!done_fields++) emit_fields(e, c, c->c, 0);
            continue;
        }
        if (m == ctor) {
            e->cur->in_ctor = (c->c && c->b) ? 2 : 1;
            e->cur->method_static = 0;
            e->base_fields = c->c && !c->b;
            P(" ");
            emit_function(e, m->b, cname);
            e->cur->in_ctor = 0;
            e->base_fields = 0;
            continue;
        }
        P(m->kind == PK_METHOD ? " __ami_method(" : " __ami_accessor(");
        P(cname);
        if (!(m->flags & NF_STATIC)) P(".prototype");
        P(", ");
        if (m->flags & NF_COMPUTED) emit_expr(e, m->a); else emit_key_string(e, m->a);
        P(", ");
        if (m->kind == PK_GET) { emit_function(e, m->b, NULL); P(", void 0, false"); }
        else if (m->kind == PK_SET) { P("void 0, "); emit_function(e, m->b, NULL); P(", false"); }
        else emit_function(e, m->b, NULL);
        P(");");
    }
    e->cur->method_static = save_static;
    e->cur->has_super = save_super;
    e->cur->in_ctor = save_ctor;
    sync(e, c->end_line);
    if (c->d) { P(" __ami_sfields.call("); P(cname); P(");"); }
    P(" return ");
    P(cname);
    P("; })");
}

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
            P(": ");
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
    emit_stmts(e, b->list);
    sync(e, b->end_line);
    P("}");
}

static void emit_stmt(E *e, node *n)
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
            if (!param) {
                char buf[32];
                snprintf(buf, sizeof buf, "__ami_e%d", ++e->ntemp);
                P(buf);
                P(") ");
                emit_block(e, n->c->a);
            } else if (param->type == N_IDENT) {
                P(ident_out(param));
                P(") ");
                emit_block(e, n->c->a);
            } else {
                char buf[32];
                snprintf(buf, sizeof buf, "__ami_e%d", ++e->ntemp);
                char *nm = ami__lw_strndup(e->C, buf, strlen(buf));
                P(nm);
                P(") ");
                node *blk = n->c->a;
                sync(e, blk->line);
                P("{ var ");
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
        jump *j = push_jump(e, 's', NULL);
        sync(e, n->line);
        P("switch (");
        emit_expr(e, n->a);
        P(") {");
        for (node *c = n->list; c; c = c->next) {
            sync(e, c->line);
            if (c->a) { P(" case "); emit_expr(e, c->a); P(":"); }
            else P(" default:");
            emit_stmts(e, c->list);
        }
        sync(e, n->end_line);
        P("}");
        e->jumps = j->prev;
        return;
    }
    case N_LABELED: {
        jump *j = push_jump(e, 'b', n->str);
        sync(e, n->line);
        node *body = n->a;
        if (body->type == N_FOROF && !(body->flags & NF_AWAIT_OF)) {
            e->forof_label = n->str;   /* the for-of prints it inside its try (continue needs it on the loop) */
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

static void emit_stmts(E *e, node *list)
{
    for (node *s = list; s; s = s->next) {
        P(" ");
        emit_stmt(e, s);
    }
}

void ami__lw_emit(lw_ctx *C, node *prog, ami_buf *out)
{
    E e;
    memset(&e, 0, sizeof e);
    e.C = C;
    e.line = 1;
    e.last = ' ';
    /* a sentinel parent that receives the final text */
    fnctx top;
    memset(&top, 0, sizeof top);
    e.cur = &top;
    fnctx *f = fn_push(&e, C->root, 0, 0);
    for (node *s = prog->list; s; s = s->next) {
        emit_stmt(&e, s);
        puts_(&e, " ");
    }
    /* tagged template caches live for the whole script: declare them first */
    if (e.tplvars.size) {
        if ((f->vars.size && ami__lw_buf_puts(C, &f->vars, ", ")) || ami__lw_buf_put(C, &f->vars, e.tplvars.ptr, e.tplvars.size)) {  oom(&e); }
    }
    
    fn_pop(&e);
    int rc = ami_buf_put(out, top.body.ptr ? top.body.ptr : "", top.body.size);
    
    if (rc) ami__lw_fail(C, 0, 0, "out of memory");
}
