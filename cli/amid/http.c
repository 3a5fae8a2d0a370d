/*
 * amid's HTTP layer over libmicrohttpd's internal epoll thread pool.  Request
 * bodies are collected per connection (413 past the cap), handed to the
 * transport-free WebFIX dispatcher, and answered with its status and JSON.
 * Log streams are callback responses that suspend while there is nothing to
 * send; one pump thread polls for new lines and resumes them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <microhttpd.h>
#include "http.h"
#include "console.h"

static __thread char http_err[256];

const char *amid_http_error(void) { return http_err; }

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(http_err, sizeof http_err, fmt, ap);
    va_end(ap);
    return -1;
}

/* Routes and statuses counted for /metrics. */
enum { R_WEBFIX, R_HEALTHZ, R_METRICS, R_STREAM, R_CONSOLE, R_OTHER, N_ROUTES };
static const char *route_names[N_ROUTES] = { "webfix", "healthz", "metrics", "logstream", "console", "other" };
static const int http_statuses[] = { 200, 207, 400, 401, 403, 404, 405, 409, 413, 415, 500, 503 };
#define N_HSTATUS (sizeof http_statuses / sizeof http_statuses[0])

typedef struct stream {
    pthread_mutex_t lock;
    struct MHD_Connection *conn;
    char sid[256];
    int64_t last_ts;
    char *pending;          /* bytes not yet handed to MHD */
    size_t plen, pcap;
    int suspended, closed, refs;
    int64_t last_send_ms;
    struct stream *next;
} stream;

struct amid_http {
    struct MHD_Daemon *daemon;
    ami_webfix *wf;
    ami_node *node;
    amid_http_config cfg;
    int port;
    atomic_int stopping;
    atomic_ulong counts[N_ROUTES][N_HSTATUS];
    pthread_mutex_t streams_lock;
    stream *streams;
    pthread_t pump;
    int pump_started;
    pthread_mutex_t pump_mu;      /* with pump_cv: the pump's nap, cut short by amid_http_stop */
    pthread_cond_t pump_cv;       /* CLOCK_MONOTONIC */
};

/* Per-request state kept in *con_cls. */
typedef struct request {
    ami_buf body;
    int too_large;
} request;

static void count(amid_http *h, int route, unsigned int status)
{
    for (size_t i = 0; i < N_HSTATUS; i++)
        if ((unsigned int)http_statuses[i] == status) atomic_fetch_add(&h->counts[route][i], 1);
}

static enum MHD_Result reply(amid_http *h, struct MHD_Connection *c, int route, unsigned int status,
                             const char *type, const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    count(h, route, status);
    return ok;
}

static enum MHD_Result reply_json_error(amid_http *h, struct MHD_Connection *c, int route, unsigned int status,
                                        const char *msg)
{
    json_t *j = json_pack("{s:s}", "error", msg);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    enum MHD_Result ok = reply(h, c, route, status, "application/json", s ? s : "{}", s ? strlen(s) : 2);
    free(s);
    return ok;
}

/* ---- log streams ---- */

static void stream_unref_locked(stream *s, int *free_it)
{
    *free_it = --s->refs == 0;
}

static void stream_free(stream *s)
{
    pthread_mutex_destroy(&s->lock);
    free(s->pending);
    free(s);
}

static int stream_append(stream *s, const char *data, size_t len)
{
    if (s->plen + len > s->pcap) {
        size_t cap = s->pcap ? s->pcap : 4096;
        while (cap < s->plen + len) cap *= 2;
        char *p = realloc(s->pending, cap);
        if (!p) return -1;
        s->pending = p;
        s->pcap = cap;
    }
    memcpy(s->pending + s->plen, data, len);
    s->plen += len;
    return 0;
}

static int stream_puts(stream *s, const char *text) { return stream_append(s, text, strlen(text)); }

/* Append lines (array of log objects) as SSE events; remembers the newest ts. */
static void stream_add_lines(stream *s, json_t *lines)
{
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line) {
        char *txt = json_dumps(line, JSON_COMPACT);
        if (!txt) continue;
        /* the id is the line's ts, so a reconnecting EventSource resumes after it (Last-Event-ID) */
        json_int_t ts = json_integer_value(json_object_get(line, "ts"));
        char id[40];
        snprintf(id, sizeof id, "id: %lld\n", (long long)ts);
        stream_puts(s, id);
        stream_puts(s, "data: ");
        stream_puts(s, txt);
        stream_puts(s, "\n\n");
        free(txt);
        if (ts > s->last_ts) s->last_ts = ts;
    }
}

static int64_t now_ms(void) { return ami_time_mono_ms(); }

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream *s = cls;
    (void)pos;
    pthread_mutex_lock(&s->lock);
    if (s->plen) {
        size_t n = s->plen < max ? s->plen : max;
        memcpy(buf, s->pending, n);
        memmove(s->pending, s->pending + n, s->plen - n);
        s->plen -= n;
        s->last_send_ms = now_ms();
        pthread_mutex_unlock(&s->lock);
        return (ssize_t)n;
    }
    if (s->closed) {   /* the server is stopping */
        pthread_mutex_unlock(&s->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    /* Nothing to send: park the connection until the pump has data. */
    s->suspended = 1;
    MHD_suspend_connection(s->conn);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void stream_done(void *cls)
{
    stream *s = cls;
    int free_it;
    pthread_mutex_lock(&s->lock);
    s->closed = 1;
    stream_unref_locked(s, &free_it);
    pthread_mutex_unlock(&s->lock);
    if (free_it) stream_free(s);
}

static void *pump_main(void *arg)
{
    amid_http *h = arg;
    int64_t keepalive_ms = 10000;
    for (;;) {
        /* a nap of poll_ms that a stop ends at once (amid's shutdown, and so the
         * release of this node's leases, never waits for a poll period) */
        pthread_mutex_lock(&h->pump_mu);
        if (!atomic_load(&h->stopping)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += (long)h->cfg.poll_ms * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&h->pump_cv, &h->pump_mu, &ts);
        }
        int stop = atomic_load(&h->stopping);
        pthread_mutex_unlock(&h->pump_mu);
        if (stop) break;
        pthread_mutex_lock(&h->streams_lock);
        stream **pp = &h->streams;
        while (*pp) {
            stream *s = *pp;
            pthread_mutex_lock(&s->lock);
            if (s->closed) {
                int free_it;
                *pp = s->next;
                stream_unref_locked(s, &free_it);
                pthread_mutex_unlock(&s->lock);
                if (free_it) stream_free(s);
                continue;
            }
            int64_t after = s->last_ts;
            pthread_mutex_unlock(&s->lock);
            json_t *lines = NULL;
            ami_webfix_logs(&lines, h->wf, s->sid, after, 1000);
            pthread_mutex_lock(&s->lock);
            if (lines) stream_add_lines(s, lines);
            json_decref(lines);
            if (!s->plen && now_ms() - s->last_send_ms > keepalive_ms) stream_puts(s, ": keepalive\n\n");
            int resume = s->suspended && s->plen;
            if (resume) s->suspended = 0;
            pthread_mutex_unlock(&s->lock);
            if (resume) MHD_resume_connection(s->conn);
            pp = &s->next;
        }
        pthread_mutex_unlock(&h->streams_lock);
    }
    return NULL;
}

static enum MHD_Result serve_stream(amid_http *h, struct MHD_Connection *c)
{
    const char *sid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sid");
    const char *follow = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "follow");
    const char *session = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "stels-session");
    const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
    if (!session) session = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "session");
    ami_webfix_role role;
    if (ami_webfix_session_check(&role, h->wf, session))
        return reply_json_error(h, c, R_STREAM, 401, session ? "Unauthorized: invalid or expired session"
                                                             : "Unauthorized: stels-session header required");
    if (!sid || !*sid || strlen(sid) >= sizeof ((stream *)0)->sid)
        return reply_json_error(h, c, R_STREAM, 400, "Invalid request: sid is required");
    /* the worker must exist: a unique prefix resolves to it, an unknown or ambiguous one is an error */
    char *full = NULL;
    {
        static const char req[] = "{\"webfix\":\"1.0\",\"method\":\"listWorkers\"}";
        ami_buf resp = AMI_BUF_INIT;
        int st = 0;
        json_t *all = NULL;
        if (!ami_webfix_handle(h->wf, req, sizeof req - 1, session, &st, &resp) && st == 200)
            all = json_loadb(resp.ptr, resp.size, 0, NULL);
        ami_buf_dispose(&resp);
        int rc = all ? ami_registry_resolve_in(&full, all, sid) : AMI_EIO;
        json_decref(all);
        if (rc) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", ami_error_last()[0] ? ami_error_last() : "cannot list workers");
            return reply_json_error(h, c, R_STREAM, rc == AMI_ENOTFOUND ? 404 : rc == AMI_EAMBIGUOUS ? 400 : 500, msg);
        }
    }
    sid = full;
    int do_follow = follow && (!strcmp(follow, "true") || !strcmp(follow, "1"));
    long limit = lim ? strtol(lim, NULL, 10) : 100;
    if (limit < 0 || limit > 100000) limit = 100;

    stream *s = calloc(1, sizeof *s);
    if (!s) { ami_free(full); return MHD_NO; }
    pthread_mutex_init(&s->lock, NULL);
    snprintf(s->sid, sizeof s->sid, "%s", sid);
    ami_free(full);
    sid = s->sid;
    s->conn = c;
    s->last_send_ms = now_ms();
    const char *last_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    int64_t after = last_id ? strtoll(last_id, NULL, 10) : 0;
    s->last_ts = after > 0 ? after : 0;
    json_t *lines = NULL;
    if (!ami_webfix_logs(&lines, h->wf, sid, s->last_ts, after > 0 ? 0 : (size_t)limit)) stream_add_lines(s, lines);
    json_decref(lines);

    if (!do_follow) {
        enum MHD_Result ok = reply(h, c, R_STREAM, 200, "text/event-stream", s->pending ? s->pending : "", s->plen);
        stream_free(s);
        return ok;
    }
    stream_puts(s, ": stream open\n\n");   /* lets the client see the headers at once */
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_done);
    if (!r) {
        stream_free(s);
        return MHD_NO;
    }
    s->refs = 2;   /* the response and the pump's list */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    pthread_mutex_lock(&h->streams_lock);
    s->next = h->streams;
    h->streams = s;
    pthread_mutex_unlock(&h->streams_lock);
    enum MHD_Result ok = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    count(h, R_STREAM, 200);
    return ok;
}

/* ---- other routes ---- */

static enum MHD_Result serve_metrics(amid_http *h, struct MHD_Connection *c)
{
    ami_buf out = AMI_BUF_INIT;
    if (ami_webfix_metrics(h->wf, &out)) {
        ami_buf_dispose(&out);
        return reply_json_error(h, c, R_METRICS, 500, "Internal server error");
    }
    count(h, R_METRICS, 200);   /* this scrape counts itself */
    ami_buf_puts(&out, "# HELP amid_http_requests_total HTTP requests by route and status.\n"
                       "# TYPE amid_http_requests_total counter\n");
    for (int r = 0; r < N_ROUTES; r++)
        for (size_t i = 0; i < N_HSTATUS; i++) {
            unsigned long n = atomic_load(&h->counts[r][i]);
            if (n)
                ami_buf_printf(&out, "amid_http_requests_total{route=\"%s\",status=\"%d\"} %lu\n", route_names[r],
                               http_statuses[i], n);
        }
    struct MHD_Response *resp = MHD_create_response_from_buffer(out.size, out.ptr ? out.ptr : "", MHD_RESPMEM_MUST_COPY);
    ami_buf_dispose(&out);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result ok = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result serve_webfix(amid_http *h, struct MHD_Connection *c, request *rq)
{
    if (rq->too_large) {
        char msg[96];
        snprintf(msg, sizeof msg, "Request body too large (limit %zu bytes)", h->cfg.max_body);
        return reply_json_error(h, c, R_WEBFIX, 413, msg);
    }
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    /* application/json only: a cross-site form post cannot send it without a preflight. */
    if (!type || strncasecmp(type, "application/json", 16) || (type[16] && type[16] != ';' && type[16] != ' '))
        return reply_json_error(h, c, R_WEBFIX, 415, "Content-Type must be application/json");
    const char *session = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "stels-session");
    ami_buf out = AMI_BUF_INIT;
    int status = 500;
    if (ami_webfix_handle(h->wf, rq->body.ptr ? rq->body.ptr : "", rq->body.size, session, &status, &out)) {
        ami_buf_dispose(&out);
        return reply_json_error(h, c, R_WEBFIX, 500, "Internal server error");
    }
    /* Hand the text to MHD without another copy (responses can be large). */
    size_t len = out.size;
    char *text = ami_buf_detach(&out);
    struct MHD_Response *r = text ? MHD_create_response_from_buffer_with_free_callback(len, text, ami_free) : NULL;
    if (!r) {
        ami_free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned int)status, r);
    MHD_destroy_response(r);
    count(h, R_WEBFIX, (unsigned int)status);
    return ok;
}

/* The web console's static files (console.c). */
static enum MHD_Result serve_console(amid_http *h, struct MHD_Connection *c, const char *url)
{
    unsigned int status = 404;
    struct MHD_Response *r = amid_console_response(&status, h->cfg.console_dir, h->cfg.codemirror_dir, url);
    if (!r) return MHD_NO;
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    count(h, R_CONSOLE, status);
    return ok;
}

/* Open mode serves only loopback clients by name: a Host that is not a loopback
 * literal or localhost is a DNS-rebinding page posing as same-origin. */
static int host_allowed(const char *host)
{
    if (!host) return 1;   /* HTTP/1.0 clients */
    char name[300];
    snprintf(name, sizeof name, "%s", host);
    char *end = name[0] == '[' ? strchr(name, ']') : strrchr(name, ':');
    if (name[0] == '[') {
        if (!end) return 0;
        *end = '\0';
        memmove(name, name + 1, strlen(name));
    } else if (end) {
        *end = '\0';
    }
    if (!strcasecmp(name, "localhost") || !strcmp(name, "::1")) return 1;
    struct in_addr a;
    return inet_pton(AF_INET, name, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    amid_http *h = cls;
    (void)version;
    if (!h->cfg.owners_count && !*con_cls &&
        !host_allowed(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
        return reply_json_error(h, c, R_OTHER, 403, "Forbidden: Host not allowed (open mode serves loopback names only)");
    int is_post = !strcmp(method, MHD_HTTP_METHOD_POST);
    if (is_post && !strcmp(url, "/")) {
        request *rq = *con_cls;
        if (!rq) {
            rq = calloc(1, sizeof *rq);
            if (!rq) return MHD_NO;
            *con_cls = rq;
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
            if (cl && strtoull(cl, NULL, 10) > h->cfg.max_body) {
                /* Answer at once instead of reading a body we will refuse. */
                rq->too_large = 1;
                return serve_webfix(h, c, rq);
            }
            return MHD_YES;
        }
        if (*upload_data_size) {
            if (!rq->too_large) {
                if (rq->body.size + *upload_data_size > h->cfg.max_body) {
                    rq->too_large = 1;
                    ami_buf_dispose(&rq->body);
                } else if (ami_buf_put(&rq->body, upload_data, *upload_data_size)) {
                    return MHD_NO;
                }
            }
            *upload_data_size = 0;
            return MHD_YES;
        }
        return serve_webfix(h, c, rq);
    }
    /* Other routes take no body; wait for the last call before answering. */
    if (!*con_cls) {
        *con_cls = calloc(1, sizeof(request));
        if (!*con_cls) return MHD_NO;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    int is_get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
    if (!strcmp(url, "/healthz")) {
        if (!is_get) return reply_json_error(h, c, R_HEALTHZ, 405, "Method not allowed");
        json_t *j = json_pack("{s:s,s:s,s:s}", "status", "ok", "version", ami_version(), "nid", ami_webfix_nid(h->wf));
        char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!body) return MHD_NO;
        enum MHD_Result ok = reply(h, c, R_HEALTHZ, 200, "application/json", body, strlen(body));
        free(body);
        return ok;
    }
    if (!strcmp(url, "/metrics")) {
        if (!is_get) return reply_json_error(h, c, R_METRICS, 405, "Method not allowed");
        return serve_metrics(h, c);
    }
    if (!strcmp(url, "/api/worker/logs/stream")) {
        if (!is_get) return reply_json_error(h, c, R_STREAM, 405, "Method not allowed");
        return serve_stream(h, c);
    }
    if (is_get && h->cfg.console_dir) return serve_console(h, c, url);
    if (!strcmp(url, "/")) return reply_json_error(h, c, R_WEBFIX, 405, "Method not allowed: use POST");
    return reply_json_error(h, c, R_OTHER, 404, "Not found");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *rq = *con_cls;
    if (!rq) return;
    ami_buf_dispose(&rq->body);
    free(rq);
    *con_cls = NULL;
}

/* By family and address bytes (no sockaddr casts: they trip strict aliasing). */
static int is_loopback(int family, const void *addr)
{
    if (family == AF_INET) return (ntohl(((const struct in_addr *)addr)->s_addr) >> 24) == 127;
    if (family == AF_INET6) {
        const struct in6_addr *a = addr;
        if (IN6_IS_ADDR_LOOPBACK(a)) return 1;
        if (IN6_IS_ADDR_V4MAPPED(a)) return a->s6_addr[12] == 127;
    }
    return 0;
}

int amid_http_address_is_loopback(const char *address)
{
    if (!address || !*address || !strcmp(address, "localhost")) return 1;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, address, &a4) == 1) return is_loopback(AF_INET, &a4);
    if (inet_pton(AF_INET6, address, &a6) == 1) return is_loopback(AF_INET6, &a6);
    return -1;
}

int amid_http_start(amid_http **out, const amid_http_config *cfg, ami_webfix *wf, ami_node *node)
{
    amid_http_config def = AMID_HTTP_CONFIG_INIT;
    if (!out || !wf) return fail("amid_http_start: out and wf are required");
    *out = NULL;
    amid_http_config c = cfg ? *cfg : def;
    if (!c.address || !*c.address || !strcmp(c.address, "localhost")) c.address = "127.0.0.1";
    if (c.threads <= 0) c.threads = def.threads;
    if (!c.connection_timeout_s) c.connection_timeout_s = def.connection_timeout_s;
    if (!c.max_connections) c.max_connections = def.max_connections;
    if (!c.max_body || c.max_body > AMI_WEBFIX_MAX_BODY) c.max_body = AMI_WEBFIX_MAX_BODY;
    if (c.poll_ms <= 0) c.poll_ms = def.poll_ms;
    if (c.port < 0 || c.port > 65535) return fail("invalid port %d", c.port);

    /* Build the listen address in the sockaddr type of its family. */
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    const struct sockaddr *sa;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    int loop;
    if (inet_pton(AF_INET, c.address, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((uint16_t)c.port);
        sa = (const struct sockaddr *)&v4;
        loop = is_loopback(AF_INET, &v4.sin_addr);
    } else if (inet_pton(AF_INET6, c.address, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((uint16_t)c.port);
        sa = (const struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
        loop = is_loopback(AF_INET6, &v6.sin6_addr);
    } else {
        return fail("invalid listen address \"%s\" (use an IPv4 or IPv6 literal)", c.address);
    }
    if (!c.owners_count && !loop)
        return fail("refusing to listen on non-loopback address %s without owners configured "
                    "(add owner keys, see `amictl keygen`)", c.address);

    amid_http *h = calloc(1, sizeof *h);
    if (!h) return fail("out of memory");
    h->wf = wf;
    h->node = node;
    h->cfg = c;
    pthread_mutex_init(&h->streams_lock, NULL);
    pthread_mutex_init(&h->pump_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->pump_cv, &ca);
    pthread_condattr_destroy(&ca);
    /* HTTPS when a certificate and key are given (libmicrohttpd's GnuTLS support) */
    struct MHD_OptionItem tls[] = {
        { c.tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)c.tls_cert_pem },
        { MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)c.tls_key_pem },
        { MHD_OPTION_END, 0, NULL },
    };
    if (c.tls_cert_pem) flags |= MHD_USE_TLS;
    h->daemon = MHD_start_daemon(flags, (uint16_t)c.port, NULL, NULL, on_request, h,
                                 MHD_OPTION_SOCK_ADDR, sa,
                                 MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)c.threads,
                                 MHD_OPTION_CONNECTION_TIMEOUT, c.connection_timeout_s,
                                 MHD_OPTION_CONNECTION_LIMIT, c.max_connections,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                 MHD_OPTION_ARRAY, tls,
                                 MHD_OPTION_END);
    if (!h->daemon) {
        pthread_mutex_destroy(&h->streams_lock);
        pthread_cond_destroy(&h->pump_cv);
        pthread_mutex_destroy(&h->pump_mu);
        free(h);
        return fail("cannot listen on %s:%d (address in use or not available%s)", c.address, c.port,
                    c.tls_cert_pem ? ", or the TLS certificate and key do not match" : "");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : c.port;
    if (pthread_create(&h->pump, NULL, pump_main, h)) {
        amid_http_stop(h);
        return fail("cannot start the log stream thread");
    }
    h->pump_started = 1;
    *out = h;
    return 0;
}

int amid_http_port(const amid_http *http) { return http ? http->port : 0; }

void amid_http_stop(amid_http *h)
{
    if (!h) return;
    pthread_mutex_lock(&h->pump_mu);
    atomic_store(&h->stopping, 1);
    pthread_cond_broadcast(&h->pump_cv);
    pthread_mutex_unlock(&h->pump_mu);
    if (h->pump_started) pthread_join(h->pump, NULL);
    /* Suspended connections must be resumed before the daemon stops. */
    pthread_mutex_lock(&h->streams_lock);
    for (stream *s = h->streams; s; s = s->next) {
        pthread_mutex_lock(&s->lock);
        int resume = s->suspended;
        s->suspended = 0;
        s->closed = 1;
        pthread_mutex_unlock(&s->lock);
        if (resume) MHD_resume_connection(s->conn);
    }
    pthread_mutex_unlock(&h->streams_lock);
    MHD_stop_daemon(h->daemon);
    stream *s = h->streams;
    while (s) {
        stream *next = s->next;
        int free_it;
        pthread_mutex_lock(&s->lock);
        stream_unref_locked(s, &free_it);
        pthread_mutex_unlock(&s->lock);
        if (free_it) stream_free(s);
        s = next;
    }
    pthread_mutex_destroy(&h->streams_lock);
    pthread_cond_destroy(&h->pump_cv);
    pthread_mutex_destroy(&h->pump_mu);
    free(h);
}
