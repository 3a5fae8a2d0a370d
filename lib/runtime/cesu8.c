/*
 * Text between Duktape and the rest of libami.  Duktape keeps strings as
 * CESU-8: a character outside the BMP is a surrogate pair, each half encoded
 * as its own 3-byte sequence, which is not valid UTF-8 (Jansson and SQLite
 * text want UTF-8).  JSON text going into the heap gets such characters as
 * \uXXXX escape pairs, so JSON.parse builds the surrogate pairs JavaScript
 * expects.
 */
#include <string.h>
#include "runtime/internal.h"

/* Is there a byte that may need conversion (a 3-byte surrogate lead or a 4-byte lead)? */
static int needs_work(const unsigned char *p, size_t len, unsigned char from)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] >= from) return 1;
    return 0;
}

/* A surrogate half encoded as ED A0..BF xx: its code unit, else 0. */
static unsigned surrogate_at(const unsigned char *p, size_t left)
{
    if (left < 3 || p[0] != 0xED || (p[1] & 0xE0) != 0xA0 || (p[2] & 0xC0) != 0x80) return 0;
    return 0xD000u | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
}

int ami__cesu8_to_utf8(const char *in, size_t len, ami_buf *out, const char **res, size_t *reslen)
{
    const unsigned char *p = (const unsigned char *)in;
    if (!needs_work(p, len, 0xED)) { *res = in; *reslen = len; return 0; }
    ami_buf_clear(out);
    int rc = ami_buf_grow(out, len);
    if (rc) return rc;
    size_t i = 0, run = 0;
    while (i < len) {
        unsigned hi = surrogate_at(p + i, len - i);
        if (!hi) { i++; run++; continue; }
        if (run) ami_buf_put(out, p + i - run, run);
        run = 0;
        unsigned lo = hi < 0xDC00 ? surrogate_at(p + i + 3, len - i - 3) : 0;
        if (hi < 0xDC00 && lo >= 0xDC00) {
            unsigned cp = 0x10000u + ((hi - 0xD800u) << 10) + (lo - 0xDC00u);
            unsigned char u[4] = { (unsigned char)(0xF0 | (cp >> 18)), (unsigned char)(0x80 | ((cp >> 12) & 0x3F)),
                                   (unsigned char)(0x80 | ((cp >> 6) & 0x3F)), (unsigned char)(0x80 | (cp & 0x3F)) };
            rc = ami_buf_put(out, u, 4);
            i += 6;
        } else {
            rc = ami_buf_put(out, "\xEF\xBF\xBD", 3);   /* a lone surrogate becomes U+FFFD */
            i += 3;
        }
        if (rc) return rc;
    }
    if (run) rc = ami_buf_put(out, p + len - run, run);
    if (rc) return rc;
    *res = out->ptr;
    *reslen = out->size;
    return 0;
}

int ami__json_for_duktape(const char *in, size_t len, ami_buf *out, const char **res, size_t *reslen)
{
    const unsigned char *p = (const unsigned char *)in;
    if (!needs_work(p, len, 0xF0)) { *res = in; *reslen = len; return 0; }
    ami_buf_clear(out);
    int rc = ami_buf_grow(out, len + len / 2);
    if (rc) return rc;
    size_t i = 0, run = 0;
    while (i < len) {
        if (p[i] < 0xF0 || p[i] > 0xF4 || len - i < 4) { i++; run++; continue; }
        if (run) ami_buf_put(out, p + i - run, run);
        run = 0;
        unsigned cp = ((p[i] & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) | ((p[i + 2] & 0x3Fu) << 6) | (p[i + 3] & 0x3Fu);
        cp -= 0x10000u;
        /* only inside JSON strings can such bytes occur, where an escape pair means the same */
        rc = ami_buf_printf(out, "\\u%04x\\u%04x", 0xD800u + (cp >> 10), 0xDC00u + (cp & 0x3FFu));
        if (rc) return rc;
        i += 4;
    }
    if (run) rc = ami_buf_put(out, p + len - run, run);
    if (rc) return rc;
    *res = out->ptr;
    *reslen = out->size;
    return 0;
}
