/* Regular expressions beyond ES5, rewritten for Duktape's ES5 engine:
 *   named groups  (?<name>…) -> (…), \k<name> -> (?:\N), with the names passed
 *                 to __ami_re, which gives exec/match/matchAll results .groups
 *                 and replace $<name> and the replacer's groups argument;
 *   flag s        . outside a class -> [\s\S];
 *   flag u        \u{…} -> \uXXXX or a surrogate pair, a code point outside the
 *                 BMP (literal or escaped) and . / \S / \W / \D / classes that
 *                 can match one -> an alternative that takes a whole pair;
 *                 \p{…} and such code points inside a class are refused;
 *   flag y        __ami_re: exec and test find a match only at lastIndex
 *                 (String methods refuse a sticky regexp with a TypeError).
 * Lookbehind is refused with its position (never a silent wrong match). */
#include <stdio.h>
#include <string.h>
#include "runtime/lower/ast.h"

#define PAIR "[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]"

typedef struct rx {
    lw_ctx *C;
    lw_buf out;
    const char *s;
    size_t n;
    int line, col;          /* the literal's position (col of its '/') */
    int u;
    lw_regex *res;          /* names go here */
} rx;

static void out(rx *r, const char *s, size_t n) { ami__lw_buf_put(r->C, &r->out, s, n); }
static void outs(rx *r, const char *s) { ami__lw_buf_puts(r->C, &r->out, s); }

static void rx_fail(rx *r, size_t at, const char *msg) __attribute__((noreturn));
static void rx_fail(rx *r, size_t at, const char *msg)
{
    ami__lw_fail(r->C, r->line, r->col + 1 + (int)at, "%s", msg);
}

static int namech(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/* at s[p] == '<': the name up to '>'; returns the index after '>' */
static size_t group_name(rx *r, size_t p, size_t *nlen)
{
    size_t q = p + 1;
    while (q < r->n && namech((unsigned char)r->s[q])) q++;
    if (q == p + 1 || q >= r->n || r->s[q] != '>' || (r->s[p + 1] >= '0' && r->s[p + 1] <= '9'))
        rx_fail(r, p, "Invalid regular expression: Invalid capture group name");
    *nlen = q - p - 1;
    return q + 1;
}

static int find_name(rx *r, const char *s, size_t n)
{
    for (int i = 0; i < r->res->nnames; i++)
        if (r->res->namelen[i] == n && !memcmp(r->res->names[i], s, n)) return i;
    return -1;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void put_u16(rx *r, unsigned v)
{
    char t[8];
    snprintf(t, sizeof t, "\\u%04X", v & 0xFFFF);
    out(r, t, 6);
}

/* at s[p] == 'u', s[p+1] == '{' (u flag): the code point; *end = index after '}' */
static unsigned long code_point(rx *r, size_t p, size_t *end)
{
    size_t q = p + 2;
    unsigned long v = 0;
    while (q < r->n && hexv(r->s[q]) >= 0) { v = v * 16 + (unsigned long)hexv(r->s[q]); if (v > 0x10FFFF) break; q++; }
    if (q == p + 2 || q >= r->n || r->s[q] != '}' || v > 0x10FFFF) rx_fail(r, p - 1, "Invalid regular expression: Invalid Unicode escape");
    *end = q + 1;
    return v;
}

static size_t utf8_len(unsigned char c) { return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1; }

/* A code point outside the BMP at s[p]: 4 (UTF-8, as in a literal), 6 (a
 * surrogate pair of 3-byte sequences, as Duktape keeps a string given to
 * RegExp()), else 0. */
static size_t astral_len(rx *r, size_t p)
{
    const unsigned char *q = (const unsigned char *)r->s + p;
    size_t left = r->n - p;
    if (q[0] >= 0xF0) return left >= 4 ? 4 : 0;
    if (left >= 6 && q[0] == 0xED && (q[1] & 0xF0) == 0xA0 && q[3] == 0xED && (q[4] & 0xF0) == 0xB0) return 6;
    return 0;
}

/* a character class at s[p] == '[': copied (rewritten for u); returns the index after ']' */
static size_t rx_class(rx *r, size_t p)
{
    size_t start = r->out.size;
    int wide = r->s[p + 1] == '^';   /* can match a code point outside the BMP (u flag) */
    outs(r, "[");
    p++;
    while (p < r->n && r->s[p] != ']') {
        unsigned char c = (unsigned char)r->s[p];
        if (c == '\\' && p + 1 < r->n) {
            char x = r->s[p + 1];
            if (r->u && (x == 'p' || x == 'P')) rx_fail(r, p, "Unicode property escapes (\\p{...}) are not supported");
            if (r->u && x == 'u' && p + 2 < r->n && r->s[p + 2] == '{') {
                size_t end;
                unsigned long v = code_point(r, p + 1, &end);
                if (v > 0xFFFF) rx_fail(r, p, "Code points above U+FFFF in a character class are not supported (u flag)");
                put_u16(r, (unsigned)v);
                p = end;
                continue;
            }
            if (x == 'S' || x == 'W' || x == 'D') wide = 1;
            out(r, r->s + p, 2);
            p += 2;
            if ((unsigned char)x >= 0x80) { size_t k = utf8_len((unsigned char)x) - 1; out(r, r->s + p, k); p += k; }
            continue;
        }
        size_t k = utf8_len(c);
        if (r->u && astral_len(r, p)) rx_fail(r, p, "Code points above U+FFFF in a character class are not supported (u flag)");
        if (p + k > r->n) k = r->n - p;
        out(r, r->s + p, k);
        p += k;
    }
    outs(r, "]");
    if (r->u && wide) {
        /* (?:PAIR|[...]) */
        size_t len = r->out.size - start;
        char *cls = ami__lw_strndup(r->C, r->out.ptr + start, len);
        r->out.size = start;
        outs(r, "(?:" PAIR "|");
        out(r, cls, len);
        outs(r, ")");
    }
    return p + 1;
}

int ami__lw_regex_rewrite(lw_ctx *C, const char *body, size_t n, const char *flags, size_t nflags, int line, int col,
                          lw_regex *res)
{
    int fs = memchr(flags, 's', nflags) != NULL, fu = memchr(flags, 'u', nflags) != NULL,
        fy = memchr(flags, 'y', nflags) != NULL;
    rx R;
    memset(&R, 0, sizeof R);
    memset(res, 0, sizeof *res);
    rx *r = &R;
    r->C = C;
    r->s = body;
    r->n = n;
    r->line = line;
    r->col = col;
    r->u = fu;
    r->res = res;

    /* pass 1: group names and numbers; lookbehind */
    int ncap = 0, in_class = 0, special = fs || fu || fy;
    for (size_t p = 0; p < r->n; p++) {
        char c = r->s[p];
        if (c == '\\') {
            if (p + 1 < r->n && r->s[p + 1] == 'k') special = 1;
            p++;
            continue;
        }
        if (c == '[') in_class = 1;
        else if (c == ']') in_class = 0;
        else if (!in_class && c == '(') {
            if (p + 1 < r->n && r->s[p + 1] == '?') {
                if (p + 2 < r->n && r->s[p + 2] == '<') {
                    if (p + 3 < r->n && (r->s[p + 3] == '=' || r->s[p + 3] == '!'))
                        rx_fail(r, p, "Lookbehind assertions ((?<=...) and (?<!...)) are not supported");
                    size_t nlen;
                    group_name(r, p + 2, &nlen);
                    if (find_name(r, r->s + p + 3, nlen) >= 0)
                        rx_fail(r, p, "Invalid regular expression: Duplicate capture group name");
                    if (res->nnames >= LW_REGEX_NAMES) rx_fail(r, p, "Regular expression has too many named groups");
                    res->names[res->nnames] = r->s + p + 3;
                    res->namelen[res->nnames] = nlen;
                    res->nameidx[res->nnames++] = ++ncap;
                    special = 1;
                }
            } else ncap++;
        }
    }
    if (!special) return 0;

    /* pass 2: rewrite */
    for (size_t p = 0; p < r->n;) {
        unsigned char c = (unsigned char)r->s[p];
        if (c == '\\' && p + 1 < r->n) {
            char x = r->s[p + 1];
            if (x == 'k') {
                if (!res->nnames) {
                    if (r->u) rx_fail(r, p, "Invalid regular expression: Invalid escape");
                    outs(r, "k");    /* Annex B: \k without named groups is the letter */
                    p += 2;
                    continue;
                }
                size_t nlen;
                if (p + 2 >= r->n || r->s[p + 2] != '<') rx_fail(r, p, "Invalid regular expression: Invalid named reference");
                size_t end = group_name(r, p + 2, &nlen);
                int i = find_name(r, r->s + p + 3, nlen);
                if (i < 0) rx_fail(r, p, "Invalid regular expression: Invalid named capture referenced");
                char t[24];
                snprintf(t, sizeof t, "(?:\\%d)", res->nameidx[i]);
                outs(r, t);
                p = end;
                continue;
            }
            if (r->u && (x == 'p' || x == 'P')) rx_fail(r, p, "Unicode property escapes (\\p{...}) are not supported");
            if (r->u && x == 'u' && p + 2 < r->n && r->s[p + 2] == '{') {
                size_t end;
                unsigned long v = code_point(r, p + 1, &end);
                if (v > 0xFFFF) {
                    v -= 0x10000;
                    outs(r, "(?:");
                    put_u16(r, (unsigned)(0xD800 + (v >> 10)));
                    put_u16(r, (unsigned)(0xDC00 + (v & 0x3FF)));
                    outs(r, ")");
                } else put_u16(r, (unsigned)v);
                p = end;
                continue;
            }
            if (r->u && (x == 'S' || x == 'W' || x == 'D')) {
                outs(r, "(?:" PAIR "|");
                out(r, r->s + p, 2);
                outs(r, ")");
                p += 2;
                continue;
            }
            out(r, r->s + p, 2);
            p += 2;
            if ((unsigned char)x >= 0x80) { size_t k = utf8_len((unsigned char)x) - 1; if (p + k > r->n) k = r->n - p; out(r, r->s + p, k); p += k; }
            continue;
        }
        if (c == '[') { p = rx_class(r, p); continue; }
        if (c == '(' && p + 2 < r->n && r->s[p + 1] == '?' && r->s[p + 2] == '<') {
            size_t nlen;
            p = group_name(r, p + 2, &nlen);
            outs(r, "(");
            continue;
        }
        if (c == '.' && (fs || r->u)) {
            if (r->u) outs(r, fs ? "(?:" PAIR "|[\\s\\S])" : "(?:" PAIR "|[^\\n\\r\\u2028\\u2029])");
            else outs(r, "[\\s\\S]");
            p++;
            continue;
        }
        size_t k = r->u ? astral_len(r, p) : 0;
        if (k) { outs(r, "(?:"); out(r, r->s + p, k); outs(r, ")"); p += k; continue; }
        k = utf8_len(c);
        if (p + k > r->n) k = r->n - p;
        out(r, r->s + p, k);
        p += k;
    }
    res->body = r->out.ptr ? r->out.ptr : "";
    res->body_len = r->out.size;
    size_t k = 0;
    for (size_t i = 0; i < nflags; i++)
        if ((flags[i] == 'g' || flags[i] == 'i' || flags[i] == 'm') && k < 3) res->flags[k++] = flags[i];
    k = 0;
    if (fs) res->extra[k++] = 's';
    if (fu) res->extra[k++] = 'u';
    if (fy) res->extra[k++] = 'y';
    return 1;
}

const char *ami__lw_regex_lower(lw_ctx *C, const char *lit, size_t len, int line, int col, size_t *outlen,
                                size_t *body_off, size_t *body_len)
{
    /* lit is /body/flags */
    size_t bend = len;
    while (bend > 0 && lit[bend - 1] != '/') bend--;
    lw_regex res;
    if (!ami__lw_regex_rewrite(C, lit + 1, bend - 2, lit + bend, len - bend, line, col, &res)) return NULL;
    lw_buf o = { NULL, 0, 0 };
    ami__lw_buf_puts(C, &o, "__ami_re(/");
    *body_off = o.size;
    ami__lw_buf_put(C, &o, res.body, res.body_len);
    *body_len = res.body_len;
    ami__lw_buf_puts(C, &o, "/");
    ami__lw_buf_puts(C, &o, res.flags);
    /* names as [name, number, ...] */
    ami__lw_buf_puts(C, &o, ", [");
    for (int i = 0; i < res.nnames; i++) {
        char t[24];
        ami__lw_buf_puts(C, &o, i ? ", \"" : "\"");
        ami__lw_buf_put(C, &o, res.names[i], res.namelen[i]);
        snprintf(t, sizeof t, "\", %d", res.nameidx[i]);
        ami__lw_buf_puts(C, &o, t);
    }
    ami__lw_buf_puts(C, &o, "], \"");
    ami__lw_buf_puts(C, &o, res.extra);
    /* the pattern as written, for .source (a string: \ and " escaped) */
    ami__lw_buf_puts(C, &o, "\", \"");
    for (size_t i = 1; i + 1 < bend; i++) {
        if (lit[i] == '\\' || lit[i] == '"') ami__lw_buf_put(C, &o, "\\", 1);
        ami__lw_buf_put(C, &o, lit + i, 1);
    }
    ami__lw_buf_puts(C, &o, "\")");
    *outlen = o.size;
    return o.ptr;
}
