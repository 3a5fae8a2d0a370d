/* Internal to the lowering: arena, tokens, AST nodes, scopes. */
#ifndef AMI_LOWER_AST_H
#define AMI_LOWER_AST_H
#include <setjmp.h>
#include <stddef.h>
#include "runtime/lower/lower.h"

/* ---- arena: everything the lowering allocates lives here and goes at once */
typedef struct lw_chunk { struct lw_chunk *next; size_t used, cap; } lw_chunk;
typedef struct lw_arena { lw_chunk *head; } lw_arena;

typedef struct lw_ctx lw_ctx;
void *ami__lw_alloc(lw_ctx *C, size_t n);   /* zeroed; longjmps on OOM */
char *ami__lw_strndup(lw_ctx *C, const char *s, size_t n);
void ami__lw_arena_free(lw_arena *A);

/* growable text in the arena (nothing to free on an error) */
typedef struct lw_buf { char *ptr; size_t size, cap; } lw_buf;
int ami__lw_buf_put(lw_ctx *C, lw_buf *b, const char *s, size_t n);   /* always 0 (longjmps on OOM) */
int ami__lw_buf_puts(lw_ctx *C, lw_buf *b, const char *s);
/* Report an error at line/col and unwind to ami__lower (never returns). */
void ami__lw_fail(lw_ctx *C, int line, int col, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* ---- tokens */
enum { TK_EOF, TK_IDENT, TK_KEYWORD, TK_NUM, TK_STR, TK_TEMPLATE, TK_REGEX, TK_PUNCT, TK_PRIVATE };
enum { TPL_FULL, TPL_HEAD, TPL_MIDDLE, TPL_TAIL };

typedef struct lw_token {
    int type;
    int line, col;
    int nl_before;          /* a line terminator precedes this token */
    int escaped;            /* identifier/keyword written with \u escapes */
    size_t start, end;      /* byte offsets in the source */
    const char *val;        /* identifier name (decoded), punctuator, number text (normalised), string cooked value */
    size_t vlen;
    const char *raw;        /* template raw text (after CRLF normalisation) */
    size_t rawlen;
    int tpl;                /* TPL_* for TK_TEMPLATE */
    int cooked_ok;          /* template: cooked value is valid */
    int end_line;           /* line where the token ends (strings/templates span lines) */
} lw_token;

#define LW_TPL_MAX 32
typedef struct lw_lexer {
    const char *src;
    size_t len, pos;
    int line;
    size_t line_start;
    int brace_depth;
    int tpl_sp;
    int tpl_stack[LW_TPL_MAX];
} lw_lexer;

void ami__lw_lex_init(lw_lexer *L, const char *src, size_t len);
/* Next token; '/' is lexed as a punctuator unless regex_ok. */
void ami__lw_lex_next(lw_ctx *C, lw_lexer *L, lw_token *t, int regex_ok);
int ami__lw_is_id_start(unsigned c);
/* A regular expression's pattern and flags rewritten for Duktape's ES5
 * engine (regex.c): named groups, \k, flags s/u/y.  Refuses lookbehind and
 * what it cannot rewrite (ami__lw_fail at line, col + 1 + the offset in the
 * body).  Returns 0 when the pattern needs nothing (res is then unset), else
 * 1 with res filled (its pointers into the arena or the body). */
#define LW_REGEX_NAMES 100
#define LW_REGEX_LB 8
typedef struct lw_regex {
    const char *body;       /* the pattern for Duktape */
    size_t body_len;
    char flags[4];          /* the flags Duktape knows (g, i, m) */
    char extra[4];          /* s, u, y: what __ami_re adds */
    int nnames;             /* named groups: name, its length, its group number */
    const char *names[LW_REGEX_NAMES];
    size_t namelen[LW_REGEX_NAMES];
    int nameidx[LW_REGEX_NAMES];
    int nlb;                /* leading lookbehinds: negative?, their text in the pattern, */
    int lb_neg[LW_REGEX_LB];
    size_t lb_start[LW_REGEX_LB], lb_end[LW_REGEX_LB];
    size_t lb_off[LW_REGEX_LB], lb_len[LW_REGEX_LB];   /* their rewritten content (body + lb_off) */
    long lb_max[LW_REGEX_LB];   /* the longest text it can match (UTF-16 units; -1 unbounded or uses ^) */
} lw_regex;
/* Regular expression syntax as Duktape accepts it (lexer.c): errors that
 * Node also reports, and Annex B leniencies Duktape lacks, as unsupported. */
void ami__lw_regex_check(lw_ctx *C, const char *s, size_t n, int line, int col);
int ami__lw_regex_rewrite(lw_ctx *C, const char *body, size_t n, const char *flags, size_t nflags, int line, int col,
                          lw_regex *res);
/* A regexp literal (/body/flags, already checked for flags) that needs
 * rewriting, as a call `__ami_re(/body'/flags', [name, number, ...], "suy",
 * "body as written")`; NULL when it needs nothing.  body_off/body_len: the
 * rewritten pattern in the result. */
const char *ami__lw_regex_lower(lw_ctx *C, const char *lit, size_t len, int line, int col, size_t *outlen,
                                size_t *body_off, size_t *body_len);
int ami__lw_is_id_part(unsigned c);

/* ---- AST */
enum {
    N_IDENT, N_NUM, N_STR, N_TEMPLATE, N_TAGGED, N_REGEX, N_THIS, N_SUPER, N_LIT,
    N_ARRAY, N_OBJECT, N_PROP, N_FUNC, N_CLASS, N_UNARY, N_UPDATE, N_BINARY,
    N_LOGICAL, N_ASSIGN, N_COND, N_CALL, N_NEW, N_MEMBER, N_CHAIN, N_SEQ,
    N_PAREN, N_SPREAD, N_AWAIT, N_YIELD, N_HOLE, N_ARRAY_PAT, N_OBJ_PAT, N_ASSIGN_PAT,
    N_REST, N_NEWTARGET,
    /* statements */
    N_VAR, N_DECL, N_EXPR_STMT, N_BLOCK, N_IF, N_FOR, N_FORIN, N_FOROF,
    N_WHILE, N_DOWHILE, N_RETURN, N_BREAK, N_CONTINUE, N_THROW, N_TRY,
    N_SWITCH, N_CASE, N_LABELED, N_EMPTY, N_DEBUGGER, N_PROGRAM, N_CLASS_MEMBER
};

/* property / member kinds */
enum { PK_INIT, PK_SHORTHAND, PK_METHOD, PK_GET, PK_SET, PK_SPREAD };
/* variable kinds */
enum { VK_VAR, VK_LET, VK_CONST };

typedef struct lw_scope lw_scope;
typedef struct lw_binding lw_binding;
typedef struct node node;

struct node {
    int type;
    int line, col;
    int end_line;           /* line of the closing token of blocks, functions, classes */
    const char *str;        /* identifier name, operator, literal text */
    size_t slen;
    int kind;               /* VK_*, PK_*, TPL kinds, etc. */
    unsigned flags;
    node *a, *b, *c, *d;    /* children (meaning per type) */
    node *list;             /* first element of a child list (linked by next) */
    node *list2;
    node *next;
    lw_scope *scope;        /* scope a block/function/loop opens */
    lw_binding *bind;       /* identifiers: resolved binding (NULL = global) */
    lw_scope *ref_scope;    /* identifiers/this: scope where referenced */
    const char *raw;        /* template raw text */
    size_t rawlen;
    int cooked_ok;
    int id;                 /* per-node id (template call sites) */
};

/* node flags */
#define NF_OPTIONAL   0x1    /* ?. on member/call */
#define NF_COMPUTED   0x2    /* a[b] / [key]: */
#define NF_ASYNC      0x4
#define NF_ARROW      0x8
#define NF_EXPR_BODY  0x10
#define NF_DECL       0x20   /* function/class declaration */
#define NF_STATIC     0x40
#define NF_PREFIX     0x80
#define NF_METHOD     0x100  /* function is a method (class or object) */
#define NF_CTOR       0x200
#define NF_DERIVED    0x400  /* class with extends / method of such a class */
#define NF_TOPLEVEL_AWAIT 0x800
#define NF_AWAIT_OF   0x1000
#define NF_TDZ        0x2000 /* identifier read before its let/const/class declaration */
#define NF_GEN        0x4000 /* function* (generator); on N_YIELD: yield* */
#define NF_TS_SIG     0x8000 /* TypeScript: overload signature / abstract method (no body, not emitted) */
#define NF_TDZCHK     0x10000 /* identifier in a closure that may run before its let/const/class is initialised */

/* Function node: a = name ident (or NULL), list = params, b = body (N_BLOCK or expression) */
/* Class node: a = name, b = superclass, list = members (N_CLASS_MEMBER: a = key, b = value func, kind PK_METHOD/GET/SET, flags STATIC|COMPUTED) */

/* ---- scopes */
enum { SC_FUNC, SC_ARROW, SC_BLOCK };
enum { BK_VAR, BK_LET, BK_CONST, BK_CLASS, BK_FUNC, BK_PARAM, BK_CATCH, BK_FNAME };

struct lw_binding {
    const char *name;
    int kind;
    lw_scope *scope;
    const char *out;        /* emitted name (after renaming) */
    int captured;           /* referenced from a function nested inside its own */
    int assigned;           /* written after declaration */
    int tdz;                /* holds __ami_u until initialised (closures check NF_TDZCHK uses) */
    int line, col;          /* position of the declaring identifier */
    lw_binding *next;
};

struct lw_scope {
    int kind;
    lw_scope *parent;
    lw_scope *first_child, *next_sibling;
    lw_binding *bindings;
    node *owner;            /* function / block / loop node */
    int is_loop_head;       /* scope of a for(let..)/for-of head */
    int is_loop_body;       /* block that is the body of a loop (or inside one) */
    int in_loop;            /* a loop lies between this scope and its hoist target */
    int wrap;               /* emitted as a per-iteration IIFE */
    int is_switch;
    int needs_this, needs_args;   /* function: capture this/arguments for arrows */
    int is_async;
    /* names that resolve through this function to an outer binding */
    const char **pass; int npass, cappass;
};

typedef struct lw_ref { node *id; struct lw_ref *next; } lw_ref;

/* name set (all identifiers seen; fresh names avoid them) */
typedef struct lw_nameset { const char **slot; size_t cap, n; } lw_nameset;

struct lw_ctx {
    lw_arena arena;
    jmp_buf jmp;
    ami_lower_error *err;
    const char *src;
    size_t len;
    lw_nameset names;
    lw_ref *refs;           /* identifier references and `this` uses */
    lw_scope *root;
    int ntemplates;
    int nodes;
    int oom;
    int nfresh;             /* last suffix used for a renamed binding */
    int lang_ts;            /* in: the source is TypeScript (else detected) */
    int saw_ts;             /* out: TypeScript-only syntax was seen */
    int needs_re;           /* a regexp literal __ami_re rewrites, or the global RegExp, is used */
};

int ami__lw_nameset_has(lw_ctx *C, const char *s);
void ami__lw_nameset_add(lw_ctx *C, const char *s);

node *ami__lw_parse(lw_ctx *C);
void ami__lw_analyse(lw_ctx *C, node *prog);
void ami__lw_emit(lw_ctx *C, node *prog, ami_buf *out);

#endif
