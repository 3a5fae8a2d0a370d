/* Claim: ami_json_parse/ami_json_text/ami_json_decref (the bindings' JSON bridge) round-trip any JSON value, report bad text with line and column, and free what they made. */
#include "check.h"

static void round_trip(void)
{
    const char *texts[] = { "null", "42", "\"h\\u00e9\"", "[1,[2,{\"a\":true}]]", "{\"k\":[\"x\",1.5]}" };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        json_t *v = NULL;
        CHECK_RC(ami_json_parse(&v, texts[i], strlen(texts[i])));
        char *t = ami_json_text(v);
        json_t *again = NULL;
        CHECK_RC(ami_json_parse(&again, t, strlen(t)));
        CHECK(json_equal(v, again));
        ami_free(t);
        ami_json_decref(again);
        ami_json_decref(v);
    }
    char *t = ami_json_text(NULL);
    CHECK_STR(t, "null");
    ami_free(t);
    ami_json_decref(NULL);
    /* only `len` bytes are read */
    json_t *v = NULL;
    CHECK_RC(ami_json_parse(&v, "[1]garbage", 3));
    CHECK_INT(json_array_size(v), 1);
    ami_json_decref(v);
}

static void bad_text(void)
{
    json_t *v = (json_t *)1;
    CHECK_INT(ami_json_parse(&v, "{\"a\":\n  nope}", 13), AMI_EINVAL);
    CHECK(v == NULL);
    CHECK(strstr(ami_error_last(), "line 2") != NULL);
    CHECK_INT(ami_json_parse(&v, NULL, 0), AMI_EINVAL);
    CHECK_INT(ami_json_parse(NULL, "1", 1), AMI_EINVAL);
}

int main(void)
{
    ami_init();
    RUN(round_trip);
    RUN(bad_text);
    ami_shutdown();
    return check_done();
}
