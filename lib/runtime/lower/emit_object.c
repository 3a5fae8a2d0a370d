/* Emitter: object literals (shorthand, computed keys, spread, accessors,
 * __proto__) and super in their methods (the home object). */
#include "runtime/lower/emit.h"

/* --- objects */

/* whether n uses super outside nested non-arrow functions and classes */
static int uses_super(node *n, int depth)
{
    for (; n; n = n->next) {
        if (depth > 150) return 1;
        if (n->type == N_SUPER) return 1;
        if (n->type == N_CLASS) continue;
        if (n->type == N_FUNC && !(n->flags & NF_ARROW) && depth > 0) continue;
        if ((n->a && uses_super(n->a, depth + 1)) || (n->b && uses_super(n->b, depth + 1)) ||
            (n->c && uses_super(n->c, depth + 1)) || (n->d && uses_super(n->d, depth + 1)) ||
            (n->list && uses_super(n->list, depth + 1)) || (n->list2 && uses_super(n->list2, depth + 1)))
            return 1;
        if (depth == 0) return 0;   /* the function itself, not its siblings */
    }
    return 0;
}

/* A method of an object literal that uses super is a named function
 * expression __ami_hN; __ami_home(object) gives it its home object (and its
 * name), and super is looked up from the home object's prototype. */
static const char *home_name(E *e, node *fn)
{
    if (!uses_super(fn, 0)) return NULL;
    char buf[32];
    snprintf(buf, sizeof buf, "__ami_h%d", ++e->ntemp);
    return ami__lw_strndup(e->C, buf, strlen(buf));
}

static void emit_method_fn(E *e, node *fn, const char *accessor)
{
    const char *h = home_name(e, fn);
    if (h) e->next_home = h;
    emit_function(e, fn, h && !accessor ? h : accessor);
}

static void emit_prop_value_fn(E *e, node *prop)
{
    emit_method_fn(e, prop->b, NULL);
}

static int object_uses_super(node *o)
{
    for (node *p = o->list; p; p = p->next)
        if ((p->kind == PK_METHOD || p->kind == PK_GET || p->kind == PK_SET) && p->b && uses_super(p->b, 0)) return 1;
    return 0;
}

static void emit_object_inner(E *e, node *o);

void emit_object(E *e, node *o)
{
    if (object_uses_super(o)) {
        sync(e, o->line);
        P("__ami_home(");
        emit_object_inner(e, o);
        P(")");
        return;
    }
    emit_object_inner(e, o);
}

/* a property the object literal defines after it is created: spread,
 * computed keys, and accessors using super (they must be named functions,
 * which ES5 accessor syntax cannot give) */
static int is_proto_prop(node *p)
{
    return p->kind == PK_INIT && !(p->flags & NF_COMPUTED) && p->a && p->a->str && p->a->slen == 9 &&
           !memcmp(p->a->str, "__proto__", 9);
}

static int late_prop(node *p)
{
    return p->kind == PK_SPREAD || (p->flags & NF_COMPUTED) || is_proto_prop(p) ||
           ((p->kind == PK_GET || p->kind == PK_SET) && uses_super(p->b, 0));
}

static void emit_object_inner(E *e, node *o)
{
    sync(e, o->line);
    int dynamic = 0;
    for (node *p = o->list; p; p = p->next) {
        if (p->kind == PK_SHORTHAND && p->c) fail(e, p, "Invalid shorthand property initializer");
        if (late_prop(p)) dynamic = 1;
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
                emit_method_fn(e, fn, "\001" "accessor");
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
    for (; p && !late_prop(p); p = p->next) {
        if (any) P(", ");
        any = 1;
        sync(e, p->line);
        if (p->kind == PK_GET || p->kind == PK_SET) {
            P(p->kind == PK_GET ? "get " : "set ");
            emit_key_literal(e, p->a);
            emit_method_fn(e, p->b, "\001" "accessor");
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
        if (is_proto_prop(p)) {
            /* __proto__: v sets the prototype (ES2015 Annex B); Duktape would make a property */
            P("__ami_setproto(");
            P(t);
            P(", ");
            emit_expr(e, p->b);
            P(")");
            continue;
        }
        if (p->kind == PK_GET || p->kind == PK_SET) {
            P("__ami_accessor(");
            P(t);
            P(", ");
            if (p->flags & NF_COMPUTED) emit_expr(e, p->a); else emit_key_string(e, p->a);
            P(", ");
            if (p->kind == PK_GET) { emit_method_fn(e, p->b, NULL); P(", void 0"); }
            else { P("void 0, "); emit_method_fn(e, p->b, NULL); }
            P(", true)");
            continue;
        }
        P("__ami_prop(");
        P(t);
        P(", ");
        if (p->flags & NF_COMPUTED) emit_expr(e, p->a); else emit_key_string(e, p->a);
        P(", ");
        if (p->kind == PK_METHOD) emit_method_fn(e, p->b, NULL);
        else emit_expr(e, p->b);
        P(")");
    }
    P(", ");
    P(t);
    sync(e, o->end_line);
    P(")");
}
