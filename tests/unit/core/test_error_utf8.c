/* Claim: a last-error message cut to fit its buffer is still valid UTF-8
 * (never ends inside a multi-byte character), so callers can put it in JSON;
 * and the WebFIX answer to a long non-ASCII bad value is its 400, not a 500. */
#include "check.h"
#include "core/core.h"

/* 1 when s is well-formed UTF-8 (Jansson refuses anything else). */
static int valid_utf8(const char *s)
{
    json_t *j = json_string(s);
    int ok = j != NULL;
    json_decref(j);
    return ok;
}

static char *repeat(const char *unit, size_t times)
{
    size_t u = strlen(unit);
    char *p = malloc(u * times + 1);
    REQUIRE(p);
    for (size_t i = 0; i < times; i++) memcpy(p + i * u, unit, u);
    p[u * times] = '\0';
    return p;
}

static void truncated_message_stays_utf8(void)
{
    /* 2-, 3- and 4-byte characters, at every alignment against the buffer end */
    static const char *const units[] = { "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80" };
    for (size_t u = 0; u < 3; u++)
        for (int shift = 0; shift < 4; shift++) {
            char *long_text = repeat(units[u], 2000);
            char prefix[8] = "xxx";
            prefix[shift] = '\0';
            CHECK_INT(ami__error_set(AMI_EVALIDATION, "Invalid %s'%s'", prefix, long_text), AMI_EVALIDATION);
            const char *m = ami_error_last();
            CHECK(strlen(m) > 500);   /* still most of the message */
            if (!valid_utf8(m)) {
                check_failures++;
                fprintf(stderr, "  unit %zu shift %d: message is not UTF-8 (ends %02x %02x)\n", u, shift,
                        (unsigned char)m[strlen(m) - 2], (unsigned char)m[strlen(m) - 1]);
            }
            free(long_text);
        }
}

static void short_message_untouched(void)
{
    ami__error_set(AMI_EINVAL, "bad \xe6\x97\xa5 value %d", 7);
    CHECK_STR(ami_error_last(), "bad \xe6\x97\xa5 value 7");
}

static void webfix_answers_400(void)
{
    ami_store *store = NULL;
    ami_webfix *wf = NULL;
    REQUIRE(ami_store_open(&store, check_path("ami.db")) == 0);
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    o.nid = "s-0001";
    REQUIRE(ami_webfix_new(&wf, &o) == 0);
    for (int shift = 0; shift < 3; shift++) {
        /* 0..2 ASCII bytes before the 3-byte characters vary where the cut falls */
        char *chars = repeat("\xe6\x97\xa5", 1000), *val = malloc(strlen(chars) + 3);
        REQUIRE(val);
        snprintf(val, strlen(chars) + 3, "%.*s%s", shift, "ab", chars);
        free(chars);
        json_t *req = json_pack("{s:s,s:s,s:{s:s}}", "webfix", "1.0", "method", "setWorker", "body", "priority", val);
        char *text = json_dumps(req, JSON_COMPACT);
        int status = 0;
        ami_buf out = AMI_BUF_INIT;
        REQUIRE(ami_webfix_handle(wf, text, strlen(text), NULL, &status, &out) == 0);
        CHECK_INT(status, 400);
        json_t *j = check_json(out.ptr);
        const char *msg = json_string_value(json_object_get(j, "error"));
        CHECK(msg && !strncmp(msg, "Invalid priority", 16));
        json_decref(j);
        ami_buf_dispose(&out);
        free(text);
        json_decref(req);
        free(val);
    }
    ami_webfix_free(wf);
    ami_store_free(store);
}

int main(void)
{
    ami_init();
    RUN(truncated_message_stays_utf8);
    RUN(short_message_untouched);
    RUN(webfix_answers_400);
    ami_shutdown();
    return check_done();
}
