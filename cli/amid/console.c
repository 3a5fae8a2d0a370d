/* amid's web console: static files with strict security headers (console.h). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "console.h"

static const struct { const char *ext, *type; } types[] = {
    { ".html", "text/html; charset=utf-8" },   { ".js", "text/javascript; charset=utf-8" },
    { ".mjs", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" },           { ".png", "image/png" },
    { ".svg", "image/svg+xml" },               { ".ico", "image/x-icon" },
    { ".woff2", "font/woff2" },                { ".txt", "text/plain; charset=utf-8" },
};

/* The content type for a file name, or NULL (such files are not served). */
static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext)) return types[i].type;
    return NULL;
}

/* A relative path of safe segments: [A-Za-z0-9._-]+, none starting with '.', no empty ones. */
static int safe_path(const char *p)
{
    if (!*p) return 0;
    for (const char *seg = p; *seg;) {
        if (*seg == '.' || *seg == '/') return 0;
        const char *q = seg;
        for (; *q && *q != '/'; q++) {
            char c = *q;
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                  c == '_'))
                return 0;
        }
        seg = *q ? q + 1 : q;
        if (*q && !*seg) return 0;   /* a trailing slash */
    }
    return 1;
}

void amid_console_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                            "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                            "frame-ancestors 'none'");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
}

static struct MHD_Response *not_found(unsigned int *status)
{
    static const char msg[] = "{\"error\":\"Not found\"}";
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
    if (!r) return NULL;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    amid_console_headers(r);
    *status = 404;
    return r;
}

struct MHD_Response *amid_console_response(unsigned int *status, const char *dir, const char *cm_dir, const char *url)
{
    static const char vendor[] = "/vendor/codemirror/";
    const char *root = dir, *rel;
    if (!strcmp(url, "/")) {
        rel = "index.html";
    } else if (!strncmp(url, vendor, sizeof vendor - 1)) {
        root = cm_dir;
        rel = url + sizeof vendor - 1;
    } else {
        rel = url + 1;
    }
    if (!root || url[0] != '/' || !safe_path(rel)) return not_found(status);
    const char *type = type_of(rel);
    if (!type) return not_found(status);
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path) return not_found(status);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return not_found(status);
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return not_found(status);
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);   /* owns fd */
    if (!r) {
        close(fd);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    /* the console's own files change with each build; the vendored library with its package */
    MHD_add_response_header(r, "Cache-Control", root == cm_dir ? "public, max-age=3600" : "no-cache");
    amid_console_headers(r);
    *status = 200;
    return r;
}

static int has_index(const char *dir)
{
    char p[PATH_MAX];
    struct stat st;
    return (size_t)snprintf(p, sizeof p, "%s/index.html", dir) < sizeof p && !stat(p, &st) && S_ISREG(st.st_mode);
}

int amid_console_find(char *out, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0';
    static const char *const rel[] = { "/../console", "/../../console", "/../share/ami/console" };
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char cand[PATH_MAX], real[PATH_MAX];
        if ((size_t)snprintf(cand, sizeof cand, "%s%s", exe, rel[i]) >= sizeof cand) continue;
        if (!realpath(cand, real) || !has_index(real)) continue;
        if ((size_t)snprintf(out, cap, "%s", real) >= cap) return -1;
        return 0;
    }
    return -1;
}
