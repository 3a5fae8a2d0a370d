/* Test helper: the local network test server (tests/lib/net_server.py) and a
 * test CA made with openssl (header only: each test is one program). */
#ifndef AMI_TEST_NET_HARNESS_H
#define AMI_TEST_NET_HARNESS_H
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include "check.h"

typedef struct { pid_t pid; int port; } net_server;

/* Start net_server.py on a free loopback port (TLS with cert/key when given). */
static inline net_server net_server_start(const char *name, const char *cert, const char *key)
{
    char portfile[600];
    snprintf(portfile, sizeof portfile, "%s", check_path(name));
    unlink(portfile);
    net_server s = { 0, 0 };
    s.pid = fork();
    REQUIRE(s.pid >= 0);
    if (s.pid == 0) {
        if (cert) execlp("python3", "python3", "tests/lib/net_server.py", portfile, "--tls", cert, key, (char *)NULL);
        else execlp("python3", "python3", "tests/lib/net_server.py", portfile, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1000 && !s.port; i++) {
        FILE *f = fopen(portfile, "r");
        if (f) { if (fscanf(f, "%d", &s.port) != 1) s.port = 0; fclose(f); }
        if (!s.port) usleep(10000);
    }
    REQUIRE(s.port > 0);
    return s;
}

static inline void net_server_stop(net_server *s)
{
    if (s->pid > 0) { kill(s->pid, SIGTERM); waitpid(s->pid, NULL, 0); }
    s->pid = 0;
}

/* A loopback port nothing listens on (bound, then closed). */
static inline int net_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    REQUIRE(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &l) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A test CA and a server certificate for 127.0.0.1/localhost signed by it:
 * files ca.pem, server.pem, server.key in the test's tmpdir. */
static inline void net_make_test_ca(void)
{
    char cmd[3000];
    const char *d = check_tmpdir();
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=libami test CA' 2>/dev/null"
             " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null"
             " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf"
             " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null",
             d);
    int rc = 0;
    char out[256];
    check_run(out, sizeof out, &rc, cmd);
    REQUIRE(rc == 0);
}
#endif
