/* Strings, randomness, hashing, time and diagnostic logging. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <openssl/evp.h>
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

void ami__sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    ami__hex_encode(md, 32, out);
}

AMI_EXTERN(int64_t) ami_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

AMI_EXTERN(int64_t) ami_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ami__sleep_ms(int64_t ms)
{
    if (ms <= 0) return;
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

void ami__iso_time(int64_t ms, char out[32])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
             tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (int)((ms % 1000 + 1000) % 1000));
}

static int log_level(void)
{
    static int level = -1;
    if (level < 0) {
        const char *e = getenv("AMI_LOG");
        level = AMI__LOG_WARN;
        if (e && !strcmp(e, "error")) level = AMI__LOG_ERROR;
        else if (e && !strcmp(e, "info")) level = AMI__LOG_INFO;
        else if (e && !strcmp(e, "debug")) level = AMI__LOG_DEBUG;
    }
    return level;
}

void ami__log(int level, const char *fmt, ...)
{
    static const char *names[] = { "error", "warn", "info", "debug" };
    if (level > log_level()) return;
    char ts[32];
    ami__iso_time(ami_time_now_ms(), ts);
    va_list ap;
    va_start(ap, fmt);
    char line[2048];
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s ami %s: %s\n", ts, names[level], line);
}
