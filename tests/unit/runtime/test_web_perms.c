/* Claim: allow_net / allow_listen / allow_env match exactly what they name:
 * hosts (case-insensitive, trailing dot), host:port, "*.domain" (subdomains
 * only), "*"; port ranges; variable names; only http/https/ws/wss URLs pass,
 * and a refusal names the host:port and the option that would allow it;
 * malformed lists are refused with the bad item named. */
#include "check.h"
#include "runtime/web/web.h"

static int url_ok(ami__perms *p, const char *url, char *msg, size_t n)
{
    int is_type = 0;
    return ami__perms_url(p, url, msg, n, &is_type) == 0 ? 1 : is_type ? -1 : 0;
}

static void net_rules_match(void)
{
    ami__perms *p = NULL;
    REQUIRE(ami__perms_new(&p, "api.example.com, 127.0.0.1:8080 *.exchange.io [::1]:9000", NULL, NULL) == 0);
    CHECK(ami__perms_net(p, "api.example.com", 443));
    CHECK(ami__perms_net(p, "API.Example.COM", 80));
    CHECK(ami__perms_net(p, "api.example.com.", 80));
    CHECK(!ami__perms_net(p, "example.com", 443));
    CHECK(!ami__perms_net(p, "evil-api.example.com", 443));
    CHECK(ami__perms_net(p, "127.0.0.1", 8080));
    CHECK(!ami__perms_net(p, "127.0.0.1", 8081));
    CHECK(ami__perms_net(p, "ws.exchange.io", 443));
    CHECK(ami__perms_net(p, "a.b.exchange.io", 1));
    CHECK(!ami__perms_net(p, "exchange.io", 443));
    CHECK(!ami__perms_net(p, "exchange.io.evil.com", 443));
    CHECK(ami__perms_net(p, "[::1]", 9000));
    CHECK(!ami__perms_net(p, "::1", 9001));
    char msg[600];
    CHECK_INT(url_ok(p, "https://api.example.com/v1?x=1", msg, sizeof msg), 1);
    CHECK_INT(url_ok(p, "http://127.0.0.1:8080/", msg, sizeof msg), 1);
    CHECK_INT(url_ok(p, "http://127.0.0.1/", msg, sizeof msg), 0);
    CHECK_STR(msg, "Requires net access to \"127.0.0.1:80\"; the node allows it with allow_net=127.0.0.1:80 (or allow_net=127.0.0.1)");
    CHECK_INT(url_ok(p, "wss://stream.exchange.io/ws", msg, sizeof msg), 1);
    CHECK_INT(url_ok(p, "https://user:pw@api.example.com:443/", msg, sizeof msg), 1);
    CHECK_INT(url_ok(p, "https://api.example.com@evil.com/", msg, sizeof msg), 0);
    CHECK(strstr(msg, "\"evil.com:443\""));
    CHECK_INT(url_ok(p, "ftp://api.example.com/", msg, sizeof msg), -1);
    CHECK(strstr(msg, "only http, https, ws and wss"));
    CHECK_INT(url_ok(p, "file:///etc/passwd", msg, sizeof msg), -1);
    ami__perms_unref(p);

    REQUIRE(ami__perms_new(&p, "*", NULL, NULL) == 0);
    CHECK(ami__perms_net(p, "anything.at.all", 1));
    ami__perms_unref(p);
    REQUIRE(ami__perms_new(&p, NULL, NULL, NULL) == 0);
    CHECK(!ami__perms_net(p, "localhost", 80));
    CHECK_INT(url_ok(p, "http://localhost/", msg, sizeof msg), 0);
    ami__perms_unref(p);
}

static void listen_and_env_rules_match(void)
{
    ami__perms *p = NULL;
    REQUIRE(ami__perms_new(&p, NULL, "8080, 9000-9100", "TZ,API_KEY") == 0);
    CHECK(ami__perms_listen(p, 8080));
    CHECK(ami__perms_listen(p, 9000));
    CHECK(ami__perms_listen(p, 9100));
    CHECK(!ami__perms_listen(p, 9101));
    CHECK(!ami__perms_listen(p, 80));
    CHECK(ami__perms_env(p, "TZ"));
    CHECK(ami__perms_env(p, "API_KEY"));
    CHECK(!ami__perms_env(p, "HOME"));
    CHECK(!ami__perms_env(p, "tz"));
    ami__perms_unref(p);
}

static void bad_lists_are_refused(void)
{
    static const char *const bad_net[] = { "a/b", "host:0", "host:70000", "host:x", "**.x", "a*b", NULL };
    for (int i = 0; bad_net[i]; i++) {
        ami__perms *p = NULL;
        CHECK_INT(ami__perms_new(&p, bad_net[i], NULL, NULL), AMI_EINVAL);
        CHECK(strstr(ami_error_last(), "allow_net"));
        CHECK(p == NULL);
    }
    static const char *const bad_listen[] = { "0", "65536", "80-70", "x", "1-", NULL };
    for (int i = 0; bad_listen[i]; i++) {
        ami__perms *p = NULL;
        CHECK_INT(ami__perms_new(&p, NULL, bad_listen[i], NULL), AMI_EINVAL);
        CHECK(strstr(ami_error_last(), bad_listen[i]));
    }
    ami__perms *p = NULL;
    CHECK_INT(ami__perms_new(&p, NULL, NULL, "A=B"), AMI_EINVAL);
}

int main(void)
{
    RUN(net_rules_match);
    RUN(listen_and_env_rules_match);
    RUN(bad_lists_are_refused);
    return check_done();
}
