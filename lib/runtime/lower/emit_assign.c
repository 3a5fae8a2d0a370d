/* Emitter: destructuring patterns and assignment (including compound and
 * logical assignment, const and TDZ checks). */
#include "runtime/lower/emit.h"

/* --- destructuring */


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
void sep(E *e, int *first)
{
    if (!*first) P(", ");
    *first = 0;
}


const char *to_temp(E *e, val v, int *first)
{
    if (!v.dflt && !v.expr && strncmp(v.name, "__ami_", 6) == 0 && !strpbrk(v.name, ".[(")) return v.name;
    const char *t = temp(e);
    sep(e, first);
    P(t);
    P(" = ");
    emit_val(e, v);
    return t;
}

char *fmt(E *e, const char *f, const char *a, const char *b)
{
    size_t n = strlen(f) + strlen(a) + (b ? strlen(b) : 0) + 1;
    char *s = ami__lw_alloc(e->C, n);
    snprintf(s, n, f, a, b ? b : "");
    return s;
}

void assign_pattern(E *e, node *pat, val v, int decl, int *first)
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

void assign_target(E *e, node *target, val v, int decl, int *first)
{
    while (target->type == N_PAREN) target = target->a;
    if (target->type == N_IDENT && !decl && (target->flags & NF_TDZCHK) && !is_const_ident(target)) {
        /* a closure may write before the declaration ran: the value first,
         * then the check (as PutValue does), then the write */
        const char *t = to_temp(e, v, first);
        sep(e, first);
        sync(e, target->line);
        emit_tdz_write_check(e, target);
        P(ident_out(target));
        P(" = ");
        P(t);
        P(")");
        return;
    }
    if (target->type == N_IDENT) {
        sep(e, first);
        if (!decl && is_const_ident(target)) {
            /* assigning a const through destructuring throws, like Node */
            emit_const_error(e, target);
            return;
        }
        if (decl || (target->flags & NF_TDZCHK)) { sync(e, target->line); P(ident_out(target)); }
        else emit_expr(e, target);
        P(" = ");
        emit_val(e, v);
        return;
    }
    if (target->type == N_MEMBER && target->a->type == N_SUPER) {
        /* [super.x] = a: through super's setter, as super.x = v */
        sep(e, first);
        P("__ami_sset(");
        emit_super_base(e, target->a);
        P(", ");
        if (target->flags & NF_COMPUTED) emit_expr(e, target->b); else emit_key_string(e, target->b);
        P(", ");
        emit_val(e, v);
        P(", ");
        P(this_name(e));
        P(")");
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

int is_const_ident(node *n)
{
    while (n->type == N_PAREN) n = n->a;
    return n->type == N_IDENT && n->bind && (n->bind->kind == BK_CONST || (n->flags & NF_TDZ));
}

/* the error a write to a const (or to a name in its dead zone) throws */
void emit_const_error(E *e, node *id)
{
    while (id->type == N_PAREN) id = id->a;
    sync(e, id->line);
    P((id->flags & NF_TDZ) ? "__ami_tdz(" : "__ami_const(");
    emit_rawlit(e, id->str, id->slen);
    P(")");
}

/* super.k OP= v, super.k &&= v, ++super.k, super.k-- (rhs NULL for ++/--):
 * read through super (a getter sees this), write through super (a setter
 * found from the home's prototype runs with this, else this gets the value);
 * a computed key is evaluated once */
void emit_super_update(E *e, node *tt, const char *op, node *rhs, int prefix)
{
    const char *key = NULL;
    P("(");
    if ((tt->flags & NF_COMPUTED) && !(tt->b->type == N_NUM || tt->b->type == N_STR)) {
        key = temp(e);
        P(key);
        P(" = ");
        emit_expr(e, tt->b);
        P(", ");
    }
#define KEY() do { if (key) P(key); else if (tt->flags & NF_COMPUTED) emit_expr(e, tt->b); else emit_key_string(e, tt->b); } while (0)
#define GET() do { P("__ami_sget("); emit_super_base(e, tt->a); P(", "); KEY(); P(", "); P(this_name(e)); P(")"); } while (0)
#define SET_OPEN() do { P("__ami_sset("); emit_super_base(e, tt->a); P(", "); KEY(); P(", "); } while (0)
#define SET_CLOSE() do { P(", "); P(this_name(e)); P(")"); } while (0)
    if (!rhs) {
        const char *step = op[0] == '+' ? " + 1" : " - 1";
        if (prefix) {
            SET_OPEN(); P("+"); GET(); P(step); SET_CLOSE();
        } else {
            const char *old = temp(e);
            P(old); P(" = +"); GET(); P(", ");
            SET_OPEN(); P(old); P(step); SET_CLOSE();
            P(", "); P(old);
        }
    } else if (!strcmp(op, "&&=") || !strcmp(op, "||=")) {
        GET(); P(op[0] == '&' ? " && " : " || ");
        SET_OPEN(); emit_expr(e, rhs); SET_CLOSE();
    } else if (!strcmp(op, "?\?=")) {
        const char *v = temp(e);
        P("("); P(v); P(" = "); GET(); P(") != null ? "); P(v); P(" : ");
        SET_OPEN(); emit_expr(e, rhs); SET_CLOSE();
    } else if (!strcmp(op, "**=")) {
        SET_OPEN(); P("Math.pow("); GET(); P(", "); emit_expr(e, rhs); P(")"); SET_CLOSE();
    } else {
        SET_OPEN(); GET(); P(" "); put(e, op, strlen(op) - 1); P(" ("); emit_expr(e, rhs); P(")"); SET_CLOSE();
    }
    P(")");
#undef KEY
#undef GET
#undef SET_OPEN
#undef SET_CLOSE
}

/* the target of a compound assignment or update (super.x goes through emit_super_update) */
void emit_target(E *e, node *t)
{
    if (t->type == N_IDENT && (t->flags & NF_TDZCHK)) { sync(e, t->line); P(ident_out(t)); return; }   /* checked by the caller */
    emit_expr(e, t);
}

void emit_assign(E *e, node *a)
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
    if (t->type == N_IDENT && (t->flags & NF_TDZCHK)) {
        /* a closure may write before the declaration ran: check, then assign */
        emit_tdz_write_check(e, t);
        t->flags &= ~NF_TDZCHK;
        emit_assign(e, a);
        t->flags |= NF_TDZCHK;
        P(")");
        return;
    }
    if (!strcmp(op, "=") && t->type == N_MEMBER && t->a->type == N_SUPER) {
        /* super.x = v: a setter found from the home's prototype runs with this */
        P("__ami_sset(");
        emit_super_base(e, t->a);
        P(", ");
        if (t->flags & NF_COMPUTED) emit_expr(e, t->b); else emit_key_string(e, t->b);
        P(", ");
        emit_expr(e, a->b);
        P(", ");
        P(this_name(e));
        P(")");
        return;
    }
    {
        node *st = t;
        while (st->type == N_PAREN) st = st->a;
        if (st->type == N_MEMBER && st->a->type == N_SUPER) { sync(e, a->line); emit_super_update(e, st, op, a->b, 0); return; }
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

