/* String copies through the allocator hooks; hex encoding. */
#include <string.h>
#include "core/core.h"
#include "util/util.h"

char *ami__strndup(const char *s, size_t n)
{
    char *p = ami_malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ami__strdup(const char *s) { return s ? ami__strndup(s, strlen(s)) : NULL; }

void ami__hex_encode(const void *data, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * len] = '\0';
}
