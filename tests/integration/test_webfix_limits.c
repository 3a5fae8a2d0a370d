/* Claim: the HTTP layer enforces its connection limits and keeps serving under
 * bad input: garbage and half-sent requests on raw sockets, an idle connection
 * closed after the per-connection timeout, a connection beyond the cap not
 * served while the cap is held, and served once it is released. */
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include "webfix_harness.h"

static amid_http *h;
static ami_webfix *wf;
static ami_store *store;
static int port;

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    return fd;
}

/* Wait up to ms for the peer to close (read returns 0 or an error). */
static int closed_within(int fd, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    int64_t end = ami_time_mono_ms() + ms;
    char buf[4096];
    while (ami_time_mono_ms() < end) {
        if (poll(&p, 1, 50) > 0) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return 1;
        }
    }
    return 0;
}

static int healthy(void)
{
    ami_buf out = AMI_BUF_INIT;
    long st = hc_request(port, "GET", "/healthz", NULL, NULL, NULL, 0, &out);
    ami_buf_dispose(&out);
    return st == 200;
}

static void garbage(void)
{
    static const char *junk[] = {
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",                 /* a TLS hello */
        "GARBAGE / HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"webfix\"",
    };
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++) {
        int fd = dial();
        CHECK(send(fd, junk[i], strlen(junk[i]), MSG_NOSIGNAL) > 0);
        usleep(20000);
        close(fd);
        CHECK(healthy());
    }
    /* A header block far over the connection's memory. */
    int fd = dial();
    char *big = malloc(200000);
    memset(big, 'a', 200000);
    memcpy(big, "GET /healthz HTTP/1.1\r\nX-Big: ", 30);
    send(fd, big, 200000, MSG_NOSIGNAL);
    free(big);
    CHECK(closed_within(fd, 3000));
    close(fd);
    CHECK(healthy());
}

static void idle_timeout(void)
{
    int fd = dial();
    int64_t t0 = ami_time_mono_ms();
    CHECK(closed_within(fd, 6000));   /* timeout is 1 s */
    fprintf(stderr, "  idle connection closed after %lld ms\n", (long long)(ami_time_mono_ms() - t0));
    close(fd);
    /* A half-sent request is cut off too. */
    fd = dial();
    send(fd, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{", 51, MSG_NOSIGNAL);
    CHECK(closed_within(fd, 6000));
    close(fd);
    CHECK(healthy());
}

/* Wait up to ms for bytes from the peer; 1 when some arrived. */
static int data_within(int fd, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    char buf[512];
    if (poll(&p, 1, ms) <= 0) return 0;
    return recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0;
}

static void connection_cap(void)
{
    /* Hold the cap (8) with sockets that have each sent one byte of a request. */
    int fds[8];
    for (int i = 0; i < 8; i++) {
        fds[i] = dial();
        send(fds[i], "G", 1, MSG_NOSIGNAL);
    }
    usleep(200000);
    /* A ninth client's complete request is not served while the cap is held... */
    int extra = dial();
    const char *req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    send(extra, req, strlen(req), MSG_NOSIGNAL);
    CHECK(!data_within(extra, 400));
    /* ... and is once they go. */
    for (int i = 0; i < 8; i++) close(fds[i]);
    CHECK(data_within(extra, 5000));
    close(extra);
    CHECK(healthy());
}

int main(void)
{
    ami_init();
    curl_global_init(CURL_GLOBAL_ALL);
    REQUIRE(ami_store_open(&store, check_path("ami.db")) == 0);
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    REQUIRE(ami_webfix_new(&wf, &o) == 0);
    amid_http_config c = AMID_HTTP_CONFIG_INIT;
    c.port = 0;
    c.threads = 2;
    c.connection_timeout_s = 1;
    c.max_connections = 8;
    REQUIRE(amid_http_start(&h, &c, wf, NULL) == 0);
    port = amid_http_port(h);
    RUN(garbage);
    RUN(idle_timeout);
    RUN(connection_cap);
    amid_http_stop(h);
    ami_webfix_free(wf);
    ami_store_free(store);
    curl_global_cleanup();
    ami_shutdown();
    return check_done();
}
