/* Emitter: functions (parameters, prologue, async/generator wrapping) and
 * classes (fields, constructors, methods). */
#include "runtime/lower/emit.h"

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
void emit_function(E *e, node *fn, const char *name)
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
    if (gen || async) {
        /* outer shell: a generator object whose coroutine runs the body, or
         * the real function handing over to __ami_async; the body gets the
         * same parameters (the same arguments are passed to it), so it reads
         * them as its own locals rather than through the closure */
        P(gen ? (async ? "return __ami_agen(function" : "return __ami_gen(function") : "return __ami_async(function");
        P("(");
        int i = 0;
        for (node *p = fn->list; p && p->type != N_REST; p = p->next, i++) { if (i) P(", "); P(pnames[i]); }
        P("){");
        /* yield: a local alias of the global (a name lookup per value less) */
        if (gen && !async) P("var __ami_y = __ami_yield; ");
    }
    fnctx *f = fn_push(e, fn->scope, arrow, 0);
    f->genkind = gen ? (async ? 2 : 1) : 0;
    if (!arrow) {
        f->has_super = (fn->flags & NF_METHOD) && outer->has_super;
        f->method_static = outer->method_static;
        f->in_ctor = (fn->flags & NF_CTOR) ? outer->in_ctor : 0;
        if (!(fn->flags & NF_METHOD)) { f->has_super = 0; f->in_ctor = 0; }
        if (e->next_home) { f->has_super = 1; f->home = e->next_home; f->method_static = 0; f->in_ctor = 0; }
    }
    e->next_home = NULL;
    emit_prologue(e, fn, pnames);
    emit_tdz_init(e, fn->scope);
    if (!(fn->flags & NF_EXPR_BODY) && fn->b && fn->b->scope != fn->scope) emit_tdz_init(e, fn->b->scope);
    if ((fn->flags & NF_CTOR) && name) {   /* class constructors need new, as in Node */
        /* Duktape's new.target: undefined for A.call(obj); __ami_super marks the
         * base constructor it calls with apply (__ami_super.t) */
        P("if (!(this instanceof "); P(name); P(") || (new.target === void 0 && __ami_super.t !== "); P(name);
        P(")) __ami_nonew(\""); P(name); P("\"); __ami_super.t = void 0;");
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

void emit_class(E *e, node *c, const char *name)
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
        P("(){ if (!(this instanceof "); P(cname); P(") || (new.target === void 0 && __ami_super.t !== "); P(cname);
        P(")) __ami_nonew(\""); P(cname); P("\"); __ami_super.t = void 0;");
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

