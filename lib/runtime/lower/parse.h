/* Internal to the parser (parser.c, parse_*.c): its state, and the functions
 * its files share.  Recursive descent for ES2020 scripts (function-body goal:
 * top-level await and return allowed) and TypeScript (types skipped).  It
 * builds the AST and the scope tree and records every identifier reference for
 * the analysis pass.  parser.c: tokens, nodes, scopes, the entry point;
 * parse_ts.c: TypeScript types, modifiers, parameter properties, enums;
 * parse_pattern.c: binding patterns; parse_literal.c: templates, arguments,
 * array and object literals; parse_expr.c: expressions; parse_func.c:
 * functions, arrows, classes; parse_stmt.c: statements. */
#ifndef AMI_LOWER_PARSE_H
#define AMI_LOWER_PARSE_H
#include <stdio.h>
#include <string.h>
#include "runtime/lower/ast.h"

#define MAX_DEPTH 200
#define MAX_CHAIN 3000

typedef struct pprop { node *id; struct pprop *next; } pprop;

typedef struct P {
    lw_ctx *C;
    lw_lexer L;
    lw_token tok, prev;
    lw_scope *scope;
    int fn_depth;       /* 0 at script level */
    int in_async;
    int in_gen;         /* yield is an operator here */
    int await_ok;
    int no_in;
    int depth;
    int in_func;        /* return allowed: always (script is a function body) */
    int ts;             /* TypeScript: given, or seen (generic calls f<T>() are parsed as such) */
    struct pprop *pprops;   /* constructor parameter properties (TypeScript) */
    size_t *akey;       /* arrow-lookahead cache: '(' offset + 1 -> is arrow */
    char *aval;
    size_t acap, an;
} P;
typedef struct tsave { lw_lexer L; lw_token tok, prev; } tsave;
typedef struct nl { node *head, *tail; int n; } nl;
typedef struct fnstate { int fn_depth, in_async, await_ok, no_in, in_gen; } fnstate;

/* The files call each other by short names; the symbols carry the ami__lwp_
   prefix (internal names are ami__*). */
#define add_ref(...) ami__lwp_add_ref(__VA_ARGS__)
#define declare(...) ami__lwp_declare(__VA_ARGS__)
#define eat(...) ami__lwp_eat(__VA_ARGS__)
#define enter(...) ami__lwp_enter(__VA_ARGS__)
#define expect(...) ami__lwp_expect(__VA_ARGS__)
#define leave(...) ami__lwp_leave(__VA_ARGS__)
#define mk(...) ami__lwp_mk(__VA_ARGS__)
#define next(...) ami__lwp_next(__VA_ARGS__)
#define nl_add(...) ami__lwp_nl_add(__VA_ARGS__)
#define peek(...) ami__lwp_peek(__VA_ARGS__)
#define pop_scope(...) ami__lwp_pop_scope(__VA_ARGS__)
#define push_scope(...) ami__lwp_push_scope(__VA_ARGS__)
#define regex_allowed_after2(...) ami__lwp_regex_allowed_after2(__VA_ARGS__)
#define semicolon(...) ami__lwp_semicolon(__VA_ARGS__)
#define tok_ident(...) ami__lwp_tok_ident(__VA_ARGS__)
#define tok_is(...) ami__lwp_tok_is(__VA_ARGS__)
#define unexpected(...) ami__lwp_unexpected(__VA_ARGS__)
#define ts_angle(...) ami__lwp_ts_angle(__VA_ARGS__)
#define ts_balanced(...) ami__lwp_ts_balanced(__VA_ARGS__)
#define ts_balanced_g(...) ami__lwp_ts_balanced_g(__VA_ARGS__)
#define ts_binding_suffix(...) ami__lwp_ts_binding_suffix(__VA_ARGS__)
#define ts_enum(...) ami__lwp_ts_enum(__VA_ARGS__)
#define ts_modifier(...) ami__lwp_ts_modifier(__VA_ARGS__)
#define ts_need_type(...) ami__lwp_ts_need_type(__VA_ARGS__)
#define ts_param_props(...) ami__lwp_ts_param_props(__VA_ARGS__)
#define ts_restore(...) ami__lwp_ts_restore(__VA_ARGS__)
#define ts_save(...) ami__lwp_ts_save(__VA_ARGS__)
#define ts_seen(...) ami__lwp_ts_seen(__VA_ARGS__)
#define ts_skip_declaration(...) ami__lwp_ts_skip_declaration(__VA_ARGS__)
#define ts_type(...) ami__lwp_ts_type(__VA_ARGS__)
#define ts_type_list(...) ami__lwp_ts_type_list(__VA_ARGS__)
#define parse_binding_element(...) ami__lwp_parse_binding_element(__VA_ARGS__)
#define parse_binding_target(...) ami__lwp_parse_binding_target(__VA_ARGS__)
#define simple_target(...) ami__lwp_simple_target(__VA_ARGS__)
#define to_pattern(...) ami__lwp_to_pattern(__VA_ARGS__)
#define is_key_start(...) ami__lwp_is_key_start(__VA_ARGS__)
#define parse_args(...) ami__lwp_parse_args(__VA_ARGS__)
#define parse_array(...) ami__lwp_parse_array(__VA_ARGS__)
#define parse_method(...) ami__lwp_parse_method(__VA_ARGS__)
#define parse_object(...) ami__lwp_parse_object(__VA_ARGS__)
#define parse_prop_key(...) ami__lwp_parse_prop_key(__VA_ARGS__)
#define parse_template(...) ami__lwp_parse_template(__VA_ARGS__)
#define ident_node(...) ami__lwp_ident_node(__VA_ARGS__)
#define name_key(...) ami__lwp_name_key(__VA_ARGS__)
#define parse_assign(...) ami__lwp_parse_assign(__VA_ARGS__)
#define parse_assign_in(...) ami__lwp_parse_assign_in(__VA_ARGS__)
#define parse_expr(...) ami__lwp_parse_expr(__VA_ARGS__)
#define parse_expr_in(...) ami__lwp_parse_expr_in(__VA_ARGS__)
#define parse_lhs(...) ami__lwp_parse_lhs(__VA_ARGS__)
#define fn_enter(...) ami__lwp_fn_enter(__VA_ARGS__)
#define fn_leave(...) ami__lwp_fn_leave(__VA_ARGS__)
#define parse_arrow(...) ami__lwp_parse_arrow(__VA_ARGS__)
#define parse_class(...) ami__lwp_parse_class(__VA_ARGS__)
#define parse_function(...) ami__lwp_parse_function(__VA_ARGS__)
#define parse_statement(...) ami__lwp_parse_statement(__VA_ARGS__)

/* parser.c */
void add_ref(P *p, node *id);
void declare(P *p, node *id, int kind);
int eat(P *p, const char *s);
void enter(P *p);
void expect(P *p, const char *s);
void leave(P *p);
node *mk(P *p, int type, const lw_token *t);
void next(P *p);
void nl_add(nl *l, node *n);
lw_token peek(P *p) __attribute__((noinline));
void pop_scope(P *p);
lw_scope *push_scope(P *p, int kind, node *owner);
int regex_allowed_after2(const lw_token *t, const lw_token *before);
void semicolon(P *p);
int tok_ident(P *p, const char *s);
int tok_is(P *p, const char *s);
void unexpected(P *p) __attribute__((noreturn));
/* parse_ts.c */
int ts_angle(P *p);
int ts_balanced(P *p);
int ts_balanced_g(P *p, int guard);
void ts_binding_suffix(P *p, int optional_ok);
node *ts_enum(P *p, const lw_token *st);
int ts_modifier(P *p);
void ts_need_type(P *p);
void ts_param_props(P *p, node *fn);
void ts_restore(P *p, const tsave *s);
tsave ts_save(P *p);
void ts_seen(P *p);
void ts_skip_declaration(P *p);
int ts_type(P *p);
void ts_type_list(P *p);
/* parse_pattern.c */
node *parse_binding_element(P *p, int bkind);
node *parse_binding_target(P *p, int bkind);
int simple_target(node *e);
node *to_pattern(P *p, node *e, int top);
/* parse_literal.c */
int is_key_start(lw_token *t);
node *parse_args(P *p, node *call);
node *parse_array(P *p);
node *parse_method(P *p, const lw_token *st, unsigned flags);
node *parse_object(P *p);
node *parse_prop_key(P *p, node *prop);
node *parse_template(P *p, node *tag);
/* parse_expr.c */
node *ident_node(P *p);
node *name_key(P *p);
node *parse_assign(P *p);
node *parse_assign_in(P *p);
node *parse_expr(P *p);
node *parse_expr_in(P *p);
node *parse_lhs(P *p, int allow_call);
/* parse_func.c */
fnstate fn_enter(P *p, int is_async);
void fn_leave(P *p, fnstate s);
node *parse_arrow(P *p, const lw_token *start, int is_async);
node *parse_class(P *p, int is_decl);
node *parse_function(P *p, unsigned flags, const lw_token *start, int is_expr);
/* parse_stmt.c */
node *parse_statement(P *p);

#endif
