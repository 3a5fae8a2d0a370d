/*
 * Per-node permissions of worker network and environment access, Deno style:
 * allow_net (hosts a worker may connect to), allow_listen (ports Deno.serve
 * may bind), allow_env (variables Deno.env.get may read).  Default: nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/web/web.h"
#include "core/core.h"
#include "util/util.h"

static void perms_dispose(ami__perms *p)
{
    for (size_t i = 0; i < p->n_net; i++) ami_free(p->net[i].host);
    for (size_t i = 0; i < p->n_env; i++) ami_free(p->env[i]);
    ami_free(p->net);
    ami_free(p->listen);
    ami_free(p->env);
    memset(p, 0, sizeof *p);
}

/* Next item of a list separated by commas or blanks; NULL at the end. */
static const char *next_item(const char **s, size_t *len)
{
    const char *p = *s;
    while (*p == ',' || isspace((unsigned char)*p)) p++;
    if (!*p) return NULL;
    const char *b = p;
    while (*p && *p != ',' && !isspace((unsigned char)*p)) p++;
    *len = (size_t)(p - b);
    *s = p;
    return b;
}

static int parse_port(const char *s, size_t n, int *out)
{
    if (!n || n > 5) return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535) return -1;
    *out = v;
    return 0;
}

static int grow(void **arr, size_t n, size_t size)
{
    void *g = ami_realloc(*arr, (n + 1) * size);
    if (!g) return ami__error_oom();
    *arr = g;
    return 0;
}

static int parse_net(ami__perms *p, const char *list)
{
    const char *s = list, *item;
    size_t n;
    while ((item = next_item(&s, &n))) {
        char host[300];
        int port = 0;
        if (n >= sizeof host) return ami__error_set(AMI_EINVAL, "allow_net: item too long: %.40s...", item);
        memcpy(host, item, n);
        host[n] = '\0';
        char *colon = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
        if (colon && host[0] == '[') colon++;
        if (colon && (host[0] == '[' || strchr(host, ':') == colon)) {
            if (parse_port(colon + 1, strlen(colon + 1), &port))
                return ami__error_set(AMI_EINVAL, "allow_net: bad port in \"%s\" (host, host:port, *.domain or *)", host);
            *colon = '\0';
        }
        size_t hl = strlen(host);
        if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') { memmove(host, host + 1, hl - 2); host[hl - 2] = '\0'; }
        if (!host[0] || (host[0] == '*' && host[1] && host[1] != '.') || strchr(host, '/') || strchr(host + 1, '*'))
            return ami__error_set(AMI_EINVAL, "allow_net: bad item \"%.*s\" (host, host:port, *.domain or *)", (int)n, item);
        for (char *c = host; *c; c++) *c = (char)tolower((unsigned char)*c);
        if (grow((void **)&p->net, p->n_net, sizeof *p->net)) return AMI_ENOMEM;
        if (!(p->net[p->n_net].host = ami__strdup(host))) return ami__error_oom();
        p->net[p->n_net++].port = port;
    }
    return 0;
}

static int parse_listen(ami__perms *p, const char *list)
{
    const char *s = list, *item;
    size_t n;
    while ((item = next_item(&s, &n))) {
        const char *dash = memchr(item, '-', n);
        int lo, hi;
        if (dash ? parse_port(item, (size_t)(dash - item), &lo) || parse_port(dash + 1, n - (size_t)(dash - item) - 1, &hi) || hi < lo
                 : parse_port(item, n, &lo))
            return ami__error_set(AMI_EINVAL, "allow_listen: bad item \"%.*s\" (a port 1-65535 or a range lo-hi)", (int)n, item);
        if (!dash) hi = lo;
        if (grow((void **)&p->listen, p->n_listen, sizeof *p->listen)) return AMI_ENOMEM;
        p->listen[p->n_listen][0] = lo;
        p->listen[p->n_listen++][1] = hi;
    }
    return 0;
}

static int parse_env(ami__perms *p, const char *list)
{
    const char *s = list, *item;
    size_t n;
    while ((item = next_item(&s, &n))) {
        for (size_t i = 0; i < n; i++)
            if (item[i] == '=' || (unsigned char)item[i] < 0x21)
                return ami__error_set(AMI_EINVAL, "allow_env: bad variable name \"%.*s\"", (int)n, item);
        if (grow((void **)&p->env, p->n_env, sizeof *p->env)) return AMI_ENOMEM;
        if (!(p->env[p->n_env] = ami__strndup(item, n))) return ami__error_oom();
        p->n_env++;
    }
    return 0;
}

int ami__perms_new(ami__perms **out, const char *net, const char *listen, const char *env)
{
    *out = NULL;
    ami__perms *p = ami_malloc(sizeof *p);
    if (!p) return ami__error_oom();
    memset(p, 0, sizeof *p);
    int rc = 0;
    if (!rc && net) rc = parse_net(p, net);
    if (!rc && listen) rc = parse_listen(p, listen);
    if (!rc && env) rc = parse_env(p, env);
    if (rc) { perms_dispose(p); ami_free(p); return rc; }
    p->refs = 1;
    *out = p;
    return 0;
}

ami__perms *ami__perms_ref(ami__perms *p)
{
    if (p) __atomic_add_fetch(&p->refs, 1, __ATOMIC_ACQ_REL);
    return p;
}

void ami__perms_unref(ami__perms *p)
{
    if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    perms_dispose(p);
    ami_free(p);
}

int ami__perms_net(const ami__perms *p, const char *host, int port)
{
    char h[300];
    size_t n = strlen(host);
    if (n && host[0] == '[' && host[n - 1] == ']') { host++; n -= 2; }
    if (n >= sizeof h) return 0;
    for (size_t i = 0; i < n; i++) h[i] = (char)tolower((unsigned char)host[i]);
    h[n] = '\0';
    if (n && h[n - 1] == '.') h[--n] = '\0';   /* "example.com." is example.com */
    for (size_t i = 0; i < p->n_net; i++) {
        const ami__net_rule *r = &p->net[i];
        if (r->port && r->port != port) continue;
        if (!strcmp(r->host, "*")) return 1;
        if (r->host[0] == '*') {   /* "*.domain": the subdomains of domain */
            size_t sl = strlen(r->host + 1);   /* ".domain" */
            if (n > sl && !strcmp(h + n - sl, r->host + 1)) return 1;
            continue;
        }
        if (!strcmp(r->host, h)) return 1;
    }
    return 0;
}

int ami__perms_listen(const ami__perms *p, int port)
{
    for (size_t i = 0; i < p->n_listen; i++)
        if (port >= p->listen[i][0] && port <= p->listen[i][1]) return 1;
    return 0;
}

int ami__perms_env(const ami__perms *p, const char *name)
{
    for (size_t i = 0; i < p->n_env; i++)
        if (!strcmp(p->env[i], name) || !strcmp(p->env[i], "*")) return 1;
    return 0;
}

int ami__perms_url(const ami__perms *p, const char *url, char *msg, size_t msglen, int *is_type)
{
    *is_type = 0;
    static const struct { const char *scheme; int port; } schemes[] = {
        { "http", 80 }, { "https", 443 }, { "ws", 80 }, { "wss", 443 }
    };
    const char *colon = strchr(url, ':');
    int defport = 0;
    for (size_t i = 0; colon && i < 4; i++)
        if ((size_t)(colon - url) == strlen(schemes[i].scheme) && !strncasecmp(url, schemes[i].scheme, (size_t)(colon - url)))
            defport = schemes[i].port;
    if (!defport) {
        *is_type = 1;
        snprintf(msg, msglen, "unsupported URL scheme in \"%.200s\" (only http, https, ws and wss)", url);
        return -1;
    }
    if (strncmp(colon, "://", 3)) { *is_type = 1; snprintf(msg, msglen, "invalid URL \"%.200s\"", url); return -1; }
    const char *a = colon + 3, *end = a + strcspn(a, "/?#");
    const char *at = NULL;
    for (const char *q = a; q < end; q++) if (*q == '@') at = q;
    if (at) a = at + 1;
    char host[300];
    const char *hend;
    if (*a == '[') {
        const char *rb = memchr(a, ']', (size_t)(end - a));
        if (!rb) { *is_type = 1; snprintf(msg, msglen, "invalid URL \"%.200s\"", url); return -1; }
        hend = rb + 1;
    } else {
        hend = memchr(a, ':', (size_t)(end - a));
        if (!hend) hend = end;
    }
    size_t hl = (size_t)(hend - a);
    if (!hl || hl >= sizeof host) { *is_type = 1; snprintf(msg, msglen, "invalid URL \"%.200s\"", url); return -1; }
    memcpy(host, a, hl);
    host[hl] = '\0';
    int port = defport;
    if (hend < end && *hend == ':' && hend + 1 < end) {
        if (parse_port(hend + 1, (size_t)(end - hend - 1), &port)) {
            *is_type = 1;
            snprintf(msg, msglen, "invalid port in URL \"%.200s\"", url);
            return -1;
        }
    }
    if (ami__perms_net(p, host, port)) return 0;
    snprintf(msg, msglen, "Requires net access to \"%s:%d\"; the node allows it with allow_net=%s:%d (or allow_net=%s)",
             host, port, host, port, host);
    return -1;
}
