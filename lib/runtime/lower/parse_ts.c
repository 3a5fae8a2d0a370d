/* Parser: TypeScript (types skipped, modifiers, constructor parameter
 * properties, enums). */
#include "runtime/lower/parse.h"

/* ---- TypeScript: types are skipped, never checked (as Deno and Node's type
 * stripping do).  The skippers below never fail by longjmp: they return 0
 * when the tokens are not a type, so callers can also use them to look
 * ahead (with the lexer state saved and restored). */

/* the source uses TypeScript-only syntax: remember it (the worker's language) */
void ts_seen(P *p)
{
    p->ts = 1;
    p->C->saw_ts = 1;
}

tsave ts_save(P *p) { tsave s = { p->L, p->tok, p->prev }; return s; }
void ts_restore(P *p, const tsave *s) { p->L = s->L; p->tok = s->tok; p->prev = s->prev; }

/* at ( [ { or <: skip to the matching close; 0 when it never closes */
int ts_balanced_g(P *p, int guard)
{
    char stack[256];
    int sp = 0;
    for (;;) {
        lw_token *t = &p->tok;
        if (t->type == TK_EOF) return 0;
        if (t->type == TK_PUNCT) {
            const char *v = t->val;
            char c = v[0];
            int angle = sp == 0 || stack[sp - 1] == '<';
            if ((c == '(' || c == '[' || c == '{') && !v[1]) {
                if (sp == 256) return 0;
                stack[sp++] = c;
            } else if (c == '<' && !v[1] && angle) {
                if (sp == 256) return 0;
                stack[sp++] = '<';
            } else if (guard && stack[0] == '<' && sp && (!strcmp(v, ";") || !strcmp(v, "=") || !strcmp(v, "&&") || !strcmp(v, "||") ||
                                                  !strcmp(v, "+") || !strcmp(v, "*") || !strcmp(v, "/") || !strcmp(v, "%") ||
                                                  !strcmp(v, "==") || !strcmp(v, "!=") || !strcmp(v, "===") || !strcmp(v, "!==") ||
                                                  !strcmp(v, "<=") || !strcmp(v, ">=") || !strcmp(v, "!"))) {
                return 0;   /* not type arguments: an expression */
            } else if ((c == ')' || c == ']' || c == '}') && !v[1]) {
                char want = c == ')' ? '(' : c == ']' ? '[' : '{';
                if (!sp || stack[sp - 1] != want) return 0;
                sp--;
            } else if (c == '>' && sp && stack[sp - 1] == '<' && (!strcmp(v, ">") || !strcmp(v, ">>") || !strcmp(v, ">>>"))) {
                for (size_t k = strlen(v); k > 0; k--) {
                    if (!sp || stack[sp - 1] != '<') return 0;
                    sp--;
                }
            }
        }
        next(p);
        if (!sp) return 1;
    }
}

int ts_balanced(P *p) { return ts_balanced_g(p, 0); }

/* `=> Type` after a parameter list of a function type */
static int ts_fn_tail(P *p)
{
    if (!tok_is(p, "=>")) return 0;
    next(p);
    return ts_type(p);
}

static int ts_prim(P *p)
{
    enter(p);
    int ok = 1;
    for (;;) {   /* type operators */
        if ((tok_ident(p, "keyof") || tok_ident(p, "unique") || tok_ident(p, "readonly") || tok_ident(p, "asserts")) &&
            !peek(p).nl_before && (peek(p).type == TK_IDENT || peek(p).type == TK_KEYWORD || peek(p).type == TK_PUNCT)) {
            lw_token nx = peek(p);
            if (nx.type == TK_PUNCT && strcmp(nx.val, "(") && strcmp(nx.val, "[") && strcmp(nx.val, "{")) break;
            next(p);
            continue;
        }
        if (tok_ident(p, "infer") && peek(p).type == TK_IDENT) {
            next(p);
            next(p);
            leave(p);
            return 1;
        }
        break;
    }
    lw_token *t = &p->tok;
    if (tok_is(p, "typeof")) {
        next(p);
        if (tok_is(p, "import")) { next(p); ok = tok_is(p, "(") && ts_balanced(p); }
        else if (p->tok.type == TK_IDENT || p->tok.type == TK_KEYWORD) next(p);
        else ok = 0;
        while (ok && tok_is(p, ".")) {
            next(p);
            if (p->tok.type != TK_IDENT && p->tok.type != TK_KEYWORD) { ok = 0; break; }
            next(p);
        }
        if (ok && tok_is(p, "<") && !p->tok.nl_before) ok = ts_balanced(p);
    } else if (tok_is(p, "(")) {
        ok = ts_balanced(p);
        if (ok && tok_is(p, "=>")) ok = ts_fn_tail(p);
    } else if (tok_is(p, "<")) {
        ok = ts_balanced(p) && tok_is(p, "(") && ts_balanced(p) && ts_fn_tail(p);
    } else if (tok_is(p, "new") || (tok_ident(p, "abstract") && peek(p).type == TK_KEYWORD && !strcmp(peek(p).val, "new"))) {
        if (tok_ident(p, "abstract")) next(p);
        next(p);
        if (tok_is(p, "<")) ok = ts_balanced(p);
        ok = ok && tok_is(p, "(") && ts_balanced(p) && ts_fn_tail(p);
    } else if (tok_is(p, "{") || tok_is(p, "[")) {
        ok = ts_balanced(p);
    } else if (t->type == TK_STR || t->type == TK_NUM) {
        next(p);
    } else if (t->type == TK_TEMPLATE) {
        int kind = t->tpl;
        next(p);
        while (ok && (kind == TPL_HEAD || kind == TPL_MIDDLE)) {
            ok = ts_type(p);
            if (!ok || p->tok.type != TK_TEMPLATE) { ok = 0; break; }
            kind = p->tok.tpl;
            next(p);
        }
    } else if (tok_is(p, "-") && peek(p).type == TK_NUM) {
        next(p);
        next(p);
    } else if (tok_is(p, "import")) {
        next(p);
        ok = tok_is(p, "(") && ts_balanced(p);
        while (ok && tok_is(p, ".")) {
            next(p);
            if (p->tok.type != TK_IDENT && p->tok.type != TK_KEYWORD) { ok = 0; break; }
            next(p);
        }
        if (ok && tok_is(p, "<")) ok = ts_balanced(p);
    } else if (t->type == TK_IDENT || (t->type == TK_KEYWORD && (tok_is(p, "this") || tok_is(p, "null") || tok_is(p, "void") ||
                                                                 tok_is(p, "true") || tok_is(p, "false") || tok_is(p, "const")))) {
        int is_this = tok_is(p, "this");
        next(p);
        while (tok_is(p, ".")) {
            next(p);
            if (p->tok.type != TK_IDENT && p->tok.type != TK_KEYWORD) { ok = 0; break; }
            next(p);
        }
        if (ok && tok_is(p, "<") && !p->tok.nl_before) ok = ts_balanced(p);
        /* type predicate: x is T */
        if (ok && tok_ident(p, "is") && !p->tok.nl_before) { next(p); ok = ts_type(p); }
        (void)is_this;
    } else {
        ok = 0;
    }
    /* T[] and T[K] */
    while (ok && tok_is(p, "[") && !p->tok.nl_before) ok = ts_balanced(p);
    leave(p);
    return ok;
}

/* a whole type: unions, intersections, conditional types, function types */
static int ts_type_nocond(P *p)
{
    if (tok_is(p, "|") || tok_is(p, "&")) next(p);
    if (!ts_prim(p)) return 0;
    while (tok_is(p, "|") || tok_is(p, "&")) {
        next(p);
        if (!ts_prim(p)) return 0;
    }
    return 1;
}

int ts_type(P *p)
{
    enter(p);
    int ok = ts_type_nocond(p);
    if (ok && tok_is(p, "extends") && !p->tok.nl_before) {
        next(p);
        ok = ts_type_nocond(p) && tok_is(p, "?");
        if (ok) { next(p); ok = ts_type(p) && tok_is(p, ":"); }
        if (ok) { next(p); ok = ts_type(p); }
    }
    leave(p);
    return ok;
}

/* skip a required type, or fail at the token that is not one */
void ts_need_type(P *p)
{
    ts_seen(p);
    lw_token at = p->tok;
    tsave s = ts_save(p);
    if (ts_type(p)) return;
    ts_restore(p, &s);
    ami__lw_fail(p->C, at.line, at.col, "Unexpected token in a TypeScript type");
}

/* `: Type` (and `?` / `!` before it) after a binding name or pattern */
void ts_binding_suffix(P *p, int optional_ok)
{
    if (optional_ok && tok_is(p, "?")) {
        lw_token nx = peek(p);
        if (nx.type == TK_PUNCT && (!strcmp(nx.val, ":") || !strcmp(nx.val, ",") || !strcmp(nx.val, ")") || !strcmp(nx.val, "="))) {
            ts_seen(p);
            next(p);
        }
    } else if (tok_is(p, "!") && peek(p).type == TK_PUNCT && !strcmp(peek(p).val, ":")) {
        ts_seen(p);
        next(p);
    }
    if (tok_is(p, ":")) {
        next(p);
        ts_need_type(p);
    }
}

/* at `<` in TS mode: type parameters / arguments; 0 (nothing consumed) if unbalanced */
int ts_angle(P *p)
{
    tsave s = ts_save(p);
    if (ts_balanced(p)) { ts_seen(p); return 1; }
    ts_restore(p, &s);
    return 0;
}

/* a comma-separated list of types (extends / implements clauses) */
void ts_type_list(P *p)
{
    do ts_need_type(p); while (eat(p, ","));
}

/* skip a `declare …` statement, or an ambient declaration: to its `;`, its
 * end of line, or the `}` closing its body */
void ts_skip_declaration(P *p)
{
    ts_seen(p);
    int braced = tok_is(p, "class") || tok_is(p, "enum") || tok_ident(p, "namespace") || tok_ident(p, "module") ||
                 tok_ident(p, "global") || tok_ident(p, "interface") || tok_ident(p, "abstract");
    int first = 1;
    for (;;) {
        if (p->tok.type == TK_EOF) return;
        if (!first && p->tok.nl_before && !braced && p->prev.type != TK_PUNCT) return;
        if (!first && p->tok.nl_before && !braced && p->prev.type == TK_PUNCT &&
            (!strcmp(p->prev.val, ")") || !strcmp(p->prev.val, "]") || !strcmp(p->prev.val, "}"))) return;
        first = 0;
        if (tok_is(p, ";")) { next(p); return; }
        if (tok_is(p, "}")) return;
        if (tok_is(p, "(") || tok_is(p, "[") || tok_is(p, "{")) {
            int brace = tok_is(p, "{");
            lw_token at = p->tok;
            if (!ts_balanced(p)) ami__lw_fail(p->C, at.line, at.col, "Unexpected end of input");
            if (brace && braced) { eat(p, ";"); return; }
            continue;
        }
        next(p);
    }
}

int ts_modifier(P *p)
{
    static const char *const mods[] = { "public", "private", "protected", "readonly", "override", "declare", "abstract", "accessor", NULL };
    if (p->tok.type != TK_IDENT || p->tok.escaped) return 0;
    for (int i = 0; mods[i]; i++)
        if (!strcmp(p->tok.val, mods[i])) {
            lw_token nx = peek(p);
            if (nx.nl_before) return 0;
            if (nx.type == TK_PUNCT && strcmp(nx.val, "[") && strcmp(nx.val, "{") && strcmp(nx.val, "*")) return 0;
            if (nx.type == TK_EOF) return 0;
            return 1;
        }
    return 0;
}


/* TypeScript constructor parameter properties: `this.x = x;` at the start
 * of the body (after the super(...) call of a derived class) */
void ts_param_props(P *p, node *fn)
{
    node *body = fn->b;
    lw_token at = { 0 };
    at.line = body->line;
    at.col = body->col;
    node **slot = &body->list;
    if (fn->flags & NF_DERIVED) {
        for (node **q = &body->list; *q; q = &(*q)->next) {
            node *st = *q;
            if (st->type == N_EXPR_STMT && st->a && st->a->type == N_CALL && st->a->a && st->a->a->type == N_SUPER) {
                slot = &st->next;
                at.line = st->end_line;
                at.col = 1;
                break;
            }
        }
    }
    for (pprop *pp = p->pprops; pp; pp = pp->next) {   /* reversed list: prepend keeps source order */
        node *st = mk(p, N_EXPR_STMT, &at);
        node *as = mk(p, N_ASSIGN, &at);
        as->str = "=";
        node *m = mk(p, N_MEMBER, &at);
        node *th = mk(p, N_THIS, &at);
        add_ref(p, th);
        node *key = mk(p, N_STR, &at);
        key->str = pp->id->str;
        key->slen = pp->id->slen;
        key->kind = 1;
        m->a = th;
        m->b = key;
        node *val = mk(p, N_IDENT, &at);
        val->str = pp->id->str;
        val->slen = pp->id->slen;
        add_ref(p, val);
        as->a = m;
        as->b = val;
        st->a = as;
        st->next = *slot;
        *slot = st;
    }
}
/* TypeScript enum (after `enum`, or `const enum`), lowered to
 *   let E = (function () { var A = 0; var B = A + 1; …; return __ami_enum(["A", "B"], [A, B]); })();
 * so initialisers see the earlier members by name; numeric members get the
 * reverse mapping (E[0] === "A"). */
node *ts_enum(P *p, const lw_token *st)
{
    ts_seen(p);
    next(p);
    node *name = ident_node(p);
    declare(p, name, BK_LET);
    node *v = mk(p, N_VAR, st);
    v->kind = VK_LET;
    node *d = mk(p, N_DECL, st);
    d->a = name;
    v->list = d;
    node *fn = mk(p, N_FUNC, st);
    fnstate fs = fn_enter(p, 0);
    push_scope(p, SC_FUNC, fn);
    node *blk = mk(p, N_BLOCK, &p->tok);
    expect(p, "{");
    nl body = { 0 }, keys = { 0 }, vals = { 0 };
    node *prev = NULL;
    int idx = 0;
    while (!tok_is(p, "}")) {
        lw_token mt = p->tok;
        node *key;
        int plain = p->tok.type == TK_IDENT;
        if (p->tok.type == TK_STR) {
            key = mk(p, N_STR, &mt);
            key->str = p->tok.val;
            key->slen = p->tok.vlen;
            next(p);
        } else if (p->tok.type == TK_IDENT || p->tok.type == TK_KEYWORD) {
            key = name_key(p);
        } else {
            unexpected(p);
        }
        node *vid = mk(p, N_IDENT, &mt);
        if (plain) {
            vid->str = key->str;
            vid->slen = key->slen;
        } else {
            char buf[32];
            int n = snprintf(buf, sizeof buf, "__ami_e%d", idx);
            vid->str = ami__lw_strndup(p->C, buf, (size_t)n);
            vid->slen = (size_t)n;
        }
        ami__lw_nameset_add(p->C, vid->str);
        node *init;
        if (eat(p, "=")) {
            init = parse_assign_in(p);
        } else if (!prev) {
            init = mk(p, N_NUM, &mt);
            init->str = "0";
            init->slen = 1;
        } else {
            init = mk(p, N_BINARY, &mt);
            init->str = "+";
            init->kind = mt.line;
            node *r = mk(p, N_IDENT, &mt);
            r->str = prev->str;
            r->slen = prev->slen;
            add_ref(p, r);
            node *one = mk(p, N_NUM, &mt);
            one->str = "1";
            one->slen = 1;
            init->a = r;
            init->b = one;
        }
        declare(p, vid, BK_VAR);
        node *vv = mk(p, N_VAR, &mt);
        vv->kind = VK_VAR;
        node *dd = mk(p, N_DECL, &mt);
        dd->a = vid;
        dd->b = init;
        vv->list = dd;
        nl_add(&body, vv);
        nl_add(&keys, key);
        node *ref = mk(p, N_IDENT, &mt);
        ref->str = vid->str;
        ref->slen = vid->slen;
        add_ref(p, ref);
        nl_add(&vals, ref);
        prev = vid;
        idx++;
        if (!tok_is(p, "}")) expect(p, ",");
    }
    lw_token end = p->tok;
    for (node *k = keys.head; k; k = k->next) { k->line = end.line; k->col = end.col; }
    for (node *k = vals.head; k; k = k->next) { k->line = end.line; k->col = end.col; }
    next(p);
    node *ret = mk(p, N_RETURN, &end);
    node *call = mk(p, N_CALL, &end);
    node *callee = mk(p, N_IDENT, &end);
    callee->str = "__ami_enum";
    callee->slen = 10;
    ami__lw_nameset_add(p->C, callee->str);
    add_ref(p, callee);
    node *ka = mk(p, N_ARRAY, &end), *va = mk(p, N_ARRAY, &end);
    ka->list = keys.head;
    va->list = vals.head;
    ka->next = va;
    call->a = callee;
    call->list = ka;
    ret->a = call;
    nl_add(&body, ret);
    blk->list = body.head;
    blk->end_line = end.line;
    fn->b = blk;
    fn->end_line = end.line;
    pop_scope(p);
    fn_leave(p, fs);
    node *paren = mk(p, N_PAREN, st);
    paren->a = fn;
    paren->end_line = end.line;
    node *iife = mk(p, N_CALL, st);
    iife->a = paren;
    iife->end_line = end.line;
    d->b = iife;
    v->end_line = end.line;
    return v;
}

