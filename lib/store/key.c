/*
 * Order-preserving key encoding (FoundationDB tuple-layer style, docs/design.md §4).
 *
 * Each part is a type byte and a payload:
 *   string  0x02, UTF-8 bytes with 0x00 escaped as 0x00 0xFF, then 0x00
 *   number  0x21, IEEE-754 double, big-endian, sign-flipped (positive: flip
 *           the sign bit; negative: flip every bit) so bytes sort numerically
 *   false   0x26,  true 0x27
 * so parts of different types order string < number < false < true, and
 * comparing encodings bytewise (shorter first on a common prefix) is key order.
 * The string terminator keeps ["ab"] out of the range of prefix ["a"].
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include "core/core.h"
#include "store/store_internal.h"

static int encode_part(ami_buf *out, const json_t *part, size_t index)
{
    unsigned char tmp[9];
    switch (json_typeof(part)) {
    case JSON_STRING: {
        const unsigned char *s = (const unsigned char *)json_string_value(part);
        size_t n = json_string_length(part);
        int rc = ami_buf_grow(out, n + 2);
        if (rc) return rc;
        unsigned char *p = (unsigned char *)out->ptr + out->size;
        *p++ = AMI__KEY_STRING;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == 0) {
                /* rare: make room for the escape byte */
                out->size = (size_t)(p - (unsigned char *)out->ptr);
                if ((rc = ami_buf_grow(out, n - i + 2))) return rc;
                p = (unsigned char *)out->ptr + out->size;
                *p++ = 0x00;
                *p++ = 0xFF;
            } else {
                *p++ = s[i];
            }
        }
        *p++ = 0x00;
        out->size = (size_t)(p - (unsigned char *)out->ptr);
        out->ptr[out->size] = '\0';
        return 0;
    }
    case JSON_INTEGER:
    case JSON_REAL: {
        double d = json_number_value(part);
        if (!isfinite(d))
            return ami__error_set(AMI_EINVAL, "key part %zu is not a finite number", index);
        if (d == 0) d = 0; /* -0 and 0 are one key */
        uint64_t u;
        memcpy(&u, &d, sizeof u);
        u = (u >> 63) ? ~u : (u | (UINT64_C(1) << 63));
        tmp[0] = AMI__KEY_NUMBER;
        for (int i = 0; i < 8; i++) tmp[1 + i] = (unsigned char)(u >> (56 - 8 * i));
        return ami_buf_put(out, tmp, 9);
    }
    case JSON_TRUE:
    case JSON_FALSE:
        tmp[0] = json_is_true(part) ? AMI__KEY_TRUE : AMI__KEY_FALSE;
        return ami_buf_put(out, tmp, 1);
    default:
        return ami__error_set(AMI_EINVAL, "key part %zu must be a string, a number or a boolean", index);
    }
}

int ami__key_encode_any(ami_buf *out, const json_t *key)
{
    if (!out || !key || !json_is_array(key))
        return ami__error_set(AMI_EINVAL, "a key must be a JSON array");
    size_t start = out->size, n = json_array_size(key);
    for (size_t i = 0; i < n; i++) {
        int rc = encode_part(out, json_array_get(key, i), i);
        if (!rc && out->size - start > AMI_KEY_MAX_BYTES)
            rc = ami__error_set(AMI_EKEYTOOLARGE, "key is over %d bytes encoded", AMI_KEY_MAX_BYTES);
        if (rc) {
            out->size = start;
            if (out->ptr) out->ptr[start] = '\0';
            return rc;
        }
    }
    return 0;
}

AMI_EXTERN(int) ami_key_encode(ami_buf *out, const json_t *key)
{
    if (key && json_is_array(key) && json_array_size(key) == 0)
        return ami__error_set(AMI_EINVAL, "a key must have at least one part");
    return ami__key_encode_any(out, key);
}

AMI_EXTERN(int) ami_key_decode(json_t **out, const void *bytes, size_t len)
{
    if (!out) return ami__error_set(AMI_EINVAL, "out is NULL");
    *out = NULL;
    const unsigned char *p = bytes, *end = p + len;
    if (!p && len) return ami__error_set(AMI_EINVAL, "bytes is NULL");
    json_t *arr = json_array();
    if (!arr) return ami__error_oom();
    ami_buf s = AMI_BUF_INIT;
    int rc = 0;
    while (p < end && !rc) {
        json_t *part = NULL;
        switch (*p++) {
        case AMI__KEY_STRING: {
            ami_buf_clear(&s);
            const unsigned char *run = p;
            for (;;) {
                if (p >= end) { rc = ami__error_set(AMI_EINVAL, "malformed key: unterminated string"); break; }
                if (*p != 0) { p++; continue; }
                if ((rc = ami_buf_put(&s, run, (size_t)(p - run)))) break;
                if (p + 1 < end && p[1] == 0xFF) {
                    if ((rc = ami_buf_put(&s, "", 1))) break;
                    p += 2;
                    run = p;
                    continue;
                }
                p++;
                break;
            }
            if (rc) break;
            part = json_stringn(s.ptr ? s.ptr : "", s.size);
            if (!part) rc = ami__error_set(AMI_EINVAL, "malformed key: string is not valid UTF-8");
            break;
        }
        case AMI__KEY_NUMBER: {
            if (end - p < 8) { rc = ami__error_set(AMI_EINVAL, "malformed key: short number"); break; }
            uint64_t u = 0;
            for (int i = 0; i < 8; i++) u = (u << 8) | p[i];
            p += 8;
            u = (u >> 63) ? (u & ~(UINT64_C(1) << 63)) : ~u;
            double d;
            memcpy(&d, &u, sizeof d);
            if (!isfinite(d)) { rc = ami__error_set(AMI_EINVAL, "malformed key: number is not finite"); break; }
            /* the encoder writes -0 as 0: another spelling of a key is not a key (found by fuzzing) */
            if (d == 0 && signbit(d)) { rc = ami__error_set(AMI_EINVAL, "malformed key: negative zero"); break; }
            /* integral values within ±2^53 come back as JSON integers */
            if (d == floor(d) && fabs(d) <= 9007199254740992.0)
                part = json_integer((json_int_t)d);
            else
                part = json_real(d);
            break;
        }
        case AMI__KEY_FALSE: part = json_false(); break;
        case AMI__KEY_TRUE: part = json_true(); break;
        default:
            rc = ami__error_set(AMI_EINVAL, "malformed key: unknown type byte 0x%02x", p[-1]);
            break;
        }
        if (rc) break;
        if (!part || json_array_append_new(arr, part)) rc = ami__error_oom();
    }
    ami_buf_dispose(&s);
    if (rc) { json_decref(arr); return rc; }
    *out = arr;
    return 0;
}

AMI_EXTERN(int) ami_key_compare(const json_t *a, const json_t *b)
{
    ami_buf ea = AMI_BUF_INIT, eb = AMI_BUF_INIT;
    int ra = ami__key_encode_any(&ea, a), rb = ami__key_encode_any(&eb, b);
    int r = 0;
    if (!ra && !rb) {
        size_t n = ea.size < eb.size ? ea.size : eb.size;
        r = n ? memcmp(ea.ptr, eb.ptr, n) : 0;
        if (!r) r = (ea.size > eb.size) - (ea.size < eb.size);
        r = (r > 0) - (r < 0);
    }
    ami_buf_dispose(&ea);
    ami_buf_dispose(&eb);
    return r;
}

AMI_EXTERN(json_t *) ami_key_new(const char *first, ...)
{
    json_t *key = json_array();
    if (!key) return NULL;
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *)) {
        if (json_array_append_new(key, json_string(s))) {
            json_decref(key);
            key = NULL;
            break;
        }
    }
    va_end(ap);
    return key;
}

void ami__vs_format(ami_versionstamp out, uint64_t counter)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) out[i] = hex[(counter >> (60 - 4 * i)) & 15];
    memcpy(out + 16, "0000", 5);
}

int ami__vs_parse(uint64_t *out, const char *vs)
{
    *out = 0;
    if (!vs || !*vs) return 0;
    uint64_t c = 0;
    size_t i = 0;
    for (; vs[i] && i < AMI_VERSIONSTAMP_LEN; i++) {
        char ch = vs[i];
        unsigned v;
        if (ch >= '0' && ch <= '9') v = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') v = (unsigned)(ch - 'a' + 10);
        else break;
        if (i < 16) c = (c << 4) | v;
    }
    if (i != AMI_VERSIONSTAMP_LEN || vs[i])
        return ami__error_set(AMI_EINVAL, "malformed versionstamp \"%.40s\" (expected 20 lowercase hex digits)", vs);
    *out = c;
    return 0;
}
