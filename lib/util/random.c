/* Cryptographic randomness (getrandom) and UUID v4 ids. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "core/core.h"
#include "util/util.h"

int ami__random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return ami__error_set(AMI_EIO, "getrandom: %s", strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int ami__uuid4(char out[37])
{
    unsigned char b[16];
    int rc = ami__random_bytes(b, sizeof b);
    if (rc) return rc;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char hex[33];
    ami__hex_encode(b, 16, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return 0;
}
