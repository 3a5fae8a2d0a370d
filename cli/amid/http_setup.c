/* amid's HTTP keys: parse, validate, and start/stop the WebFIX server. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "console.h"
#include "http_setup.h"
#include "log.h"

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

/* A whole (small) PEM file as text; NULL with errno set. */
static char *read_pem(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    int bad_read = ferror(f) || !buf;
    fclose(f);
    if (bad_read || !n) { free(buf); errno = bad_read ? EIO : EINVAL; return NULL; }
    return buf;
}

int amid_http_configure(amid_http_setup *s, amid_config *cfg, char *err, size_t errlen)
{
    amid_http_config def = AMID_HTTP_CONFIG_INIT;
    memset(s, 0, sizeof *s);
    s->http = def;
    snprintf(s->address, sizeof s->address, "%s", def.address);
    s->allow_viewers = 0;   /* a login by any other key gets nothing unless this is turned on */
    s->scope = AMI_WEBFIX_SCOPE_CLUSTER;
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

    amid_config_claim(cfg, "scope");
    const char *sc = amid_config_get(cfg, "scope");
    if (sc && *sc) {
        if (!strcmp(sc, "cluster")) s->scope = AMI_WEBFIX_SCOPE_CLUSTER;
        else if (!strcmp(sc, "node")) s->scope = AMI_WEBFIX_SCOPE_NODE;
        else return bad(err, errlen, "scope: expected cluster or node, got '%s'%s", sc, "");
    }

    /* console = off | DIR; by default the one next to the binary (build tree or $(PREFIX)/share/ami/console). */
    amid_config_claim(cfg, "console");
    const char *con = amid_config_get(cfg, "console");
    if (con && (!strcmp(con, "off") || !strcmp(con, "none"))) {
        s->console_dir[0] = '\0';
    } else if (con && *con) {
        char p[PATH_MAX + 16];
        struct stat st;
        snprintf(p, sizeof p, "%s/index.html", con);
        if (stat(p, &st) || !S_ISREG(st.st_mode))
            return bad(err, errlen, "console: no index.html in '%s' (give the console directory, or off)%s", con, "");
        if (!realpath(con, s->console_dir)) return bad(err, errlen, "console: cannot resolve '%s'%s", con, "");
    } else if (amid_console_find(s->console_dir, sizeof s->console_dir)) {
        s->console_dir[0] = '\0';
    }
    amid_config_claim(cfg, "codemirror");
    const char *cm = amid_config_get(cfg, "codemirror");
    snprintf(s->codemirror_dir, sizeof s->codemirror_dir, "%s", cm && *cm ? cm : AMID_CODEMIRROR_DIR);
    s->http.console_dir = s->console_dir[0] ? s->console_dir : NULL;
    s->http.codemirror_dir = s->codemirror_dir;

    /* tls_cert + tls_key: HTTPS (both or neither; read now so a bad path is a configuration error) */
    amid_config_claim(cfg, "tls_cert");
    amid_config_claim(cfg, "tls_key");
    const char *tc = amid_config_get(cfg, "tls_cert"), *tk = amid_config_get(cfg, "tls_key");
    if ((tc && *tc) != (tk && *tk)) return bad(err, errlen, "tls_cert and tls_key go together%s%s", "", "");
    if (tc && *tc) {
        if (!(s->tls_cert = read_pem(tc))) return bad(err, errlen, "tls_cert: cannot read '%s': %s", tc, strerror(errno));
        if (!(s->tls_key = read_pem(tk))) return bad(err, errlen, "tls_key: cannot read '%s': %s", tk, strerror(errno));
        s->http.tls_cert_pem = s->tls_cert;
        s->http.tls_key_pem = s->tls_key;
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
    o.scope = s->scope;
    o.store_uri = s->store_uri;
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
            amid_log("warn", "%s; running without the WebFIX API (set listen = ADDRESS:PORT)", err);
            return 0;
        }
        return -1;
    }
    amid_log("info", "WebFIX API on %s://%s%s%s:%d/ (%zu owner%s%s)", s->tls_cert ? "https" : "http",
             strchr(s->address, ':') ? "[" : "",
            s->address, strchr(s->address, ':') ? "]" : "", amid_http_port(s->server), s->owners_count,
            s->owners_count == 1 ? "" : "s", s->owners_count ? "" : ": open mode, loopback only");
    if (s->console_dir[0]) {
        char cmjs[PATH_MAX + 32];
        struct stat st;
        snprintf(cmjs, sizeof cmjs, "%s/lib/codemirror.js", s->codemirror_dir);
        amid_log("info", "console on http://%s%s%s:%d/%s", strchr(s->address, ':') ? "[" : "", s->address,
                strchr(s->address, ':') ? "]" : "", amid_http_port(s->server),
                s->owners_count ? " (log in with: amictl --url URL --key FILE console)" : "");
        if (stat(cmjs, &st))
            amid_log("warn", "no CodeMirror in %s (install libjs-codemirror); the console edits in plain text",
                    s->codemirror_dir);
    }
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
    free(s->tls_cert);
    free(s->tls_key);
    s->tls_cert = s->tls_key = NULL;
    s->owners_count = 0;
}
