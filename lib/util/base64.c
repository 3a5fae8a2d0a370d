/* Standard base64 (RFC 4648, with padding) through OpenSSL's EVP block coders. */
#include <openssl/evp.h>
#include "core/core.h"
#include "util/util.h"

int ami__base64_encode(ami_buf *out, const void *data, size_t len)
{
    if (len > (size_t)INT32_MAX / 2) return ami__error_set(AMI_EINVAL, "base64: input too large");
    size_t n = 4 * ((len + 2) / 3);
    int rc = ami_buf_grow(out, n + 1);
    if (rc) return rc;
    int w = EVP_EncodeBlock((unsigned char *)out->ptr + out->size, data, (int)len);
    out->size += (size_t)w;
    out->ptr[out->size] = '\0';
    return 0;
}

int ami__base64_decode(ami_buf *out, const char *text, size_t len)
{
    if (len % 4 || len > (size_t)INT32_MAX / 2) return ami__error_set(AMI_EINVAL, "base64: malformed text");
    size_t pad = 0;
    if (len && text[len - 1] == '=') pad++;
    if (len > 1 && text[len - 2] == '=') pad++;
    int rc = ami_buf_grow(out, len / 4 * 3 + 1);
    if (rc) return rc;
    int w = len ? EVP_DecodeBlock((unsigned char *)out->ptr + out->size, (const unsigned char *)text, (int)len) : 0;
    if (w < 0 || (size_t)w < pad) return ami__error_set(AMI_EINVAL, "base64: malformed text");
    out->size += (size_t)w - pad;   /* EVP_DecodeBlock counts the padding as zero bytes */
    out->ptr[out->size] = '\0';
    return 0;
}
