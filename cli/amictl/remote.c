/*
 * Remote mode: WebFIX over HTTP to amid (libcurl).  Logs in with
 * connectionNode signed by the --key PEM file and caches the session under
 * $XDG_CACHE_HOME/ami (directory 0700, file 0600); the key and the session
 * travel only in request bodies and headers, never on a command line.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "amictl.h"

int amictl_remote_call(json_t **out, int *status, const char *method, const json_t *body);
void amictl_remote_close(void);

static CURL *curl;
static char *session;          /* current session token (malloc) */
static char cache_file[PATH_MAX + 64];

typedef struct { char *p; size_t n; } membuf;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    membuf *b = ud;
    size_t add = size * nmemb;
    if (b->n + add > ((size_t)64 << 20)) return 0;   /* a runaway server */
    char *q = realloc(b->p, b->n + add + 1);
    if (!q) return 0;
    memcpy(q + b->n, ptr, add);
    b->p = q;
    b->n += add;
    b->p[b->n] = '\0';
    return add;
}

/* POST one WebFIX envelope; *out is the parsed response (or NULL), *status the HTTP status. */
static int post(json_t **out, int *status, const char *text, const char *sess)
{
    *out = NULL;
    *status = 0;
    if (!curl && !(curl = curl_easy_init())) return amictl_error("cannot initialise libcurl");
    membuf b = { NULL, 0 };
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char hdr[512];
    if (sess) {
        snprintf(hdr, sizeof hdr, "stels-session: %s", sess);
        h = curl_slist_append(h, hdr);
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, amictl_opts.url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(curl);
    explicit_bzero(hdr, sizeof hdr);
    curl_slist_free_all(h);
    if (cc != CURLE_OK) {
        free(b.p);
        return amictl_error("cannot reach %s: %s", amictl_opts.url, curl_easy_strerror(cc));
    }
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    *status = (int)code;
    json_error_t je;
    *out = b.p ? json_loads(b.p, JSON_DECODE_ANY, &je) : NULL;
    free(b.p);
    if (!*out) return amictl_error("%s answered HTTP %ld without JSON", amictl_opts.url, code);
    return AMICTL_OK;
}

/* ---- session cache ---- */

static int cache_path(void)
{
    if (cache_file[0]) return 0;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[PATH_MAX - 64];
    if (xdg && *xdg) snprintf(dir, sizeof dir, "%s/ami", xdg);
    else if (home && *home) snprintf(dir, sizeof dir, "%s/.cache/ami", home);
    else return -1;
    /* create the parents of a fresh cache directory, then ami itself private */
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    mkdir(dir, 0700);
    *slash = '/';
    if (mkdir(dir, 0700) && errno != EEXIST) return -1;
    chmod(dir, 0700);
    /* one session per (server, key file) */
    char who[PATH_MAX * 2 + 2], real[PATH_MAX], hash[9];
    if (!amictl_opts.key || !realpath(amictl_opts.key, real)) snprintf(real, sizeof real, "%s", "-");
    snprintf(who, sizeof who, "%s\n%s", amictl_opts.url, real);
    ami_worker_script_hash(hash, who, strlen(who));
    snprintf(cache_file, sizeof cache_file, "%s/session-%s.json", dir, hash);
    return 0;
}

static void cache_load(void)
{
    if (cache_path()) return;
    json_error_t je;
    json_t *j = json_load_file(cache_file, 0, &je);
    const char *s = json_string_value(json_object_get(j, "session"));
    json_int_t exp = json_integer_value(json_object_get(j, "expiresAt"));
    if (s && (exp == 0 || exp > (json_int_t)ami_time_now_ms() + 5000)) session = strdup(s);
    json_decref(j);
}

#ifdef AMI_WEBFIX_H
static void cache_store(const char *sess, json_int_t expires_at)
{
    if (cache_path()) return;
    int fd = open(cache_file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    if (fd < 0) return;
    fchmod(fd, 0600);
    json_t *j = json_pack("{s:s,s:s,s:I}", "url", amictl_opts.url, "session", sess, "expiresAt", expires_at);
    char *text = json_dumps(j, JSON_COMPACT);
    if (text && write(fd, text, strlen(text)) < 0) { /* a cache that cannot be written only costs a login */ }
    free(text);
    json_decref(j);
    close(fd);
}
#endif

static void cache_drop(void)
{
    if (!cache_path()) unlink(cache_file);
    free(session);
    session = NULL;
}

/* connectionNode with a fresh signature from the key file: *res is the 200 answer {session, expiresAt, role}. */
static int signed_login(json_t **res)
{
    *res = NULL;
    if (!amictl_opts.key) return amictl_error("%s needs a login: give --key FILE (or AMI_KEY)", amictl_opts.url);
#ifdef AMI_WEBFIX_H
    char *text = NULL;
    if (ami_webfix_sign_login(&text, amictl_opts.key)) return amictl_fail("login");
    int status = 0;
    int rc = post(res, &status, text, NULL);
    ami_free(text);
    if (rc) return rc;
    if (status != 200 || !json_string_value(json_object_get(*res, "session"))) {
        json_t *err = json_object_get(*res, "error");
        const char *msg = json_is_object(err) ? json_string_value(json_object_get(err, "message")) : json_string_value(err);
        amictl_error("login refused by %s: %s (HTTP %d)", amictl_opts.url, msg ? msg : "no session", status);
        json_decref(*res);
        *res = NULL;
        return AMICTL_FAIL;
    }
    return AMICTL_OK;
#else
    return amictl_error("remote login needs libami built with WebFIX support");
#endif
}

static int login(void)
{
    json_t *res = NULL;
    int rc = signed_login(&res);
    if (rc) return rc;
    const char *s = json_string_value(json_object_get(res, "session"));
    session = strdup(s);
#ifdef AMI_WEBFIX_H
    cache_store(s, json_integer_value(json_object_get(res, "expiresAt")));
#endif
    json_decref(res);
    return AMICTL_OK;
}

int amictl_remote_new_session(json_t **out)
{
    return signed_login(out);
}

int amictl_remote_post(json_t **out, int *status, const char *method, const char *sess)
{
    json_t *env = json_pack("{s:s,s:s,s:[],s:{}}", "webfix", "1.0", "method", method, "params", "body");
    char *text = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    int rc = text ? post(out, status, text, sess) : amictl_error("out of memory");
    free(text);
    return rc;
}

int amictl_remote_call(json_t **out, int *status, const char *method, const json_t *body)
{
    if (!session) cache_load();
    if (!session && amictl_opts.key && login()) return AMICTL_FAIL;
    json_t *env = json_pack("{s:s,s:s,s:[],s:O}", "webfix", "1.0", "method", method, "params", "body", body);
    char *text = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    int rc = post(out, status, text, session);
    if (rc == AMICTL_OK && *status == 401 && amictl_opts.key) {
        /* the cached session expired or the server restarted: log in once more */
        json_decref(*out);
        *out = NULL;
        cache_drop();
        rc = login();
        if (!rc) rc = post(out, status, text, session);
    }
    free(text);
    return rc;
}

void amictl_remote_close(void)
{
    if (curl) curl_easy_cleanup(curl);
    curl = NULL;
    free(session);
    session = NULL;
}
