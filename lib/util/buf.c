/* ami_buf: the owned, growable text buffer handed to callers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/core.h"

AMI_EXTERN(int) ami_buf_grow(ami_buf *buf, size_t size)
{
    size_t need = buf->size + size + 1;
    if (need <= buf->asize) return 0;
    size_t n = buf->asize ? buf->asize : 64;
    while (n < need) n = n + n / 2 + 16;
    char *p = ami_realloc(buf->ptr, n);
    if (!p) return ami__error_oom();
    buf->ptr = p;
    buf->asize = n;
    return 0;
}

AMI_EXTERN(int) ami_buf_put(ami_buf *buf, const void *data, size_t len)
{
    int rc = ami_buf_grow(buf, len);
    if (rc) return rc;
    if (len) memcpy(buf->ptr + buf->size, data, len);
    buf->size += len;
    buf->ptr[buf->size] = '\0';
    return 0;
}

AMI_EXTERN(int) ami_buf_puts(ami_buf *buf, const char *str) { return ami_buf_put(buf, str, strlen(str)); }

AMI_EXTERN(int) ami_buf_printf(ami_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return ami__error_set(AMI_EINVAL, "bad format");
    int rc = ami_buf_grow(buf, (size_t)n);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf(buf->ptr + buf->size, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->size += (size_t)n;
    return 0;
}

AMI_EXTERN(void) ami_buf_clear(ami_buf *buf)
{
    buf->size = 0;
    if (buf->ptr) buf->ptr[0] = '\0';
}

AMI_EXTERN(char *) ami_buf_detach(ami_buf *buf)
{
    if (!buf->ptr && ami_buf_grow(buf, 0)) return NULL;
    if (!buf->size) buf->ptr[0] = '\0';
    char *p = buf->ptr;
    *buf = (ami_buf)AMI_BUF_INIT;
    return p;
}

AMI_EXTERN(void) ami_buf_dispose(ami_buf *buf)
{
    if (!buf) return;
    ami_free(buf->ptr);
    *buf = (ami_buf)AMI_BUF_INIT;
}
