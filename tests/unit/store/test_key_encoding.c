/* Claim: key encoding round-trips and its bytes sort in key order (types, numbers, strings, prefixes). */
#include <math.h>
#include "check.h"

/* check_json, but strings may hold NUL characters */
static json_t *J(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!j) { fprintf(stderr, "bad JSON in test: %s: %s\n", err.text, text); exit(1); }
    return j;
}

static int bytes_cmp(const ami_buf *a, const ami_buf *b)
{
    size_t n = a->size < b->size ? a->size : b->size;
    int r = n ? memcmp(a->ptr, b->ptr, n) : 0;
    if (!r) r = (a->size > b->size) - (a->size < b->size);
    return (r > 0) - (r < 0);
}

static void roundtrip(const char *text)
{
    json_t *k = J(text), *back = NULL;
    ami_buf b = AMI_BUF_INIT;
    CHECK_RC(ami_key_encode(&b, k));
    CHECK_RC(ami_key_decode(&back, b.ptr, b.size));
    CHECK_JSON_EQ(back, k);
    json_decref(back);
    json_decref(k);
    ami_buf_dispose(&b);
}

static void round_trips(void)
{
    roundtrip("[\"ami\",\"worker\",\"0b5e\"]");
    roundtrip("[\"\"]");
    roundtrip("[\"a\\u0000b\", \"\\u0000\", \"\\u0000\\u0000x\"]");
    roundtrip("[\"\\u043f\\u0440\\u0438\\u0432\\u0435\\u0442\", \"\\ud83d\\ude00\", \"caf\\u00e9\"]");
    roundtrip("[0, 1, -1, 1760245826876, -9007199254740992, 9007199254740992]");
    roundtrip("[0.5, -0.25, 1e300, -1e-300, 9007199254740994.0, 1.5e20]");
    roundtrip("[true, false, \"x\", 3]");
    /* -0 is normalised to 0 */
    json_t *k = J("[-0.0]"), *back = NULL;
    ami_buf b = AMI_BUF_INIT;
    CHECK_RC(ami_key_encode(&b, k));
    CHECK_RC(ami_key_decode(&back, b.ptr, b.size));
    json_t *zero = J("[0]");
    CHECK_JSON_EQ(back, zero);
    CHECK_INT(ami_key_compare(k, zero), 0);
    json_decref(zero);
    json_decref(back);
    json_decref(k);
    ami_buf_dispose(&b);
    /* an integral double beyond 2^53 stays a real; within it, an integer */
    k = json_pack("[f,f]", 3.0, 1e18);
    CHECK_RC(ami_key_encode(&b, k));
    CHECK_RC(ami_key_decode(&back, b.ptr, b.size));
    CHECK(json_is_integer(json_array_get(back, 0)));
    CHECK_INT(json_integer_value(json_array_get(back, 0)), 3);
    CHECK(json_is_real(json_array_get(back, 1)));
    json_decref(back);
    json_decref(k);
    ami_buf_dispose(&b);
}

/* Each key in this list is strictly less than the next one. */
static const char *const ordered[] = {
    "[\"\"]",
    "[\"\", \"\"]",
    "[\"\\u0000\"]",
    "[\"\\u0000\\u0000\"]",
    "[\"\\u0001\"]",
    "[\"a\"]",
    "[\"a\", \"\"]",
    "[\"a\", -5]",
    "[\"a\", 5]",
    "[\"a\", false]",
    "[\"a\", true]",
    "[\"a\\u0000\"]",
    "[\"a\\u0000b\"]",
    "[\"aa\"]",
    "[\"ab\"]",
    "[\"b\"]",
    "[\"z\\u00e9\"]",
    "[\"\\u043f\"]",
    "[\"\\ud83d\\ude00\"]",
    "[-1e300]",
    "[-1000000]",
    "[-2.5]",
    "[-2]",
    "[-1]",
    "[-0.001]",
    "[0]",
    "[0, \"x\"]",
    "[0.001]",
    "[0.5]",
    "[1]",
    "[1.5]",
    "[2]",
    "[10]",
    "[1760245826876]",
    "[9007199254740993.0]",
    "[1e300]",
    "[false]",
    "[false, false]",
    "[true]",
};

static void fixed_order(void)
{
    size_t n = sizeof ordered / sizeof ordered[0];
    for (size_t i = 0; i + 1 < n; i++) {
        json_t *a = J(ordered[i]), *b = J(ordered[i + 1]);
        ami_buf ea = AMI_BUF_INIT, eb = AMI_BUF_INIT;
        CHECK_RC(ami_key_encode(&ea, a));
        CHECK_RC(ami_key_encode(&eb, b));
        if (bytes_cmp(&ea, &eb) >= 0) {
            check_failures++;
            fprintf(stderr, "  order wrong: %s !< %s\n", ordered[i], ordered[i + 1]);
        }
        CHECK_INT(ami_key_compare(a, b), -1);
        CHECK_INT(ami_key_compare(b, a), 1);
        CHECK_INT(ami_key_compare(a, a), 0);
        json_decref(a); json_decref(b);
        ami_buf_dispose(&ea); ami_buf_dispose(&eb);
    }
}

/* Random keys: compare() agrees with a sort of the encoded bytes and with a per-part reference order. */
static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }

static json_t *random_part(void)
{
    switch (rnd() % 4) {
    case 0: {
        char s[6]; size_t n = rnd() % 5;
        static const char alpha[] = { 0, 1, 'a', 'b', (char)0xc3 };
        for (size_t i = 0; i < n; i++) s[i] = alpha[rnd() % 4];
        return json_stringn(s, n);
    }
    case 1: return json_integer((json_int_t)(rnd() % 2001) - 1000);
    case 2: return json_real(((double)(int64_t)(rnd() % 2000001) - 1000000.0) / 997.0);
    default: return json_boolean(rnd() & 1);
    }
}

static int type_rank(const json_t *p)
{
    if (json_is_string(p)) return 0;
    if (json_is_number(p)) return 1;
    return json_is_true(p) ? 3 : 2;
}

static int ref_cmp(const json_t *a, const json_t *b)
{
    size_t na = json_array_size(a), nb = json_array_size(b);
    for (size_t i = 0; i < na && i < nb; i++) {
        const json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
        int tx = type_rank(x), ty = type_rank(y);
        if (tx != ty) return tx < ty ? -1 : 1;
        if (tx == 0) {
            size_t lx = json_string_length(x), ly = json_string_length(y), m = lx < ly ? lx : ly;
            int r = memcmp(json_string_value(x), json_string_value(y), m);
            if (r) return r < 0 ? -1 : 1;
            if (lx != ly) return lx < ly ? -1 : 1;
        } else if (tx == 1) {
            double dx = json_number_value(x), dy = json_number_value(y);
            if (dx != dy) return dx < dy ? -1 : 1;
        }
    }
    return (na > nb) - (na < nb);
}

static void randomized_consistency(void)
{
    enum { N = 400 };
    json_t *keys[N];
    ami_buf enc[N];
    for (int i = 0; i < N; i++) {
        keys[i] = json_array();
        size_t parts = 1 + rnd() % 3;
        for (size_t j = 0; j < parts; j++) json_array_append_new(keys[i], random_part());
        enc[i] = (ami_buf)AMI_BUF_INIT;
        CHECK_RC(ami_key_encode(&enc[i], keys[i]));
    }
    int bad = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int c = ami_key_compare(keys[i], keys[j]);
            if (c != bytes_cmp(&enc[i], &enc[j]) || c != ref_cmp(keys[i], keys[j])) bad++;
        }
    CHECK_INT(bad, 0);
    for (int i = 0; i < N; i++) { json_decref(keys[i]); ami_buf_dispose(&enc[i]); }
}

static void rejects_bad_keys(void)
{
    ami_buf b = AMI_BUF_INIT;
    const char *bad[] = { "[]", "{}", "\"a\"", "[null]", "[[1]]", "[{}]", "[\"a\", null]" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *k = J(bad[i]);
        CHECK_INT(ami_key_encode(&b, k), AMI_EINVAL);
        CHECK_INT(b.size, 0);
        json_decref(k);
    }
    json_t *k = json_pack("[f]", NAN);
    if (k) { CHECK_INT(ami_key_encode(&b, k), AMI_EINVAL); json_decref(k); }
    CHECK_INT(ami_key_encode(&b, NULL), AMI_EINVAL);
    /* malformed bytes */
    json_t *out = NULL;
    CHECK_INT(ami_key_decode(&out, "\x02" "abc", 4), AMI_EINVAL);      /* unterminated */
    CHECK_INT(ami_key_decode(&out, "\x21\x80", 2), AMI_EINVAL);        /* short number */
    CHECK_INT(ami_key_decode(&out, "\x55", 1), AMI_EINVAL);            /* unknown type */
    CHECK_INT(ami_key_decode(&out, "\x02\xc3\x28\x00", 4), AMI_EINVAL);  /* not UTF-8 */
    CHECK_INT(ami_key_decode(&out, "\x02" "a\x00\x13", 4), AMI_EINVAL);   /* trailing junk */
    CHECK(out == NULL);
    ami_buf_dispose(&b);
}

static void key_new_builds_arrays(void)
{
    json_t *k = ami_key_new("ami", "worker", "abc", NULL);
    json_t *want = J("[\"ami\",\"worker\",\"abc\"]");
    CHECK_JSON_EQ(k, want);
    json_decref(k);
    json_decref(want);
}

int main(void)
{
    RUN(round_trips);
    RUN(fixed_order);
    RUN(randomized_consistency);
    RUN(rejects_bad_keys);
    RUN(key_new_builds_arrays);
    return check_done();
}
