/* Regular expressions beyond ES5, rewritten for Duktape's ES5 engine (for
 * literals, and for RegExp() at run time through ami__lower_regex):
 *   named groups  (?<name>…) -> (…), \k<name> -> (?:\N), with the names passed
 *                 to __ami_re, which gives exec/match/matchAll results .groups
 *                 and replace $<name> and the replacer's groups argument;
 *   flag s        . outside a class -> [\s\S];
 *   flag u        \u{…} -> \uXXXX or a surrogate pair, a code point outside the
 *                 BMP (literal or escaped) and . / \S / \W / \D / classes that
 *                 can match one -> an alternative that takes a whole pair;
 *                 \p{…} and such code points inside a class are refused;
 *   flag y        __ami_re: exec and test find a match only at lastIndex
 *                 (String methods refuse a sticky regexp with a TypeError);
 *   lookbehind    only leading ones (before them nothing but ^, \b, \B and
 *                 other lookbehinds; no | at the top level), holding no
 *                 groups but (?:…), no backreferences, \b, \B or $: they are
 *                 left out of the pattern and given to __ami_re, whose exec and
 *                 String methods keep a match of the rest at i only when each
 *                 one's content matches a text ending at i (within its longest
 *                 length when bounded).  Others are refused with their position.
 */
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
    if (p >= r->n) rx_fail(r, p, "Invalid regular expression: missing ]");   /* RegExp("[a") */
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

/* the lookbehind that starts at s[p] ('('), or -1 */
static int lb_at(rx *r, size_t p)
{
    for (int k = 0; k < r->res->nlb; k++)
        if (r->res->lb_start[k] == p + 4) return k;
    return -1;
}

/* s[from..to) rewritten into r->out, leaving out the lookbehinds */
static void rewrite(rx *r, size_t from, size_t to, int fs)
{
    for (size_t p = from; p < to;) {
        int lb = lb_at(r, p);
        if (lb >= 0) { p = r->res->lb_end[lb] + 1; continue; }
        unsigned char c = (unsigned char)r->s[p];
        if (c == '\\' && p + 1 < r->n) {
            char x = r->s[p + 1];
            if (x == 'k') {
                if (!r->res->nnames) {
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
                snprintf(t, sizeof t, "(?:\\%d)", r->res->nameidx[i]);
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
        if (c == ']' && r->u) rx_fail(r, p, "Invalid regular expression: Lone quantifier brackets");
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
}

/* The longest text (in UTF-16 units) an ES5 pattern without groups that
 * capture can match, from s[*p] up to ')' or the end; -1 when unbounded.
 * *caret is set when it uses ^ (whose meaning depends on where the text starts). */
#define LB_INF (-1L)
static long lb_max(const char *s, size_t n, size_t *p, int *caret)
{
    long best = 0, cur = 0;
    while (*p < n && s[*p] != ')') {
        unsigned char c = (unsigned char)s[*p];
        long atom;
        if (c == '|') { if (cur == LB_INF || best == LB_INF) best = LB_INF; else if (cur > best) best = cur; cur = 0; (*p)++; continue; }
        if (c == '^') { *caret = 1; (*p)++; continue; }
        if (c == '(') {
            *p += 3;   /* (?: */
            atom = lb_max(s, n, p, caret);
            (*p)++;    /* ) */
        } else if (c == '[') {
            (*p)++;
            if (*p < n && s[*p] == '^') (*p)++;
            while (*p < n && s[*p] != ']') *p += s[*p] == '\\' ? 2 : 1;
            (*p)++;
            atom = 1;
        } else if (c == '\\') {
            char x = *p + 1 < n ? s[*p + 1] : 0;
            *p += 2;
            if (x == 'u') *p += 4;
            else if (x == 'x') *p += 2;
            else if (x == 'c') *p += 1;
            else if ((unsigned char)x >= 0x80) *p += utf8_len((unsigned char)x) - 1;
            atom = 1;
        } else {
            size_t k = utf8_len(c);
            *p += k;
            atom = k == 4 ? 2 : 1;   /* outside the BMP: a surrogate pair */
        }
        /* quantifier */
        long times = 1;
        if (*p < n) {
            char q = s[*p];
            if (q == '*' || q == '+') { times = LB_INF; (*p)++; }
            else if (q == '?') (*p)++;
            else if (q == '{' && *p + 1 < n && s[*p + 1] >= '0' && s[*p + 1] <= '9') {
                size_t e = *p + 1;
                long lo = 0, hi;
                while (e < n && s[e] >= '0' && s[e] <= '9') { if (lo < 100000) lo = lo * 10 + (s[e] - '0'); e++; }
                hi = lo;
                if (e < n && s[e] == ',') {
                    e++;
                    if (e < n && s[e] >= '0' && s[e] <= '9') {
                        hi = 0;
                        while (e < n && s[e] >= '0' && s[e] <= '9') { if (hi < 100000) hi = hi * 10 + (s[e] - '0'); e++; }
                    } else hi = LB_INF;
                }
                if (e < n && s[e] == '}') { times = hi; *p = e + 1; }
            }
            if (*p < n && s[*p] == '?' && q != '?') (*p)++;   /* lazy */
        }
        if (cur != LB_INF) {
            if (times == LB_INF || atom == LB_INF) cur = times == 0 ? cur : (atom == 0 ? cur : LB_INF);
            else cur += atom * times;
            if (cur > 1000000) cur = LB_INF;
        }
    }
    if (cur == LB_INF || best == LB_INF) return LB_INF;
    return cur > best ? cur : best;
}

/* at s[p] == '(' of (?<= or (?<!: checks what the lookbehind holds (no
 * groups that capture, backreferences, \b, \B, $ or lookarounds, which
 * would need the text around it) and returns the index of its ')' */
static size_t lb_scan(rx *r, size_t p)
{
    int depth = 0, in_class = 0;
    const char *what = NULL;
    size_t q;
    for (q = p + 4; q < r->n; q++) {
        char c = r->s[q];
        if (c == '\\') {
            char x = q + 1 < r->n ? r->s[q + 1] : 0;
            if (!in_class && (x == 'b' || x == 'B')) what = "\\b or \\B";
            else if (!in_class && ((x >= '1' && x <= '9') || x == 'k')) what = "a backreference";
            if (what) break;
            q++;
            continue;
        }
        if (in_class) { if (c == ']') in_class = 0; continue; }
        if (c == '[') { in_class = 1; continue; }
        if (c == '$') { what = "$"; break; }
        if (c == '(') {
            if (!(q + 2 < r->n && r->s[q + 1] == '?' && r->s[q + 2] == ':')) { what = "a group other than (?:...)"; break; }
            depth++;
        } else if (c == ')') {
            if (!depth) return q;
            depth--;
        }
    }
    if (what) {
        char msg[160];
        snprintf(msg, sizeof msg, "Lookbehind assertions may not hold %s (not supported)", what);
        rx_fail(r, q, msg);
    }
    rx_fail(r, p, "Invalid regular expression: Unterminated group");
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

    /* pass 1: group names and numbers; lookbehinds (only leading ones: before
     * them nothing but ^, \b, \B and other lookbehinds, no | at the top) */
    int ncap = 0, in_class = 0, special = fs || fu || fy, depth = 0, leading = 1, top_alt = 0;
    size_t first_lb = 0;
    for (size_t p = 0; p < r->n; p++) {
        char c = r->s[p];
        if (c == '\\') {
            if (p + 1 < r->n && r->s[p + 1] == 'k') special = 1;
            if (!in_class && depth == 0 && !(p + 1 < r->n && (r->s[p + 1] == 'b' || r->s[p + 1] == 'B'))) leading = 0;
            p++;
            continue;
        }
        if (in_class) { if (c == ']') in_class = 0; continue; }
        if (c == '[') { in_class = 1; if (depth == 0) leading = 0; continue; }
        if (c == '|' && depth == 0) top_alt = 1;
        if (depth == 0 && c != '^' && c != '(') leading = 0;
        if (c == ')') { if (depth) depth--; continue; }
        if (c != '(') continue;
        if (p + 3 < r->n && r->s[p + 1] == '?' && r->s[p + 2] == '<' && (r->s[p + 3] == '=' || r->s[p + 3] == '!')) {
            if (!leading || depth)
                rx_fail(r, p, "Lookbehind assertions ((?<=...) and (?<!...)) are supported only at the start of a pattern");
            if (res->nlb >= LW_REGEX_LB) rx_fail(r, p, "Regular expression has too many lookbehind assertions");
            if (!res->nlb) first_lb = p;
            size_t end = lb_scan(r, p);
            res->lb_neg[res->nlb] = r->s[p + 3] == '!';
            res->lb_start[res->nlb] = p + 4;
            res->lb_end[res->nlb++] = end;
            special = 1;
            p = end;
            continue;
        }
        if (depth == 0) leading = 0;
        depth++;
        if (p + 1 < r->n && r->s[p + 1] == '?') {
            if (p + 2 < r->n && r->s[p + 2] == '<') {
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
    if (res->nlb && top_alt)
        rx_fail(r, first_lb, "Lookbehind assertions ((?<=...) and (?<!...)) are supported only at the start of a pattern");
    if (!special) return 0;

    /* pass 2: rewrite the pattern, then each lookbehind's content */
    rewrite(r, 0, r->n, fs);
    size_t body_len = r->out.size;
    for (int k = 0; k < res->nlb; k++) {
        size_t at = r->out.size;
        rewrite(r, res->lb_start[k], res->lb_end[k], fs);
        res->lb_off[k] = at;
        res->lb_len[k] = r->out.size - at;
        ami__lw_regex_check(C, r->out.ptr + at, res->lb_len[k], line, col);
        size_t q = 0;
        int caret = 0;
        long m = lb_max(r->out.ptr + at, res->lb_len[k], &q, &caret);
        res->lb_max[k] = caret ? -1 : m;
    }
    res->body = r->out.ptr ? r->out.ptr : "";
    res->body_len = body_len;
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
    if (res.body_len) ami__lw_buf_put(C, &o, res.body, res.body_len);
    else ami__lw_buf_puts(C, &o, "(?:)");   /* all lookbehind: // would be a comment */
    *body_len = o.size - *body_off;
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
    ami__lw_buf_puts(C, &o, "\"");
    /* leading lookbehinds as [negative, "content", longest, ...] */
    if (res.nlb) ami__lw_buf_puts(C, &o, ", [");
    for (int k = 0; k < res.nlb; k++) {
        char t[48];
        snprintf(t, sizeof t, "%s%d, \"", k ? ", " : "", res.lb_neg[k]);
        ami__lw_buf_puts(C, &o, t);
        for (size_t i = 0; i < res.lb_len[k]; i++) {
            char c = res.body[res.lb_off[k] + i];
            if (c == '\\' || c == '"') ami__lw_buf_put(C, &o, "\\", 1);
            ami__lw_buf_put(C, &o, &c, 1);
        }
        snprintf(t, sizeof t, "\", %ld", res.lb_max[k]);
        ami__lw_buf_puts(C, &o, t);
    }
    ami__lw_buf_puts(C, &o, res.nlb ? "])" : ")");
    *outlen = o.size;
    return o.ptr;
}
