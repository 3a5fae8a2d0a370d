/* Lexer for ES2020 script syntax.  Strings and template chunks are decoded
 * into the body of an ES5 double-quoted literal; a source line break inside a
 * template is kept as the byte '\1' so the emitter can break the line there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/core.h"
#include "runtime/lower/ast.h"

void ami__lw_lex_init(lw_lexer *L, const char *src, size_t len)
{
    memset(L, 0, sizeof *L);
    L->src = src;
    L->len = len;
    L->line = 1;
    if (len >= 3 && (unsigned char)src[0] == 0xEF && (unsigned char)src[1] == 0xBB && (unsigned char)src[2] == 0xBF)
        L->pos = L->line_start = 3;
    if (L->pos + 1 < len && src[L->pos] == '#' && src[L->pos + 1] == '!')
        while (L->pos < len && src[L->pos] != '\n' && src[L->pos] != '\r') L->pos++;
}

/* Decode one UTF-8 sequence at p (n bytes left); returns code point, sets *sz.
 * Malformed bytes decode as themselves (so they surface as errors). */
static unsigned utf8(const unsigned char *p, size_t n, int *sz)
{
    unsigned c = p[0];
    if (c < 0x80) { *sz = 1; return c; }
    if (n < 2) { *sz = 1; return 0xFFFD0000u | c; }
    if ((c & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) { *sz = 2; return ((c & 0x1F) << 6) | (p[1] & 0x3F); }
    if ((c & 0xF0) == 0xE0 && n >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
        *sz = 3; return ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    if ((c & 0xF8) == 0xF0 && n >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80) {
        *sz = 4; return ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
    *sz = 1;
    return 0xFFFD0000u | c;   /* invalid */
}

static int put_utf8(char *o, unsigned c)
{
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) { o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 0x3F)); o[2] = (char)(0x80 | (c & 0x3F)); return 3; }
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

int ami__lw_is_id_start(unsigned c)
{
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '$' || c == '_';
    if (c > 0x10FFFF || c == 0xA0 || c == 0xFEFF || c == 0x2028 || c == 0x2029) return 0;
    if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7) return 0;
    if (c >= 0x2000 && c <= 0x200A) return 0;
    if (c == 0x1680 || c == 0x202F || c == 0x205F || c == 0x3000) return 0;
    /* punctuation, symbols, arrows, dingbats, emoji: not identifier characters */
    if (c >= 0x2000 && c <= 0x2BFF && !(c >= 0x2100 && c <= 0x214F) && !(c >= 0x2070 && c <= 0x209F)) return 0;
    if (c >= 0x3000 && c <= 0x303F) return 0;
    if (c >= 0x1F000 && c <= 0x1FAFF) return 0;
    if (c == 0xFFFD || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    return 1;   /* letters of other scripts: accepted loosely */
}

int ami__lw_is_id_part(unsigned c)
{
    return ami__lw_is_id_start(c) || (c >= '0' && c <= '9') || c == 0x200C || c == 0x200D || (c >= 0x0300 && c <= 0x036F) ||
           (c >= 0xFE00 && c <= 0xFE0F);
}

static int is_ws(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == 0xA0 || c == 0xFEFF ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x1680 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* growable scratch buffer in the arena */
typedef struct sbuf { lw_ctx *C; char *p; size_t n, cap; } sbuf;
static void sb_reserve(sbuf *b, size_t more)
{
    if (b->n + more + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->n + more + 1) cap *= 2;
    char *np = ami__lw_alloc(b->C, cap);
    if (b->n) memcpy(np, b->p, b->n);
    b->p = np;
    b->cap = cap;
}
static void sb_put(sbuf *b, const char *s, size_t n) { sb_reserve(b, n); memcpy(b->p + b->n, s, n); b->n += n; b->p[b->n] = 0; }
static void sb_putc(sbuf *b, char c) { sb_put(b, &c, 1); }
static void sb_u16(sbuf *b, unsigned u) { char t[8]; snprintf(t, sizeof t, "\\u%04X", u & 0xFFFF); sb_put(b, t, 6); }
static void sb_code(sbuf *b, unsigned c)   /* code point as literal body */
{
    if (c == '"' || c == '\\') { sb_putc(b, '\\'); sb_putc(b, (char)c); }
    else if (c < 0x20 || c == 0x7F || c == 0x2028 || c == 0x2029) sb_u16(b, c);
    else if (c >= 0xD800 && c <= 0xDFFF) sb_u16(b, c);
    else if (c > 0xFFFF) { c -= 0x10000; sb_u16(b, 0xD800 + (c >> 10)); sb_u16(b, 0xDC00 + (c & 0x3FF)); }
    else { char t[4]; int k = put_utf8(t, c); sb_put(b, t, (size_t)k); }
}

#define CUR(L) ((L)->pos < (L)->len ? (unsigned char)(L)->src[(L)->pos] : 0)
#define AT(L, k) ((L)->pos + (k) < (L)->len ? (unsigned char)(L)->src[(L)->pos + (k)] : 0)

static void newline(lw_lexer *L) { L->line++; L->line_start = L->pos; }

static int col_of(lw_lexer *L) { return (int)(L->pos - L->line_start) + 1; }

/* Is there a line terminator at pos? returns its byte length (CRLF = 2). */
static int lt_at(lw_lexer *L)
{
    unsigned c = CUR(L);
    if (c == '\n') return 1;
    if (c == '\r') return AT(L, 1) == '\n' ? 2 : 1;
    if (c == 0xE2 && AT(L, 1) == 0x80 && (AT(L, 2) == 0xA8 || AT(L, 2) == 0xA9)) return 3;
    return 0;
}

/* Skip whitespace and comments; returns whether a line terminator was crossed. */
static int skip_space(lw_ctx *C, lw_lexer *L)
{
    int nl = 0;
    while (L->pos < L->len) {
        int k = lt_at(L);
        if (k) { L->pos += (size_t)k; newline(L); nl = 1; continue; }
        unsigned c = CUR(L);
        if (c == '/' && AT(L, 1) == '/') {
            while (L->pos < L->len && !lt_at(L)) L->pos++;
            continue;
        }
        if (c == '/' && AT(L, 1) == '*') {
            int line = L->line, col = col_of(L);
            L->pos += 2;
            for (;;) {
                if (L->pos >= L->len) ami__lw_fail(C, line, col, "Unterminated comment");
                if (CUR(L) == '*' && AT(L, 1) == '/') { L->pos += 2; break; }
                int k2 = lt_at(L);
                if (k2) { L->pos += (size_t)k2; newline(L); nl = 1; }
                else L->pos++;
            }
            continue;
        }
        if (c < 0x80) {
            if (is_ws(c)) { L->pos++; continue; }
            break;
        }
        int sz;
        unsigned u = utf8((const unsigned char *)L->src + L->pos, L->len - L->pos, &sz);
        if (is_ws(u)) { L->pos += (size_t)sz; continue; }
        break;
    }
    return nl;
}

static int hexval(unsigned c)
{
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
    return -1;
}

/* \u escape after the backslash-u; returns code point or -1 (pos advanced past it on success). */
static long read_uesc(lw_lexer *L)
{
    if (CUR(L) == '{') {
        size_t p = L->pos + 1;
        long v = 0;
        int nd = 0;
        while (p < L->len && hexval((unsigned char)L->src[p]) >= 0) {
            v = v * 16 + hexval((unsigned char)L->src[p]);
            if (v > 0x10FFFF) return -1;
            p++; nd++;
        }
        if (!nd || p >= L->len || L->src[p] != '}') return -1;
        L->pos = p + 1;
        return v;
    }
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(AT(L, i));
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    L->pos += 4;
    return v;
}

static void lex_ident(lw_ctx *C, lw_lexer *L, lw_token *t)
{
    sbuf b = { C, NULL, 0, 0 };
    int first = 1;
    while (L->pos < L->len) {
        unsigned c = CUR(L);
        unsigned cp;
        if (c == '\\') {
            if (AT(L, 1) != 'u') ami__lw_fail(C, L->line, col_of(L), "Invalid or unexpected token");
            L->pos += 2;
            long v = read_uesc(L);
            if (v < 0) ami__lw_fail(C, L->line, col_of(L), "Invalid Unicode escape sequence");
            cp = (unsigned)v;
            if (first ? !ami__lw_is_id_start(cp) : !ami__lw_is_id_part(cp))
                ami__lw_fail(C, L->line, col_of(L), "Invalid Unicode escape sequence");
            t->escaped = 1;
        } else {
            int sz;
            cp = utf8((const unsigned char *)L->src + L->pos, L->len - L->pos, &sz);
            if (first ? !ami__lw_is_id_start(cp) : !ami__lw_is_id_part(cp)) break;
            L->pos += (size_t)sz;
        }
        char tmp[4];
        sb_put(&b, tmp, (size_t)put_utf8(tmp, cp));
        first = 0;
    }
    t->type = TK_IDENT;
    t->val = b.p ? b.p : "";
    t->vlen = b.n;
}

static const char *const keywords[] = {
    "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete",
    "do", "else", "export", "extends", "finally", "for", "function", "if", "import", "in",
    "instanceof", "new", "return", "super", "switch", "this", "throw", "try", "typeof",
    "var", "void", "while", "with", "null", "true", "false", "enum", NULL
};

static void lex_number(lw_ctx *C, lw_lexer *L, lw_token *t)
{
    sbuf b = { C, NULL, 0, 0 };
    unsigned c = CUR(L);
    int line = L->line, col = col_of(L);
    if (c == '0' && (AT(L, 1) == 'x' || AT(L, 1) == 'X' || AT(L, 1) == 'o' || AT(L, 1) == 'O' || AT(L, 1) == 'b' || AT(L, 1) == 'B')) {
        unsigned k = AT(L, 1) | 0x20;
        int base = k == 'x' ? 16 : k == 'o' ? 8 : 2;
        L->pos += 2;
        double v = 0;
        int nd = 0, last_us = 0;
        for (;;) {
            unsigned d = CUR(L);
            if (d == '_') {
                if (!nd || last_us) ami__lw_fail(C, L->line, col_of(L), "Numeric separators are not allowed here");
                last_us = 1; L->pos++; continue;
            }
            int h = hexval(d);
            if (h < 0 || h >= base) break;
            v = v * base + h;
            nd++; last_us = 0; L->pos++;
        }
        if (!nd || last_us) ami__lw_fail(C, line, col, "Invalid or unexpected token");
        char tmp[64];
        if (v < 9007199254740992.0) snprintf(tmp, sizeof tmp, "%.0f", v);
        else snprintf(tmp, sizeof tmp, "%.17g", v);
        sb_put(&b, tmp, strlen(tmp));
    } else {
        int legacy_octal = c == '0' && AT(L, 1) >= '0' && AT(L, 1) <= '9';
        int seen_dot = 0, seen_e = 0, last_us = 0, nd = 0;
        for (;;) {
            unsigned d = CUR(L);
            if (d >= '0' && d <= '9') { sb_putc(&b, (char)d); nd++; last_us = 0; L->pos++; continue; }
            if (d == '_' && !legacy_octal) {
                unsigned n2 = AT(L, 1);
                if (!nd || last_us || !(n2 >= '0' && n2 <= '9'))
                    ami__lw_fail(C, L->line, col_of(L), "Numeric separators are not allowed here");
                last_us = 1; L->pos++; continue;
            }
            if (d == '.' && !seen_dot && !seen_e && !legacy_octal) { seen_dot = 1; sb_putc(&b, '.'); L->pos++; last_us = 0; continue; }
            if ((d == 'e' || d == 'E') && !seen_e && !legacy_octal && nd) {
                unsigned n2 = AT(L, 1);
                size_t skip = 1;
                if (n2 == '+' || n2 == '-') { n2 = AT(L, 2); skip = 2; }
                if (!(n2 >= '0' && n2 <= '9')) ami__lw_fail(C, L->line, col_of(L), "Invalid or unexpected token");
                sb_put(&b, L->src + L->pos, skip);
                L->pos += skip;
                seen_e = 1; nd = 0;
                continue;
            }
            break;
        }
        if (last_us) ami__lw_fail(C, L->line, col_of(L), "Numeric separators are not allowed at the end of numeric literals");
        if (legacy_octal) {
            /* 017 is octal unless a digit 8/9 appears: convert octal to decimal text */
            int oct = 1;
            for (size_t i = 0; i < b.n; i++) if (b.p[i] > '7') oct = 0;
            if (oct) {
                double v = 0;
                for (size_t i = 0; i < b.n; i++) v = v * 8 + (b.p[i] - '0');
                char tmp[64];
                snprintf(tmp, sizeof tmp, "%.0f", v);
                b.n = 0;
                sb_put(&b, tmp, strlen(tmp));
            } else {
                size_t i = 0;
                while (i + 1 < b.n && b.p[i] == '0') i++;
                memmove(b.p, b.p + i, b.n - i + 1);
                b.n -= i;
            }
        }
    }
    c = CUR(L);
    if (c == 'n') ami__lw_fail(C, line, col, "BigInt literals are not supported");
    if (c == '\\' || (c < 0x80 && (ami__lw_is_id_start(c) || (c >= '0' && c <= '9'))))
        ami__lw_fail(C, L->line, col_of(L), "Invalid or unexpected token");
    if (c >= 0x80) {
        int sz;
        unsigned u = utf8((const unsigned char *)L->src + L->pos, L->len - L->pos, &sz);
        if (ami__lw_is_id_start(u) && !is_ws(u)) ami__lw_fail(C, L->line, col_of(L), "Invalid or unexpected token");
    }
    t->type = TK_NUM;
    t->val = b.p;
    t->vlen = b.n;
}

/* One escape sequence after a backslash (pos at the char after '\').  Appends
 * the cooked form to b.  Returns 0 if invalid (for templates: cooked undefined). */
static int lex_escape(lw_ctx *C, lw_lexer *L, sbuf *b, int in_template)
{
    unsigned c = CUR(L);
    int k = lt_at(L);
    if (k) { L->pos += (size_t)k; newline(L); if (in_template) sb_putc(b, '\1'); return 1; }  /* line continuation */
    switch (c) {
    case 'n': sb_put(b, "\\n", 2); L->pos++; return 1;
    case 't': sb_put(b, "\\t", 2); L->pos++; return 1;
    case 'r': sb_put(b, "\\r", 2); L->pos++; return 1;
    case 'b': sb_put(b, "\\b", 2); L->pos++; return 1;
    case 'f': sb_put(b, "\\f", 2); L->pos++; return 1;
    case 'v': sb_put(b, "\\v", 2); L->pos++; return 1;
    case 'x': {
        int h1 = hexval(AT(L, 1)), h2 = hexval(AT(L, 2));
        if (h1 < 0 || h2 < 0) { L->pos++; return 0; }
        sb_code(b, (unsigned)(h1 * 16 + h2));
        L->pos += 3;
        return 1;
    }
    case 'u': {
        L->pos++;
        long v = read_uesc(L);
        if (v < 0) return 0;
        sb_code(b, (unsigned)v);
        return 1;
    }
    default:
        if (c >= '0' && c <= '7') {
            if (c == '0' && !(AT(L, 1) >= '0' && AT(L, 1) <= '9')) { sb_put(b, "\\u0000", 6); L->pos++; return 1; }
            if (in_template) { L->pos++; return 0; }
            unsigned v = 0; int n = 0;
            while (n < 3 && CUR(L) >= '0' && CUR(L) <= '7' && v * 8 + (CUR(L) - '0') <= 255) { v = v * 8 + (CUR(L) - '0'); L->pos++; n++; }
            sb_code(b, v);
            return 1;
        }
        if (c == '8' || c == '9') { if (in_template) { L->pos++; return 0; } sb_putc(b, (char)c); L->pos++; return 1; }
        if (L->pos >= L->len) return 0;
        {
            int sz;
            unsigned u = utf8((const unsigned char *)L->src + L->pos, L->len - L->pos, &sz);
            if (u >= 0xFFFD0000u) u &= 0xFF;
            L->pos += (size_t)sz;
            sb_code(b, u);
        }
        return 1;
    }
    (void)C;
}

static void lex_string(lw_ctx *C, lw_lexer *L, lw_token *t)
{
    unsigned q = CUR(L);
    int line = L->line, col = col_of(L);
    sbuf b = { C, NULL, 0, 0 };
    sb_reserve(&b, 0);
    L->pos++;
    for (;;) {
        if (L->pos >= L->len) ami__lw_fail(C, line, col, "Invalid or unexpected token");
        unsigned c = CUR(L);
        if (c == q) { L->pos++; break; }
        if (c == '\n' || c == '\r') ami__lw_fail(C, line, col, "Invalid or unexpected token");
        if (c == '\\') {
            L->pos++;
            int el = L->line, ec = col_of(L);
            if (!lex_escape(C, L, &b, 0)) ami__lw_fail(C, el, ec, "Invalid hexadecimal escape sequence");
            continue;
        }
        int sz;
        unsigned u = utf8((const unsigned char *)L->src + L->pos, L->len - L->pos, &sz);
        if (u >= 0xFFFD0000u) { u = 0xFFFD; }
        L->pos += (size_t)sz;
        sb_code(&b, u);
    }
    t->type = TK_STR;
    t->val = b.p;
    t->vlen = b.n;
}

/* Template chunk from after ` or } up to ` or ${ */
static void lex_template(lw_ctx *C, lw_lexer *L, lw_token *t, int head)
{
    int line = L->line, col = col_of(L);
    sbuf b = { C, NULL, 0, 0 }, raw = { C, NULL, 0, 0 };
    sb_reserve(&b, 0);
    sb_reserve(&raw, 0);
    int ok = 1, tail;
    for (;;) {
        if (L->pos >= L->len) ami__lw_fail(C, line, col, "Unterminated template literal");
        unsigned c = CUR(L);
        if (c == '`') { L->pos++; tail = 1; break; }
        if (c == '$' && AT(L, 1) == '{') { L->pos += 2; tail = 0; break; }
        int k = lt_at(L);
        if (k) {
            L->pos += (size_t)k;
            newline(L);
            sb_put(&b, "\\n\1", 3);
            sb_putc(&raw, '\n');
            continue;
        }
        if (c == '\\') {
            size_t s0 = L->pos;
            L->pos++;
            if (!lex_escape(C, L, &b, 1)) ok = 0;
            for (size_t i = s0; i < L->pos;) {
                char ch = L->src[i];
                if (ch == '\r') { i++; if (i < L->pos && L->src[i] == '\n') continue; sb_putc(&raw, '\n'); continue; }
                int sz;
                unsigned u = utf8((const unsigned char *)L->src + i, L->pos - i, &sz);
                if (u >= 0xFFFD0000u) sb_put(&raw, "\xEF\xBF\xBD", 3);
                else sb_put(&raw, L->src + i, (size_t)sz);
                i += (size_t)sz;
            }
            continue;
        }
        int sz;
        unsigned u = utf8((const unsigned char *)L->src + L->pos, L->len - L->pos, &sz);
        if (u >= 0xFFFD0000u) { u = 0xFFFD; sb_put(&raw, "\xEF\xBF\xBD", 3); }
        else sb_put(&raw, L->src + L->pos, (size_t)sz);
        L->pos += (size_t)sz;
        sb_code(&b, u);
    }
    t->type = TK_TEMPLATE;
    t->val = b.p;
    t->vlen = b.n;
    t->raw = raw.p;
    t->rawlen = raw.n;
    t->cooked_ok = ok;
    t->tpl = head ? (tail ? TPL_FULL : TPL_HEAD) : (tail ? TPL_TAIL : TPL_MIDDLE);
    if (!tail) {
        if (L->tpl_sp >= LW_TPL_MAX) ami__lw_fail(C, line, col, "Template literals nested too deeply");
        L->tpl_stack[L->tpl_sp++] = L->brace_depth;
    }
}

/* Regular expression syntax as Duktape accepts it: errors that Node also
 * reports, and Annex B leniencies Duktape lacks reported as unsupported. */
void ami__lw_regex_check(lw_ctx *C, const char *s, size_t n, int line, int col)
{
#define RX_FAIL(...) ami__lw_fail(C, line, col, __VA_ARGS__)
    int ngroups = 0, in_class = 0;
    for (size_t p = 0; p < n; p++) {
        if (s[p] == '\\') { p++; continue; }
        if (s[p] == '[') in_class = 1;
        else if (s[p] == ']') in_class = 0;
        else if (!in_class && s[p] == '(' && !(p + 1 < n && s[p + 1] == '?')) ngroups++;
    }
    char kinds[256];
    int depth = 0, atom = 0;
    for (size_t p = 0; p < n; p++) {
        unsigned char c = (unsigned char)s[p];
        if (c == '\\') {
            if (p + 1 >= n) RX_FAIL("Invalid regular expression: \\ at end of pattern");
            unsigned char x = (unsigned char)s[++p];
            atom = !(x == 'b' || x == 'B');
            if (x == 'c') {
                if (!(p + 1 < n && ((s[p + 1] | 0x20) >= 'a' && (s[p + 1] | 0x20) <= 'z')))
                    RX_FAIL("Unsupported regular expression escape '\\c' without a letter");
                p++;
            } else if (x == 'x') {
                if (!(p + 2 < n && hexval((unsigned char)s[p + 1]) >= 0 && hexval((unsigned char)s[p + 2]) >= 0))
                    RX_FAIL("Unsupported regular expression escape: \\x needs two hex digits");
                p += 2;
            } else if (x == 'u') {
                if (p + 1 < n && s[p + 1] == '{') RX_FAIL("Unsupported regular expression escape \\u{...} (the u flag is not supported)");
                for (int k = 1; k <= 4; k++)
                    if (!(p + (size_t)k < n && hexval((unsigned char)s[p + (size_t)k]) >= 0))
                        RX_FAIL("Unsupported regular expression escape: \\u needs four hex digits");
                p += 4;
            } else if (x >= '1' && x <= '9') {
                long v = x - '0';
                while (p + 1 < n && s[p + 1] >= '0' && s[p + 1] <= '9' && v < 100000) v = v * 10 + (s[++p] - '0');
                if (v > ngroups) RX_FAIL("Unsupported regular expression: backreference \\%ld to a missing group", v);
            } else if (x >= 0x80) {
                while (p + 1 < n && ((unsigned char)s[p + 1] & 0xC0) == 0x80) p++;
            }
            continue;
        }
        if (c == '[') {
            long prev = -1;
            int range = 0;
            p++;
            if (p < n && s[p] == '^') p++;
            for (; p < n && s[p] != ']'; p++) {
                long cur = -1;
                unsigned char d = (unsigned char)s[p];
                if (d == '\\') {
                    if (p + 1 >= n) RX_FAIL("Invalid regular expression: \\ at end of pattern");
                    unsigned char x = (unsigned char)s[++p];
                    if (x == 'x' && p + 2 < n && hexval((unsigned char)s[p + 1]) >= 0 && hexval((unsigned char)s[p + 2]) >= 0) {
                        cur = hexval((unsigned char)s[p + 1]) * 16 + hexval((unsigned char)s[p + 2]); p += 2;
                    } else if (x == 'x') RX_FAIL("Unsupported regular expression escape: \\x needs two hex digits");
                    else if (x == 'u') {
                        if (p + 1 < n && s[p + 1] == '{') RX_FAIL("Unsupported regular expression escape \\u{...} (the u flag is not supported)");
                        long v = 0;
                        for (int k = 1; k <= 4; k++) {
                            if (!(p + (size_t)k < n && hexval((unsigned char)s[p + (size_t)k]) >= 0))
                                RX_FAIL("Unsupported regular expression escape: \\u needs four hex digits");
                            v = v * 16 + hexval((unsigned char)s[p + (size_t)k]);
                        }
                        cur = v; p += 4;
                    } else if (x == 'c') {
                        if (!(p + 1 < n && ((s[p + 1] | 0x20) >= 'a' && (s[p + 1] | 0x20) <= 'z')))
                            RX_FAIL("Unsupported regular expression escape '\\c' without a letter");
                        cur = s[p + 1] & 31; p++;
                    } else if (x == 'n') cur = '\n';
                    else if (x == 't') cur = '\t';
                    else if (x == 'r') cur = '\r';
                    else if (x == 'f') cur = '\f';
                    else if (x == 'v') cur = '\v';
                    else if (x == 'b') cur = '\b';
                    else if (x == '0') cur = 0;
                    else if (x == 'd' || x == 'D' || x == 'w' || x == 'W' || x == 's' || x == 'S') cur = -2;
                    else if (x >= '1' && x <= '9') RX_FAIL("Unsupported regular expression: backreference in a character class");
                    else if (x < 0x80) cur = x;
                    else { while (p + 1 < n && ((unsigned char)s[p + 1] & 0xC0) == 0x80) p++; cur = -2; }
                } else if (d >= 0x80) {
                    int sz;
                    cur = (long)utf8((const unsigned char *)s + p, n - p, &sz);
                    p += (size_t)sz - 1;
                } else {
                    cur = d;
                }
                if (range) {
                    if (prev == -2 || cur == -2) RX_FAIL("Unsupported regular expression: class escape in a range");
                    if (prev > cur) RX_FAIL("Invalid regular expression: Range out of order in character class");
                    range = 0;
                    prev = -1;
                    continue;
                }
                if (d == '-' && prev != -1 && p + 1 < n && s[p + 1] != ']') { range = 1; continue; }
                prev = cur;
            }
            if (p >= n) RX_FAIL("Invalid regular expression: missing ]");
            atom = 1;
            continue;
        }
        if (c == '(') {
            if (depth >= 250) RX_FAIL("Regular expression groups nested too deeply");
            char k = 'c';
            if (p + 1 < n && s[p + 1] == '?') {
                char q = p + 2 < n ? s[p + 2] : 0;
                if (q == ':') k = 'n';
                else if (q == '=' || q == '!') k = 'a';
                else RX_FAIL("Invalid regular expression: Invalid group");
                p += 2;
            }
            kinds[depth++] = k;
            atom = 0;
            continue;
        }
        if (c == ')') {
            if (depth == 0) RX_FAIL("Invalid regular expression: Unmatched ')'");
            depth--;
            atom = kinds[depth] == 'a' ? 2 : 1;
            continue;
        }
        if (c == '|' || c == '^' || c == '$') { atom = 0; continue; }
        if (c == '*' || c == '+' || c == '?' ||
            (c == '{' && p + 1 < n && s[p + 1] >= '0' && s[p + 1] <= '9')) {
            if (c == '{') {
                size_t q = p + 1;
                long lo = 0, hi = -1;
                while (q < n && s[q] >= '0' && s[q] <= '9') { if (lo < 1000000000) lo = lo * 10 + (s[q] - '0'); q++; }
                if (q < n && s[q] == ',') {
                    q++;
                    if (q < n && s[q] >= '0' && s[q] <= '9') {
                        hi = 0;
                        while (q < n && s[q] >= '0' && s[q] <= '9') { if (hi < 1000000000) hi = hi * 10 + (s[q] - '0'); q++; }
                    }
                } else hi = lo;
                if (!(q < n && s[q] == '}')) { atom = 1; continue; }   /* a literal '{' */
                if (hi >= 0 && lo > hi) RX_FAIL("Invalid regular expression: numbers out of order in {} quantifier");
                p = q;
            }
            if (atom == 2) RX_FAIL("Unsupported regular expression: quantified lookahead");
            if (!atom) RX_FAIL("Invalid regular expression: Nothing to repeat");
            if (p + 1 < n && s[p + 1] == '?') p++;
            atom = 0;
            continue;
        }
        if (c >= 0x80) while (p + 1 < n && ((unsigned char)s[p + 1] & 0xC0) == 0x80) p++;
        atom = 1;
    }
    if (depth) RX_FAIL("Invalid regular expression: Unterminated group");
#undef RX_FAIL
}

/* flag c after the flags prev[0..n): 1 valid, 0 invalid (unknown or repeated),
 * 2 valid in ES2022 but not supported ('d') */
static int regex_flag_ok(const char *prev, size_t n, char c)
{
    if (c != 'd' && c != 'g' && c != 'i' && c != 'm' && c != 's' && c != 'u' && c != 'y') return 0;
    if (memchr(prev, c, n)) return 0;
    return c == 'd' ? 2 : 1;
}

static void lex_regex(lw_ctx *C, lw_lexer *L, lw_token *t)
{
    int line = L->line, col = col_of(L);
    size_t start = L->pos;
    int in_class = 0;
    L->pos++;
    for (;;) {
        if (L->pos >= L->len || lt_at(L)) ami__lw_fail(C, line, col, "Invalid regular expression: missing /");
        unsigned c = CUR(L);
        if (c == '\\') {
            L->pos++;
            if (L->pos >= L->len || lt_at(L)) continue;
            c = CUR(L);
            if (c < 0x80) { L->pos++; continue; }
        }
        if (c == '[') in_class = 1;
        else if (c == ']') in_class = 0;
        else if (c == '/' && !in_class) break;
        if (c >= 0x80) {
            int sz;
            unsigned u = utf8((const unsigned char *)L->src + L->pos, L->len - L->pos, &sz);
            if (u >= 0xFFFD0000u || (u >= 0xD800 && u <= 0xDFFF)) ami__lw_fail(C, L->line, col_of(L), "Invalid or unexpected token");
            L->pos += (size_t)sz;
            continue;
        }
        L->pos++;
    }
    size_t body_end = L->pos;
    L->pos++;
    while (L->pos < L->len) {
        unsigned c = CUR(L);
        if (!(c < 0x80 && ami__lw_is_id_part(c))) { if (c == '\\' || c >= 0x80) ami__lw_fail(C, L->line, col_of(L), "Invalid regular expression flags"); break; }
        int ok = regex_flag_ok(L->src + body_end + 1, L->pos - body_end - 1, (char)c);
        if (ok == 2) ami__lw_fail(C, line, col, "Regular expression flag '%c' is not supported", (char)c);
        if (!ok) ami__lw_fail(C, line, col, "Invalid regular expression flags");
        L->pos++;
    }
    /* what Duktape's ES5 engine lacks is rewritten (regex.c) */
    size_t olen, boff, blen;
    const char *low = ami__lw_regex_lower(C, L->src + start, L->pos - start, line, col, &olen, &boff, &blen);
    if (low) {
        C->needs_re = 1;
        ami__lw_regex_check(C, low + boff, blen, line, col);
        t->type = TK_REGEX;
        t->val = ami__lw_strndup(C, low, olen);
        t->vlen = olen;
        return;
    }
    ami__lw_regex_check(C, L->src + start + 1, body_end - start - 1, line, col);
    t->type = TK_REGEX;
    t->val = ami__lw_strndup(C, L->src + start, L->pos - start);
    t->vlen = L->pos - start;
}

static const char *const puncts[] = {
    ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "?\?=",
    "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=",
    "/=", "%=", "&=", "|=", "^=", "<<", ">>", "**",
    "{", "}", "(", ")", "[", "]", ";", ",", "<", ">", "+", "-", "*", "/", "%", "&", "|",
    "^", "!", "~", "?", ":", "=", ".", "@", NULL
};

void ami__lw_lex_next(lw_ctx *C, lw_lexer *L, lw_token *t, int regex_ok)
{
    memset(t, 0, sizeof *t);
    t->nl_before = skip_space(C, L);
    t->line = L->line;
    t->col = col_of(L);
    t->start = L->pos;
    if (L->pos >= L->len) { t->type = TK_EOF; t->val = ""; goto done; }
    unsigned c = CUR(L);
    if (c == '`') { L->pos++; lex_template(C, L, t, 1); goto done; }
    if (c == '}' && L->tpl_sp > 0 && L->tpl_stack[L->tpl_sp - 1] == L->brace_depth) {
        L->tpl_sp--;
        L->pos++;
        lex_template(C, L, t, 0);
        goto done;
    }
    if (c == '"' || c == '\'') { lex_string(C, L, t); goto done; }
    if ((c >= '0' && c <= '9') || (c == '.' && AT(L, 1) >= '0' && AT(L, 1) <= '9')) { lex_number(C, L, t); goto done; }
    if (c == '/' && regex_ok) { lex_regex(C, L, t); goto done; }
    if (c == '#') {
        L->pos++;
        if (L->pos < L->len && (ami__lw_is_id_start(CUR(L)) || CUR(L) == '\\' || CUR(L) >= 0x80)) {
            lex_ident(C, L, t);
            t->type = TK_PRIVATE;
            goto done;
        }
        ami__lw_fail(C, t->line, t->col, "Invalid or unexpected token");
    }
    if (c == '\\' || c >= 0x80 || ami__lw_is_id_start(c)) {
        if (c >= 0x80) {
            int sz;
            unsigned u = utf8((const unsigned char *)L->src + L->pos, L->len - L->pos, &sz);
            if (!ami__lw_is_id_start(u) || u >= 0xFFFD0000u) ami__lw_fail(C, t->line, t->col, "Invalid or unexpected token");
        }
        lex_ident(C, L, t);
        if (t->vlen == 0) ami__lw_fail(C, t->line, t->col, "Invalid or unexpected token");
        for (int i = 0; keywords[i]; i++)
            if (strcmp(t->val, keywords[i]) == 0) { t->type = TK_KEYWORD; break; }
        goto done;
    }
    for (int i = 0; puncts[i]; i++) {
        size_t n = strlen(puncts[i]);
        if (L->pos + n <= L->len && memcmp(L->src + L->pos, puncts[i], n) == 0) {
            if (n == 2 && puncts[i][0] == '?' && puncts[i][1] == '.' && AT(L, 2) >= '0' && AT(L, 2) <= '9') continue;
            t->type = TK_PUNCT;
            t->val = puncts[i];
            t->vlen = n;
            L->pos += n;
            if (c == '{') L->brace_depth++;
            else if (c == '}') L->brace_depth--;
            goto done;
        }
    }
    ami__lw_fail(C, t->line, t->col, "Invalid or unexpected token");
done:
    t->end = L->pos;
    t->end_line = L->line;
}

/* ---- new RegExp(pattern, flags) at run time: the checks and the rewriting a
 * literal gets (lib/runtime/prelude.c gives it to the prelude's RegExp) */
static int regex_run(lw_ctx *C, const char *pat, size_t plen, const char *flags, size_t flen, ami_regex_parts *out)
{
    if (setjmp(C->jmp)) return C->oom ? AMI_ENOMEM : AMI_ESCRIPT;
    for (size_t i = 0; i < flen; i++) {
        int ok = regex_flag_ok(flags, i, flags[i]);
        if (ok == 2) ami__lw_fail(C, 0, 0, "Regular expression flag '%c' is not supported", flags[i]);
        if (!ok) ami__lw_fail(C, 0, 0, "Invalid flags supplied to RegExp constructor '%.*s'", (int)(flen > 32 ? 32 : flen), flags);
    }
    lw_regex res;
    if (!ami__lw_regex_rewrite(C, pat, plen, flags, flen, 0, 0, &res)) {
        ami__lw_regex_check(C, pat, plen, 0, 0);
        return 0;
    }
    ami__lw_regex_check(C, res.body, res.body_len, 0, 0);
    out->special = 1;
    int rc = ami_buf_put(&out->text, res.body, res.body_len);
    out->body_len = res.body_len;
    /* the source as Node shows it: '/' outside a class and line terminators escaped, "(?:)" when empty */
    size_t before = out->text.size;
    int in_class = 0;
    if (!plen) rc |= ami_buf_puts(&out->text, "(?:)");
    for (size_t i = 0; i < plen && !rc; i++) {
        unsigned char c = (unsigned char)pat[i];
        if (c == '\\' && i + 1 < plen && pat[i + 1] != '\n' && pat[i + 1] != '\r') {
            rc |= ami_buf_put(&out->text, pat + i, 2);
            i++;
            continue;
        }
        if (c == '[') in_class = 1;
        else if (c == ']') in_class = 0;
        if (c == '/' && !in_class) rc |= ami_buf_puts(&out->text, "\\/");
        else if (c == '\n') rc |= ami_buf_puts(&out->text, "\\n");
        else if (c == '\r') rc |= ami_buf_puts(&out->text, "\\r");
        else if (c == 0xE2 && i + 2 < plen && (unsigned char)pat[i + 1] == 0x80 && ((unsigned char)pat[i + 2] & 0xFE) == 0xA8) {
            rc |= ami_buf_puts(&out->text, (unsigned char)pat[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
            i += 2;
        } else rc |= ami_buf_put(&out->text, pat + i, 1);
    }
    out->source_len = out->text.size - before;
    memcpy(out->flags, res.flags, sizeof out->flags);
    memcpy(out->extra, res.extra, sizeof out->extra);
    out->nnames = res.nnames;
    for (int i = 0; i < res.nnames && !rc; i++) {
        rc |= ami_buf_put(&out->text, res.names[i], res.namelen[i]);
        out->namelen[i] = res.namelen[i];
        out->nameidx[i] = res.nameidx[i];
    }
    out->nlb = res.nlb;
    for (int k = 0; k < res.nlb && !rc; k++) {
        rc |= ami_buf_put(&out->text, res.body + res.lb_off[k], res.lb_len[k]);
        out->lb_neg[k] = res.lb_neg[k];
        out->lb_len[k] = res.lb_len[k];
        out->lb_max[k] = res.lb_max[k];
    }
    return rc ? AMI_ENOMEM : 0;
}

int ami__lower_regex(const char *pat, size_t plen, const char *flags, size_t flen, ami_regex_parts *out,
                     ami_lower_error *err)
{
    ami_lower_error dummy;
    if (!err) err = &dummy;
    memset(err, 0, sizeof *err);
    ami_buf_clear(&out->text);
    out->special = 0;
    out->body_len = out->source_len = 0;
    out->nnames = out->nlb = 0;
    memset(out->flags, 0, sizeof out->flags);
    memset(out->extra, 0, sizeof out->extra);
    lw_ctx *C = ami_malloc(sizeof *C);
    if (!C) return AMI_ENOMEM;
    memset(C, 0, sizeof *C);
    C->err = err;
    int rc = regex_run(C, pat ? pat : "", plen, flags ? flags : "", flen, out);
    ami__lw_arena_free(&C->arena);
    ami_free(C);
    return rc;
}
