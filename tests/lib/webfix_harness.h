/*
 * Test harness for the WebFIX HTTP layer: starts amid's HTTP layer
 * (cli/amid/http.c, compiled into the test) over a real SQLite store on a
 * free loopback port, in this process or in a child process (the test
 * binary re-executed with --serve), and a small libcurl client.
 * Header-only: include it from one test program.
 */
#ifndef AMI_TEST_WEBFIX_HARNESS_H
#define AMI_TEST_WEBFIX_HARNESS_H
#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "../../cli/amid/http.c"
#include "../../cli/amid/console.c"

typedef struct hs {
    ami_store *store, *local;
    ami_webfix *wf;
    amid_http *http;
    int port;
} hs;

/* Start a server on `db` with `owners` (NULL-terminated list, may be NULL). */
static __attribute__((unused)) void hs_start_opts(hs *s, const char *db, const char *const *owners, int64_t ttl_ms, int allow_viewers,
                          const char *nid)
{
    memset(s, 0, sizeof *s);
    char local[600];
    snprintf(local, sizeof local, "%s.local", db);
    if (ami_store_open(&s->store, db) || ami_store_open(&s->local, local)) {
        /* say whether the test directory is still there (a flaky failure was seen once) */
        fprintf(stderr, "cannot open %s: %s (test dir %s %s)\n", db, ami_error_last(), check_tmpdir(),
                access(check_tmpdir(), F_OK) ? "is GONE" : "exists");
        exit(1);
    }
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = s->store;
    o.local_store = s->local;
    o.nid = nid ? nid : "s-0001";
    size_t n = 0;
    while (owners && owners[n]) n++;
    o.owners = owners;
    o.owners_count = n;
    o.allow_viewers = allow_viewers;
    if (ttl_ms) o.session_ttl_ms = ttl_ms;
    REQUIRE(ami_webfix_new(&s->wf, &o) == 0);
    amid_http_config c = AMID_HTTP_CONFIG_INIT;
    c.port = 0;
    c.owners_count = n;
    c.threads = 2;
    if (amid_http_start(&s->http, &c, s->wf, NULL)) {
        fprintf(stderr, "amid_http_start: %s\n", amid_http_error());
        exit(1);
    }
    s->port = amid_http_port(s->http);
}

static __attribute__((unused)) void hs_start(hs *s, const char *db, const char *const *owners)
{
    hs_start_opts(s, db, owners, 0, 1, NULL);
}

static __attribute__((unused)) void hs_stop(hs *s)
{
    amid_http_stop(s->http);
    ami_webfix_free(s->wf);
    ami_store_free(s->local);
    ami_store_free(s->store);
    memset(s, 0, sizeof *s);
}

/* Child mode: `prog --serve DB [OWNER]` serves until SIGTERM, printing its port first. */
static volatile sig_atomic_t hs_term;
static __attribute__((unused)) void hs_on_term(int sig) { (void)sig; hs_term = 1; }

static __attribute__((unused)) int hs_child_main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "--serve")) return -1;
    const char *owners[2] = { argc > 3 ? argv[3] : NULL, NULL };
    signal(SIGTERM, hs_on_term);
    hs s;
    hs_start(&s, argv[2], owners);
    printf("%d\n", s.port);
    fflush(stdout);
    while (!hs_term) usleep(20000);
    hs_stop(&s);
    return 0;
}

/* Start a child server process; returns its pid and sets *port. */
static __attribute__((unused)) pid_t hs_spawn(const char *self, const char *db, const char *owner, int *port)
{
    int fd[2];
    REQUIRE(pipe(fd) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        execl(self, self, "--serve", db, owner, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    REQUIRE(f && fscanf(f, "%d", port) == 1);
    fclose(f);
    return pid;
}

static __attribute__((unused)) void hs_kill(pid_t pid)
{
    int st;
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}

/* ---- client ---- */

static __attribute__((unused)) size_t hc_write(char *p, size_t sz, size_t n, void *ud)
{
    ami_buf_put(ud, p, sz * n);
    return sz * n;
}

/* One HTTP request: method "GET"/"POST"; returns the status (0 on transport failure); body text into *out. */
static __attribute__((unused)) long hc_request(int port, const char *method, const char *path, const char *session, const char *ctype,
                       const char *body, size_t len, ami_buf *out)
{
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct curl_slist *hdr = NULL;
    char h1[200];
    if (session) {
        snprintf(h1, sizeof h1, "stels-session: %s", session);
        hdr = curl_slist_append(hdr, h1);
    }
    if (ctype) {
        char h2[200];
        snprintf(h2, sizeof h2, "Content-Type: %s", ctype);
        hdr = curl_slist_append(hdr, h2);
    }
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hc_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (!strcmp(method, "POST")) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else fprintf(stderr, "curl %s %s: %s\n", method, path, curl_easy_strerror(rc));
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return status;
}

/* POST a WebFIX request (JSON text); *resp is the parsed reply (caller decrefs; NULL if not JSON). */
static __attribute__((unused)) long hc_call(int port, const char *session, const char *req, json_t **resp)
{
    ami_buf out = AMI_BUF_INIT;
    long st = hc_request(port, "POST", "/", session, "application/json", req, strlen(req), &out);
    if (resp) *resp = out.ptr ? json_loads(out.ptr, JSON_DECODE_ANY, NULL) : NULL;
    ami_buf_dispose(&out);
    return st;
}

/* Build and POST {"webfix":"1.0","method":M,"body":BODY}; body is JSON text or NULL. */
static __attribute__((unused)) long hc_method(int port, const char *session, const char *method, const char *body, json_t **resp)
{
    char *req = malloc(strlen(method) + (body ? strlen(body) : 0) + 64);
    sprintf(req, "{\"webfix\":\"1.0\",\"method\":\"%s\",\"params\":[]%s%s}", method, body ? ",\"body\":" : "",
            body ? body : "");
    long st = hc_call(port, session, req, resp);
    free(req);
    return st;
}

/* Log in with a PEM key; returns the session (malloc'd) and sets *role. */
static __attribute__((unused)) char *hc_login(int port, const char *keyfile, char *role, size_t rolelen)
{
    char *req = NULL;
    REQUIRE(ami_webfix_sign_login(&req, keyfile) == 0);
    json_t *resp = NULL;
    long st = hc_call(port, NULL, req, &resp);
    ami_free(req);
    if (st != 200) {
        fprintf(stderr, "login failed: %ld\n", st);
        json_decref(resp);
        return NULL;
    }
    char *s = strdup(json_string_value(json_object_get(resp, "session")));
    if (role) snprintf(role, rolelen, "%s", json_string_value(json_object_get(resp, "role")));
    json_decref(resp);
    return s;
}

/* Generate a key in the test dir; returns the public key hex (static buffer per name). */
static __attribute__((unused)) void hc_keygen(const char *name, char pub[AMI_WEBFIX_PUBKEY_HEX + 1])
{
    REQUIRE(ami_webfix_keygen(pub, check_path(name)) == 0);
}

#endif
