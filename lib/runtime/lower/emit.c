/* Emitter: output (spacing between tokens, catching up with the source line),
 * temporaries, function contexts, names, literals, jumps (break/continue/return
 * across per-iteration wrappers), and the entry point ami__lw_emit. */
#include "runtime/lower/emit.h"

void oom(E *e) { ami__lw_fail(e->C, 0, 0, "out of memory"); }

void raw(E *e, const char *s, size_t n)
{
    if (!n) return;
    if (ami__lw_buf_put(e->C, &e->cur->body, s, n)) oom(e);
    e->last = s[n - 1];
    e->last_num = 0;
}

static int idch(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '\\' || (unsigned char)c >= 0x80; }

void put(E *e, const char *s, size_t n)
{
    if (!n) return;
    char a = e->last, b = s[0];
    if ((idch(a) && idch(b)) || (a == '+' && b == '+') || (a == '-' && b == '-') || (a == '/' && (b == '/' || b == '*')) ||
        (a >= '0' && a <= '9' && b == '.' && e->last_num) || (a == '<' && b == '!') || (a == '-' && b == '>'))
        raw(e, " ", 1);
    raw(e, s, n);
}
void puts_(E *e, const char *s) { put(e, s, strlen(s)); }

void sync(E *e, int line)
{
    while (e->line < line) {
        raw(e, "\n", 1);
        e->line++;
    }
}

void fail(E *e, node *n, const char *msg) { ami__lw_fail(e->C, n->line, n->col, "%s", msg); }

const char *temp(E *e)
{
    char buf[32];
    snprintf(buf, sizeof buf, "__ami_t%d", ++e->ntemp);
    char *s = ami__lw_strndup(e->C, buf, strlen(buf));
    fnctx *f = e->cur;
    if ((f->vars.size && ami__lw_buf_puts(e->C, &f->vars, ", ")) || ami__lw_buf_puts(e->C, &f->vars, s)) oom(e);
    return s;
}

void hoist_var(E *e, const char *name)
{
    fnctx *f = e->cur;
    while (f->is_wrap) f = f->parent;
    if ((f->vars.size && ami__lw_buf_puts(e->C, &f->vars, ", ")) || ami__lw_buf_puts(e->C, &f->vars, name)) oom(e);
}

fnctx *fn_push(E *e, lw_scope *scope, int arrowlike, int is_wrap)
{
    fnctx *f = ami__lw_alloc(e->C, sizeof *f);
    f->parent = e->cur;
    f->arrowlike = arrowlike || is_wrap;
    f->is_wrap = is_wrap;
    f->scope = scope;
    if (e->cur && (arrowlike || is_wrap)) {
        f->method_static = e->cur->method_static;
        f->has_super = e->cur->has_super;
        f->home = e->cur->home;
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
void fn_pop(E *e)
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


/* ---- names */

const char *ident_out(node *id)
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

void emit_ident(E *e, node *id)
{
    sync(e, id->line);
    if (id->flags & NF_TDZ) { emit_tdz(e, id); return; }
    if (id->flags & NF_TDZCHK) {
        P("("); P(ident_out(id)); P(" === __ami_u ? "); emit_tdz(e, id); P(" : "); P(ident_out(id)); P(")");
        return;
    }
    if (!id->bind && strcmp(id->str, "arguments") == 0 && e->cur->arrowlike) { P("__ami_args"); return; }
    P(ident_out(id));
}

/* at the start of a scope: its bindings that closures check hold __ami_u
 * (uninitialised) until their declaration runs */
void emit_tdz_init(E *e, lw_scope *s)
{
    if (!s) return;
    for (lw_binding *b = s->bindings; b; b = b->next)
        if (b->tdz) { P(" "); P(b->out); P(" = __ami_u;"); }
}

/* a write through a NF_TDZCHK identifier checks first: "(x === __ami_u && __ami_tdz("x"), " */
void emit_tdz_write_check(E *e, node *id)
{
    P("("); P(ident_out(id)); P(" === __ami_u && "); emit_tdz(e, id); P(", ");
}

const char *this_name(E *e) { return e->cur->arrowlike ? "__ami_this" : "this"; }

/* string literal (body already escaped for "...") */
void emit_strlit(E *e, const char *body, size_t n)
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
void emit_rawlit(E *e, const char *s, size_t n)
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
void emit_key_string(E *e, node *k)
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
void emit_key_literal(E *e, node *k)
{
    sync(e, k->line);
    if (k->type == N_NUM) { put(e, k->str, k->slen); return; }
    if (k->kind == 1) { put(e, k->str, k->slen); return; }
    emit_strlit(e, k->str, k->slen);
}

/* ---- jumps */

jump *push_jump(E *e, int kind, const char *label)
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

void record_exit(E *e, int kind, const char *label)
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

void emit_jump(E *e, node *n, int is_continue, const char *label)
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
void emit_exit_checks(E *e, node *at, exitrec *exits, const char *r)
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
    /* String.prototype.match & co. must see rewritten regexps from the first
     * call on ("s".match(re) looks match up before re is made) */
    if (C->needs_re) puts_(&e, "__ami_re(); ");
    emit_tdz_init(&e, C->root);
    if (prog->scope && prog->scope != C->root) emit_tdz_init(&e, prog->scope);
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
