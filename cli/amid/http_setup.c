/* amid's HTTP keys: parse, validate, and start/stop the WebFIX server. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_setup.h"

static int bad(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    snprintf(err, errlen, fmt, a, b);
    return -1;
}

/* "ADDR:PORT", "[V6]:PORT", "ADDR" or ":PORT". */
static int parse_listen(amid_http_setup *s, const char *v, char *err, size_t errlen)
{
    const char *port = NULL;
    size_t alen;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (!close) return bad(err, errlen, "listen: bad address '%s'%s", v, "");
        alen = (size_t)(close - v - 1);
        v++;
        if (close[1] == ':') port = close + 2;
        else if (close[1]) return bad(err, errlen, "listen: bad address '%s'%s", v - 1, "");
    } else {
        const char *colon = strrchr(v, ':');
        if (colon && strchr(v, ':') == colon) {
            alen = (size_t)(colon - v);
            port = colon + 1;
        } else {
            alen = strlen(v);   /* a bare IPv6 literal or a host */
        }
    }
    if (alen >= sizeof s->address) return bad(err, errlen, "listen: address too long: '%s'%s", v, "");
    if (alen) {
        memcpy(s->address, v, alen);
        s->address[alen] = '\0';
    }
    if (port) {
        char *end;
        long p = strtol(port, &end, 10);
        if (!*port || *end || p < 0 || p > 65535) return bad(err, errlen, "listen: bad port '%s'%s", port, "");
        s->http.port = (int)p;
    }
    return 0;
}

static int int_key(amid_config *cfg, const char *key, long long lo, long long hi, long long *out, char *err, size_t errlen)
{
    amid_config_claim(cfg, key);
    long long v;
    int r = amid_config_int(cfg, key, &v);
    if (r < 0 || (r > 0 && (v < lo || v > hi)))
        return bad(err, errlen, "%s: not a valid number: '%s'", key, amid_config_get(cfg, key));
    if (r > 0) *out = v;
    return 0;
}

int amid_http_configure(amid_http_setup *s, amid_config *cfg, char *err, size_t errlen)
{
    amid_http_config def = AMID_HTTP_CONFIG_INIT;
    memset(s, 0, sizeof *s);
    s->http = def;
    snprintf(s->address, sizeof s->address, "%s", def.address);
    s->allow_viewers = 1;
    s->session_ttl_s = 24 * 3600;

    amid_config_claim(cfg, "listen");
    const char *listen = amid_config_get(cfg, "listen");
    if (listen && (!strcmp(listen, "off") || !strcmp(listen, "none"))) s->disabled = 1;
    else if (listen && *listen && parse_listen(s, listen, err, errlen)) return -1;
    s->explicit_listen = listen && *listen;

    long long threads = s->http.threads, timeout = s->http.connection_timeout_s, maxc = s->http.max_connections;
    if (int_key(cfg, "http_threads", 1, 256, &threads, err, errlen) ||
        int_key(cfg, "connection_timeout", 1, 86400, &timeout, err, errlen) ||
        int_key(cfg, "max_connections", 1, 1000000, &maxc, err, errlen) ||
        int_key(cfg, "session_ttl", 1, 365LL * 24 * 3600, &s->session_ttl_s, err, errlen))
        return -1;
    s->http.threads = (int)threads;
    s->http.connection_timeout_s = (unsigned int)timeout;
    s->http.max_connections = (unsigned int)maxc;

    amid_config_claim(cfg, "allow_viewers");
    const char *av = amid_config_get(cfg, "allow_viewers");
    if (av && *av) {
        if (!strcmp(av, "true") || !strcmp(av, "yes") || !strcmp(av, "1")) s->allow_viewers = 1;
        else if (!strcmp(av, "false") || !strcmp(av, "no") || !strcmp(av, "0")) s->allow_viewers = 0;
        else return bad(err, errlen, "allow_viewers: expected true or false, got '%s'%s", av, "");
    }

    /* owners: public keys separated by commas or spaces. */
    amid_config_claim(cfg, "owners");
    const char *ow = amid_config_get(cfg, "owners");
    for (const char *p = ow; p && *p;) {
        while (*p == ',' || isspace((unsigned char)*p)) p++;
        if (!*p) break;
        size_t n = strcspn(p, ", \t");
        char **grown = realloc(s->owners, (s->owners_count + 1) * sizeof *grown);
        if (!grown) return bad(err, errlen, "out of memory%s%s", "", "");
        s->owners = grown;
        s->owners[s->owners_count] = strndup(p, n);
        if (!s->owners[s->owners_count]) return bad(err, errlen, "out of memory%s%s", "", "");
        s->owners_count++;
        p += n;
    }
    if (!s->disabled) {
        int lo = amid_http_address_is_loopback(s->address);
        if (lo < 0) return bad(err, errlen, "listen: '%s' is not an IPv4 or IPv6 address%s", s->address, "");
        if (!lo && !s->owners_count)
            return bad(err, errlen, "refusing to listen on %s without owners configured (set owners = KEY; "
                       "make a key with `amictl keygen --out FILE`)%s", s->address, "");
    }
    return 0;
}

int amid_http_launch(amid_http_setup *s, ami_node *node, char *err, size_t errlen)
{
    if (s->disabled) return 0;
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.node = node;
    o.owners = (const char *const *)s->owners;
    o.owners_count = s->owners_count;
    o.allow_viewers = s->allow_viewers;
    o.session_ttl_ms = s->session_ttl_s * 1000;
    if (ami_webfix_new(&s->wf, &o)) {
        snprintf(err, errlen, "owners: %s", ami_error_last());
        return -1;
    }
    s->http.address = s->address;
    s->http.owners_count = s->owners_count;
    if (amid_http_start(&s->server, &s->http, s->wf, node)) {
        snprintf(err, errlen, "%s", amid_http_error());
        ami_webfix_free(s->wf);
        s->wf = NULL;
        if (!s->explicit_listen) {
            fprintf(stderr, "amid: warning: %s; running without the WebFIX API (set listen = ADDRESS:PORT)\n", err);
            return 0;
        }
        return -1;
    }
    fprintf(stderr, "amid: WebFIX API on http://%s%s%s:%d/ (%zu owner%s%s)\n", strchr(s->address, ':') ? "[" : "",
            s->address, strchr(s->address, ':') ? "]" : "", amid_http_port(s->server), s->owners_count,
            s->owners_count == 1 ? "" : "s", s->owners_count ? "" : ": open mode, loopback only");
    return 0;
}

void amid_http_teardown(amid_http_setup *s)
{
    amid_http_stop(s->server);
    s->server = NULL;
    ami_webfix_free(s->wf);
    s->wf = NULL;
    for (size_t i = 0; i < s->owners_count; i++) free(s->owners[i]);
    free(s->owners);
    s->owners = NULL;
    s->owners_count = 0;
}
