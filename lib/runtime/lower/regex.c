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
    int nnames;
    const char *names[100];
    size_t namelen[100];
    int nameidx[100];
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
    for (int i = 0; i < r->nnames; i++)
        if (r->namelen[i] == n && !memcmp(r->names[i], s, n)) return i;
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
        if (k == 4 && r->u) rx_fail(r, p, "Code points above U+FFFF in a character class are not supported (u flag)");
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

const char *ami__lw_regex_lower(lw_ctx *C, const char *lit, size_t len, int line, int col, size_t *outlen,
                                size_t *body_off, size_t *body_len)
{
    /* lit is /body/flags */
    size_t bend = len;
    while (bend > 0 && lit[bend - 1] != '/') bend--;
    const char *flags = lit + bend;
    size_t nflags = len - bend;
    int fs = memchr(flags, 's', nflags) != NULL, fu = memchr(flags, 'u', nflags) != NULL,
        fy = memchr(flags, 'y', nflags) != NULL;
    rx R;
    memset(&R, 0, sizeof R);
    rx *r = &R;
    r->C = C;
    r->s = lit + 1;
    r->n = bend - 2;
    r->line = line;
    r->col = col;
    r->u = fu;

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
                    if (r->nnames >= 100) rx_fail(r, p, "Regular expression has too many named groups");
                    r->names[r->nnames] = r->s + p + 3;
                    r->namelen[r->nnames] = nlen;
                    r->nameidx[r->nnames++] = ++ncap;
                    special = 1;
                }
            } else ncap++;
        }
    }
    if (!special) return NULL;

    /* pass 2: rewrite */
    outs(r, "__ami_re(/");
    for (size_t p = 0; p < r->n;) {
        unsigned char c = (unsigned char)r->s[p];
        if (c == '\\' && p + 1 < r->n) {
            char x = r->s[p + 1];
            if (x == 'k') {
                if (!r->nnames) {
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
                snprintf(t, sizeof t, "(?:\\%d)", r->nameidx[i]);
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
        size_t k = utf8_len(c);
        if (p + k > r->n) k = r->n - p;
        if (k == 4 && r->u) { outs(r, "(?:"); out(r, r->s + p, k); outs(r, ")"); }
        else out(r, r->s + p, k);
        p += k;
    }
    *body_off = 10;
    *body_len = r->out.size - 10;
    outs(r, "/");
    for (size_t i = 0; i < nflags; i++)
        if (flags[i] != 's' && flags[i] != 'u' && flags[i] != 'y') out(r, flags + i, 1);
    /* names as [name, number, ...] */
    outs(r, ", [");
    for (int i = 0; i < r->nnames; i++) {
        char t[24];
        outs(r, i ? ", \"" : "\"");
        out(r, r->names[i], r->namelen[i]);
        snprintf(t, sizeof t, "\", %d", r->nameidx[i]);
        outs(r, t);
    }
    outs(r, "], \"");
    if (fs) outs(r, "s");
    if (fu) outs(r, "u");
    if (fy) outs(r, "y");
    outs(r, "\")");
    *outlen = r->out.size;
    return r->out.ptr;
}
