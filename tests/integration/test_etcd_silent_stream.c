/* Claim: an etcd watch stream that goes silent without closing (a link cut
 * with no reset: the TCP connection looks open, what etcd sent is lost)
 * does not blind the store handle's change feed: once the link is back, a
 * commit made during the cut is reported by ami_store_watch within a few
 * seconds (the hub reopens a silent stream on a new connection), and a
 * watch that times out meanwhile vouches no further than what the stream
 * delivered (so a caller watching on from that point misses nothing).
 * The "link" is a proxy in this process between the handle and a real
 * one-member etcd: cut, it reads what either side sends and drops it. */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include "check.h"
#include "net_harness.h"

static char eps[256];
static int proxy_port, etcd_port;
static int cut_gen;            /* connections opened before the last cut stay black holes */
static int cut_now;            /* the link is down: new connections are refused, old ones swallow */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int quit;

typedef struct { int a, b, gen; } pair;

/* Forward bytes between a client connection and etcd, one thread per pair. */
static void *pump(void *arg)
{
    pair *p = arg;
    char buf[16384];
    for (;;) {
        pthread_mutex_lock(&mu);
        int stop = quit;
        pthread_mutex_unlock(&mu);
        if (stop) break;
        struct pollfd f[2] = { { p->a, POLLIN, 0 }, { p->b, POLLIN, 0 } };
        if (poll(f, 2, 50) <= 0) continue;
        pthread_mutex_lock(&mu);   /* after the wait: nothing read once the link is cut gets through */
        int swallow = p->gen < cut_gen;
        pthread_mutex_unlock(&mu);
        int done = 0;
        for (int i = 0; i < 2 && !done; i++) {
            if (!(f[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(i ? p->b : p->a, buf, sizeof buf);
            if (n <= 0) { done = 1; break; }
            if (!swallow && write(i ? p->a : p->b, buf, (size_t)n) != n) done = 1;
        }
        if (done) break;
    }
    close(p->a);
    close(p->b);
    free(p);
    return NULL;
}

static void *proxy_main(void *arg)
{
    int ls = *(int *)arg;
    for (;;) {
        pthread_mutex_lock(&mu);
        int stop = quit;
        pthread_mutex_unlock(&mu);
        if (stop) break;
        struct pollfd f = { ls, POLLIN, 0 };
        if (poll(&f, 1, 50) <= 0) continue;
        int c = accept(ls, NULL, NULL);
        if (c < 0) continue;
        pthread_mutex_lock(&mu);
        int down = cut_now, gen = cut_gen;
        pthread_mutex_unlock(&mu);
        int e = down ? -1 : socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons((uint16_t)etcd_port);
        if (e < 0 || connect(e, (struct sockaddr *)&a, sizeof a) != 0) {
            close(c);
            if (e >= 0) close(e);
            continue;
        }
        pair *p = malloc(sizeof *p);
        REQUIRE(p);
        p->a = c;
        p->b = e;
        p->gen = gen;
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, pump, p) == 0);
        pthread_detach(t);
    }
    close(ls);
    return NULL;
}

static void set_link(int down)
{
    pthread_mutex_lock(&mu);
    if (down) cut_gen++;
    cut_now = down;
    pthread_mutex_unlock(&mu);
}

static void silent_stream_recovers(void)
{
    char direct_uri[400], proxied_uri[400];
    snprintf(direct_uri, sizeof direct_uri, "etcd://%s/silent", eps);
    snprintf(proxied_uri, sizeof proxied_uri, "etcd://127.0.0.1:%d/silent", proxy_port);
    ami_store *direct = NULL, *viaproxy = NULL;
    REQUIRE(ami_store_open(&direct, direct_uri) == 0);
    REQUIRE(ami_store_open(&viaproxy, proxied_uri) == 0);
    json_t *prefix = ami_key_new("x", NULL), *k = ami_key_new("x", "one", NULL), *v = json_integer(1);
    ami_versionstamp seen, vs, landed, after;
    json_t *other = ami_key_new("y", NULL);
    CHECK_RC(ami_store_set(direct, other, v, 0, NULL));   /* a store with history: the handle's feed is its stream */
    json_decref(other);
    CHECK_RC(ami_store_current(viaproxy, seen));
    CHECK(seen[0]);
    /* the handle's stream is open and quiet */
    CHECK_INT(ami_store_watch(viaproxy, prefix, seen, 500, vs), AMI_ETIMEOUT);

    set_link(1);
    CHECK_RC(ami_store_set(direct, k, v, 0, landed));
    int rc = ami_store_watch(viaproxy, prefix, seen, 1000, vs);
    CHECK_INT(rc, AMI_ETIMEOUT);   /* what etcd sent is lost */
    /* and the timeout vouches for nothing the stream did not bring */
    CHECK(!vs[0] || strcmp(vs, landed) < 0);
    if (vs[0] && strcmp(vs, seen) > 0) memcpy(seen, vs, sizeof seen);

    set_link(0);
    int64_t t0 = ami_time_mono_ms();
    rc = ami_store_watch(viaproxy, prefix, seen, 15000, vs);
    int64_t took = ami_time_mono_ms() - t0;
    fprintf(stderr, "    the commit made during the cut was reported %lld ms after the link came back\n", (long long)took);
    CHECK_RC(rc);
    CHECK(strcmp(vs, landed) >= 0);
    CHECK(took < 10000);
    /* watching on from there: quiet, and the timeout now vouches past the commit */
    memcpy(after, vs, sizeof after);
    CHECK_INT(ami_store_watch(viaproxy, prefix, after, 300, vs), AMI_ETIMEOUT);
    CHECK(vs[0] && strcmp(vs, landed) >= 0);
    json_decref(prefix);
    json_decref(k);
    json_decref(v);
    ami_store_free(viaproxy);
    ami_store_free(direct);
}

int main(void)
{
    if (!check_etcd_start(eps, sizeof eps, 1)) return 0;
    const char *colon = strrchr(eps, ':');
    REQUIRE(colon);
    etcd_port = atoi(colon + 1);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    REQUIRE(ls >= 0 && bind(ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(ls, 16) == 0 &&
            getsockname(ls, (struct sockaddr *)&a, &l) == 0);
    proxy_port = ntohs(a.sin_port);
    REQUIRE(ami_init() >= 0);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, proxy_main, &ls) == 0);
    RUN(silent_stream_recovers);
    pthread_mutex_lock(&mu);
    quit = 1;
    pthread_mutex_unlock(&mu);
    pthread_join(t, NULL);
    ami_shutdown();
    return check_done();
}
