/* Cutting UTF-8 text at a character boundary (used by the last error itself, so it lives in core). */
#include "core/core.h"

size_t ami__utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max) return len;
    /* Look only at s[0..max): callers may have a NUL at s[max] already (vsnprintf). */
    size_t j = max;
    while (j > 0 && ((unsigned char)s[j - 1] & 0xC0) == 0x80 && max - j < 3) j--;
    if (j == 0) return max;
    unsigned char c = (unsigned char)s[j - 1];
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return (j - 1) + need > max ? j - 1 : max;
}
