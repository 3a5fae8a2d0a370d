/* Internal to the emitter (emit*.c): its state, and the functions its files
 * share.  The emitter walks the AST and writes ES5.1, keeping every token on
 * its source line (newlines are only ever written to catch up with the source
 * line).  emit.c: output, names, literals, jumps, the entry point;
 * emit_expr.c: expressions; emit_object.c: object literals; emit_assign.c:
 * destructuring and assignment; emit_func.c: functions and classes;
 * emit_stmt.c: statements and loops. */
#ifndef AMI_LOWER_EMIT_H
#define AMI_LOWER_EMIT_H
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
    const char *home;       /* object literal method using super: its name (__ami_hN) */
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
    const char *next_home;  /* the next emit_function is an object literal method with this home name */
    const char *forof_label; /* "a: b: ": labels of the for-of being emitted (printed inside its try) */
} E;
#define P(s) puts_(e, s)
typedef struct val { const char *name; node *dflt; node *expr; } val;

/* The files call each other by short names; the symbols carry the ami__lwe_
   prefix (internal names are ami__*). */
#define emit_exit_checks(...) ami__lwe_emit_exit_checks(__VA_ARGS__)
#define emit_tdz_init(...) ami__lwe_emit_tdz_init(__VA_ARGS__)
#define emit_tdz_write_check(...) ami__lwe_emit_tdz_write_check(__VA_ARGS__)
#define emit_ident(...) ami__lwe_emit_ident(__VA_ARGS__)
#define emit_jump(...) ami__lwe_emit_jump(__VA_ARGS__)
#define emit_key_literal(...) ami__lwe_emit_key_literal(__VA_ARGS__)
#define emit_key_string(...) ami__lwe_emit_key_string(__VA_ARGS__)
#define emit_rawlit(...) ami__lwe_emit_rawlit(__VA_ARGS__)
#define emit_strlit(...) ami__lwe_emit_strlit(__VA_ARGS__)
#define fail(...) ami__lwe_fail(__VA_ARGS__)
#define fn_pop(...) ami__lwe_fn_pop(__VA_ARGS__)
#define fn_push(...) ami__lwe_fn_push(__VA_ARGS__)
#define hoist_var(...) ami__lwe_hoist_var(__VA_ARGS__)
#define ident_out(...) ami__lwe_ident_out(__VA_ARGS__)
#define oom(...) ami__lwe_oom(__VA_ARGS__)
#define push_jump(...) ami__lwe_push_jump(__VA_ARGS__)
#define put(...) ami__lwe_put(__VA_ARGS__)
#define puts_(...) ami__lwe_puts_(__VA_ARGS__)
#define raw(...) ami__lwe_raw(__VA_ARGS__)
#define record_exit(...) ami__lwe_record_exit(__VA_ARGS__)
#define sync(...) ami__lwe_sync(__VA_ARGS__)
#define temp(...) ami__lwe_temp(__VA_ARGS__)
#define this_name(...) ami__lwe_this_name(__VA_ARGS__)
#define emit_expr(...) ami__lwe_emit_expr(__VA_ARGS__)
#define emit_object(...) ami__lwe_emit_object(__VA_ARGS__)
#define emit_member_tail(...) ami__lwe_emit_member_tail(__VA_ARGS__)
#define emit_super_base(...) ami__lwe_emit_super_base(__VA_ARGS__)
#define is_simple(...) ami__lwe_is_simple(__VA_ARGS__)
#define assign_pattern(...) ami__lwe_assign_pattern(__VA_ARGS__)
#define assign_target(...) ami__lwe_assign_target(__VA_ARGS__)
#define emit_assign(...) ami__lwe_emit_assign(__VA_ARGS__)
#define emit_const_error(...) ami__lwe_emit_const_error(__VA_ARGS__)
#define emit_target(...) ami__lwe_emit_target(__VA_ARGS__)
#define emit_super_update(...) ami__lwe_emit_super_update(__VA_ARGS__)
#define fmt(...) ami__lwe_fmt(__VA_ARGS__)
#define is_const_ident(...) ami__lwe_is_const_ident(__VA_ARGS__)
#define sep(...) ami__lwe_sep(__VA_ARGS__)
#define to_temp(...) ami__lwe_to_temp(__VA_ARGS__)
#define emit_class(...) ami__lwe_emit_class(__VA_ARGS__)
#define emit_function(...) ami__lwe_emit_function(__VA_ARGS__)
#define emit_stmt(...) ami__lwe_emit_stmt(__VA_ARGS__)
#define emit_stmts(...) ami__lwe_emit_stmts(__VA_ARGS__)

/* emit.c */
void emit_exit_checks(E *e, node *at, exitrec *exits, const char *r);
void emit_ident(E *e, node *id);
void emit_tdz_init(E *e, lw_scope *s);
void emit_tdz_write_check(E *e, node *id);
void emit_jump(E *e, node *n, int is_continue, const char *label);
void emit_key_literal(E *e, node *k);
void emit_key_string(E *e, node *k);
void emit_rawlit(E *e, const char *s, size_t n);
void emit_strlit(E *e, const char *body, size_t n);
void fail(E *e, node *n, const char *msg) __attribute__((noreturn));
void fn_pop(E *e);
fnctx *fn_push(E *e, lw_scope *scope, int arrowlike, int is_wrap);
void hoist_var(E *e, const char *name);
const char *ident_out(node *id);
void oom(E *e) __attribute__((noreturn));
jump *push_jump(E *e, int kind, const char *label);
void put(E *e, const char *s, size_t n);
void puts_(E *e, const char *s);
void raw(E *e, const char *s, size_t n);
void record_exit(E *e, int kind, const char *label);
void sync(E *e, int line);
const char *temp(E *e);
const char *this_name(E *e);
/* emit_expr.c */
void emit_expr(E *e, node *n);
/* emit_object.c */
void emit_object(E *e, node *o);
void emit_member_tail(E *e, node *m);
void emit_super_base(E *e, node *n);
int is_simple(node *n);
/* emit_assign.c */
void assign_pattern(E *e, node *pat, val v, int decl, int *first);
void assign_target(E *e, node *target, val v, int decl, int *first);
void emit_assign(E *e, node *a);
void emit_const_error(E *e, node *id);
void emit_target(E *e, node *t);
void emit_super_update(E *e, node *tt, const char *op, node *rhs, int prefix);
char *fmt(E *e, const char *f, const char *a, const char *b);
int is_const_ident(node *n);
void sep(E *e, int *first);
const char *to_temp(E *e, val v, int *first);
/* emit_func.c */
void emit_class(E *e, node *c, const char *name);
void emit_function(E *e, node *fn, const char *name);
/* emit_stmt.c */
void emit_stmt(E *e, node *n);
void emit_stmts(E *e, node *list);

#endif
