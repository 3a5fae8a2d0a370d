/* Claim: the default rule table classifies exactly as docs/design.md §7 says, and host rules extend it. */
#include <pthread.h>
#include "check.h"

static ami_classifier *cl;

#define NET AMI_ERRCLASS_NETWORK
#define CRIT AMI_ERRCLASS_CRITICAL

static void every_network_name(void)
{
    const char *names[] = { "RequestTimeout", "NetworkError", "ConnectionRefused", "RateLimitExceeded", "InvalidAccessError",
                            "AbortError", "ExchangeNotAvailable", "DDoSProtection", "TimeoutError" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK_INT(ami_classifier_classify(cl, names[i], "boom", 0), NET);
        CHECK_INT(ami_classifier_classify(cl, names[i], NULL, 0), NET);
    }
    /* names match exactly: case and extra characters matter */
    CHECK_INT(ami_classifier_classify(cl, "networkerror", "boom", 0), CRIT);
    CHECK_INT(ami_classifier_classify(cl, "NetworkErrorX", "boom", 0), CRIT);
    CHECK_INT(ami_classifier_classify(cl, "Network", "boom", 0), CRIT);
}

static void critical_names(void)
{
    const char *names[] = { "SyntaxError", "ReferenceError", "TypeError", "RangeError", "Error", "LeaseLost", "" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK_INT(ami_classifier_classify(cl, names[i], "something went wrong", 0), CRIT);
    CHECK_INT(ami_classifier_classify(cl, NULL, NULL, 0), CRIT);
}

static void message_keywords_any_case(void)
{
    struct { const char *msg; ami_errclass want; } cases[] = {
        { "WebSocket closed with code 1006", NET },
        { "websocket is not open", NET },
        { "WEBSOCKET handshake failed", NET },
        { "The request could not be satisfied (CloudFront)", NET },
        { "cloudfront 502", NET },
        { "read ECONNRESET", NET },
        { "connect econnrefused 127.0.0.1:443", NET },
        { "connect ETIMEDOUT 10.0.0.1:443", NET },
        { "request timed out after 10000 ms", NET },
        { "Operation TIMED OUT", NET },
        { "timedout", CRIT },              /* the phrase needs its space */
        { "x is not a function", CRIT },
        { "Cannot read properties of undefined", CRIT },
        { "", CRIT },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ami_errclass got = ami_classifier_classify(cl, "Error", cases[i].msg, 0);
        if (got != cases[i].want) fprintf(stderr, "  message \"%s\"\n", cases[i].msg);
        CHECK_INT(got, cases[i].want);
    }
    /* a keyword wins over a critical-looking name */
    CHECK_INT(ami_classifier_classify(cl, "TypeError", "fetch failed: ECONNRESET", 0), NET);
}

static void status_classes(void)
{
    CHECK_INT(ami_classifier_classify(cl, "Error", "HTTP error", 403), NET);
    CHECK_INT(ami_classifier_classify(cl, "Error", "HTTP error", 451), NET);
    CHECK_INT(ami_classifier_classify(cl, "Error", "HTTP error", 429), NET);
    for (int s = 500; s <= 599; s++) CHECK_INT(ami_classifier_classify(cl, "Error", "HTTP error", s), NET);
    int crit[] = { 0, 200, 301, 400, 401, 404, 409, 428, 430, 450, 452, 499, 600, -1 };
    for (size_t i = 0; i < sizeof crit / sizeof crit[0]; i++)
        CHECK_INT(ami_classifier_classify(cl, "Error", "HTTP error", crit[i]), CRIT);
}

static void host_rules_extend_and_override(void)
{
    ami_classifier *c = NULL;
    CHECK_RC(ami_classifier_new(&c));
    size_t n0 = ami_classifier_count(c);
    CHECK_INT(n0, 19);

    /* a new network name, a message keyword and a status */
    ami_classify_rule r1 = { AMI_RULE_NAME, "FetchError", 0, 0, AMI_ERRCLASS_NETWORK };
    ami_classify_rule r2 = { AMI_RULE_MESSAGE, "socket hang up", 0, 0, AMI_ERRCLASS_NETWORK };
    ami_classify_rule r3 = { AMI_RULE_STATUS, NULL, 408, 408, AMI_ERRCLASS_NETWORK };
    CHECK_INT(ami_classifier_classify(c, "FetchError", "x", 0), CRIT);
    CHECK_RC(ami_classifier_add_rule(c, &r1));
    CHECK_RC(ami_classifier_add_rule(c, &r2));
    CHECK_RC(ami_classifier_add_rule(c, &r3));
    CHECK_INT(ami_classifier_count(c), n0 + 3);
    CHECK_INT(ami_classifier_classify(c, "FetchError", "x", 0), NET);
    CHECK_INT(ami_classifier_classify(c, "Error", "Socket Hang Up", 0), NET);
    CHECK_INT(ami_classifier_classify(c, "Error", "x", 408), NET);

    /* host rules come before the defaults: a 503 from one API is the code's fault */
    ami_classify_rule r4 = { AMI_RULE_MESSAGE, "maintenance-mode-misconfigured", 0, 0, AMI_ERRCLASS_CRITICAL };
    CHECK_RC(ami_classifier_add_rule(c, &r4));
    CHECK_INT(ami_classifier_classify(c, "Error", "503: maintenance-mode-misconfigured", 503), CRIT);
    CHECK_INT(ami_classifier_classify(c, "Error", "503", 503), NET);

    /* the rule text was copied */
    char buf[32] = "MyTransient";
    ami_classify_rule r5 = { AMI_RULE_NAME, buf, 0, 0, AMI_ERRCLASS_NETWORK };
    CHECK_RC(ami_classifier_add_rule(c, &r5));
    strcpy(buf, "Other");
    CHECK_INT(ami_classifier_classify(c, "MyTransient", "x", 0), NET);

    /* invalid rules */
    ami_classify_rule bad1 = { AMI_RULE_NAME, "", 0, 0, AMI_ERRCLASS_NETWORK };
    ami_classify_rule bad2 = { AMI_RULE_STATUS, NULL, 600, 500, AMI_ERRCLASS_NETWORK };
    ami_classify_rule bad3 = { AMI_RULE_NAME, "X", 0, 0, AMI_ERRCLASS_NONE };
    ami_classify_rule bad4 = { (ami_rule_kind)9, "X", 0, 0, AMI_ERRCLASS_NETWORK };
    CHECK_INT(ami_classifier_add_rule(c, &bad1), AMI_EINVAL);
    CHECK_INT(ami_classifier_add_rule(c, &bad2), AMI_EINVAL);
    CHECK_INT(ami_classifier_add_rule(c, &bad3), AMI_EINVAL);
    CHECK_INT(ami_classifier_add_rule(c, &bad4), AMI_EINVAL);
    CHECK_INT(ami_classifier_add_rule(c, NULL), AMI_EINVAL);

    /* clearing drops the defaults too */
    ami_classifier_clear(c);
    CHECK_INT(ami_classifier_count(c), 0);
    CHECK_INT(ami_classifier_classify(c, "NetworkError", "ECONNRESET", 503), CRIT);
    CHECK_RC(ami_classifier_add_rule(c, &r1));
    CHECK_INT(ami_classifier_classify(c, "FetchError", "x", 0), NET);
    ami_classifier_free(c);
    ami_classifier_free(NULL);
}

static void process_default(void)
{
    ami_classifier *d = ami_classifier_default();
    REQUIRE(d != NULL);
    CHECK(ami_classifier_default() == d);
    CHECK_INT(ami_classifier_classify(NULL, "RateLimitExceeded", NULL, 0), NET);
    CHECK_INT(ami_classifier_classify(NULL, "ProcessDefaultExtra", NULL, 0), CRIT);
    ami_classify_rule r = { AMI_RULE_NAME, "ProcessDefaultExtra", 0, 0, AMI_ERRCLASS_NETWORK };
    CHECK_RC(ami_classifier_add_rule(d, &r));
    CHECK_INT(ami_classifier_classify(NULL, "ProcessDefaultExtra", NULL, 0), NET);
    ami_classifier_free(d);            /* ignored: the default lives on */
    CHECK_INT(ami_classifier_classify(d, "ProcessDefaultExtra", NULL, 0), NET);
}

static void *classify_many(void *arg)
{
    int *bad = arg;
    for (int i = 0; i < 20000; i++)
        if (ami_classifier_classify(cl, "AbortError", NULL, 0) != NET ||
            ami_classifier_classify(cl, "TypeError", "x", 0) != CRIT) (*bad)++;
    return NULL;
}

static void concurrent_add_and_classify(void)
{
    int bad = 0;
    pthread_t t;
    pthread_create(&t, NULL, classify_many, &bad);
    char name[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "Extra%d", i);
        ami_classify_rule r = { AMI_RULE_NAME, name, 0, 0, AMI_ERRCLASS_NETWORK };
        CHECK_RC(ami_classifier_add_rule(cl, &r));
    }
    pthread_join(t, NULL);
    CHECK_INT(bad, 0);
    CHECK_INT(ami_classifier_classify(cl, "Extra199", NULL, 0), NET);
}

static void class_names(void)
{
    CHECK_STR(ami_errclass_name(AMI_ERRCLASS_NETWORK), "network");
    CHECK_STR(ami_errclass_name(AMI_ERRCLASS_CRITICAL), "critical");
    CHECK(ami_errclass_name(AMI_ERRCLASS_NONE) == NULL);
}

int main(void)
{
    REQUIRE(ami_classifier_new(&cl) == 0);
    RUN(every_network_name);
    RUN(critical_names);
    RUN(message_keywords_any_case);
    RUN(status_classes);
    RUN(host_rules_extend_and_override);
    RUN(process_default);
    RUN(concurrent_add_and_classify);
    RUN(class_names);
    ami_classifier_free(cl);
    return check_done();
}
