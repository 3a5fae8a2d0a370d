/* Claim: keys over 2 KiB encoded and values over 64 KiB of JSON are refused with their own codes, at the limit accepted. */
#include "check.h"

static ami_store *S;

static json_t *key_of_len(size_t encoded)
{
    /* ["s"] with a string of n bytes encodes to n + 2 bytes */
    size_t n = encoded - 2;
    char *s = malloc(n + 1);
    memset(s, 'k', n);
    s[n] = 0;
    json_t *k = json_pack("[s]", s);
    free(s);
    return k;
}

static json_t *value_of_len(size_t text)
{
    /* a JSON string of n chars has n + 2 bytes of text */
    size_t n = text - 2;
    char *s = malloc(n + 1);
    memset(s, 'v', n);
    s[n] = 0;
    json_t *v = json_string(s);
    free(s);
    return v;
}

static void key_limit(void)
{
    json_t *ok = key_of_len(AMI_KEY_MAX_BYTES), *big = key_of_len(AMI_KEY_MAX_BYTES + 1), *v = json_true();
    ami_buf b = AMI_BUF_INIT;
    CHECK_RC(ami_key_encode(&b, ok));
    CHECK_INT(b.size, AMI_KEY_MAX_BYTES);
    ami_buf_clear(&b);
    CHECK_INT(ami_key_encode(&b, big), AMI_EKEYTOOLARGE);
    CHECK_INT(b.size, 0);
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(S, ok, v, 0, vs));
    CHECK_INT(ami_store_set(S, big, v, 0, vs), AMI_EKEYTOOLARGE);
    CHECK_STR(vs, "");
    json_t *e = NULL;
    CHECK_RC(ami_store_get(&e, S, ok));
    CHECK(json_is_true(json_object_get(e, "value")));
    json_decref(e);
    CHECK_INT(ami_store_get(&e, S, big), AMI_EKEYTOOLARGE);
    CHECK_INT(ami_store_delete(S, big), AMI_EKEYTOOLARGE);
    ami_atomic *a = NULL;
    CHECK_RC(ami_atomic_new(&a));
    CHECK_INT(ami_atomic_check(a, big, NULL), AMI_EKEYTOOLARGE);
    CHECK_INT(ami_atomic_set(a, big, v, 0), AMI_EKEYTOOLARGE);
    CHECK_INT(ami_atomic_delete(a, big), AMI_EKEYTOOLARGE);
    ami_list_options o = AMI_LIST_OPTIONS_INIT;
    o.prefix = big;
    json_t *arr = NULL;
    CHECK_INT(ami_store_list(&arr, S, &o), AMI_EKEYTOOLARGE);
    /* a batch that saw only refused ops is empty: committing it writes nothing but a versionstamp */
    int committed = 0;
    CHECK_RC(ami_store_commit(S, a, &committed, vs));
    CHECK_INT(committed, 1);
    ami_atomic_free(a);
    /* many small parts add up too */
    json_t *many = json_array();
    for (int i = 0; i < 300; i++) json_array_append_new(many, json_integer(i));   /* 9 bytes each */
    CHECK_INT(ami_key_encode(&b, many), AMI_EKEYTOOLARGE);
    json_decref(many);
    ami_buf_dispose(&b);
    json_decref(ok); json_decref(big); json_decref(v);
}

static void value_limit(void)
{
    json_t *k = ami_key_new("big", NULL);
    json_t *ok = value_of_len(AMI_VALUE_MAX_BYTES), *big = value_of_len(AMI_VALUE_MAX_BYTES + 1);
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(S, k, ok, 0, vs));
    CHECK_INT(ami_store_set(S, k, big, 0, vs), AMI_EVALUETOOLARGE);
    ami_buf text = AMI_BUF_INIT;
    CHECK_RC(ami_store_get_text(&text, vs, S, k));
    CHECK_INT(text.size, AMI_VALUE_MAX_BYTES);
    ami_buf_dispose(&text);
    ami_atomic *a = NULL;
    CHECK_RC(ami_atomic_new(&a));
    CHECK_INT(ami_atomic_set(a, k, big, 0), AMI_EVALUETOOLARGE);
    CHECK_RC(ami_atomic_set(a, k, ok, 0));
    int committed = 0;
    CHECK_RC(ami_store_commit(S, a, &committed, vs));
    CHECK_INT(committed, 1);
    ami_atomic_free(a);
    CHECK(AMI_EVALUETOOLARGE != AMI_EKEYTOOLARGE);
    json_decref(k); json_decref(ok); json_decref(big);
}

int main(void)
{
    REQUIRE(ami_store_open(&S, check_store_uri("limits.db")) == 0);
    RUN(key_limit);
    RUN(value_limit);
    ami_store_free(S);
    return check_done();
}
