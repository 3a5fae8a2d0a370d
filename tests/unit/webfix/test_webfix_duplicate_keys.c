/* Claim: a WebFIX request whose JSON repeats a member name is rejected with
 * 400 and changes nothing.  (A parser that keeps the last duplicate lets
 * {"method":"listWorkers","method":"setWorker"} create a worker behind a
 * proxy or log that reads the first one.) */
#include "check.h"

static ami_store *store, *local;
static ami_webfix *wf;

static json_t *raw_call(const char *text, int *status)
{
    ami_buf out = AMI_BUF_INIT;
    REQUIRE(ami_webfix_handle(wf, text, strlen(text), NULL, status, &out) == 0);
    json_t *j = check_json(out.ptr);
    ami_buf_dispose(&out);
    return j;
}

static size_t worker_count(void)
{
    json_t *all = NULL;
    REQUIRE(ami_registry_list(&all, store) == 0);
    size_t n = json_array_size(all);
    json_decref(all);
    return n;
}

static void expect_rejected(const char *text)
{
    int status = 0;
    size_t before = worker_count();
    json_t *j = raw_call(text, &status);
    CHECK_INT(status, 400);
    json_t *e = json_object_get(j, "error");
    const char *msg = json_string_value(json_object_get(e, "message"));
    CHECK(msg && strstr(msg, "duplicate"));
    CHECK_INT(json_integer_value(json_object_get(e, "code")), 400);
    CHECK_INT(worker_count(), before);
    json_decref(j);
}

static void duplicate_method(void)
{
    expect_rejected("{\"webfix\":\"1.0\",\"method\":\"listWorkers\",\"method\":\"setWorker\"}");
}

static void duplicate_in_body(void)
{
    expect_rejected("{\"webfix\":\"1.0\",\"method\":\"setWorker\",\"body\":{\"active\":false,\"active\":true}}");
}

static void distinct_names_still_work(void)
{
    int status = 0;
    json_t *j = raw_call("{\"webfix\":\"1.0\",\"method\":\"setWorker\",\"body\":{\"note\":\"n\",\"raw\":null}}", &status);
    /* "raw" is unknown to setWorker: a 400 for that reason, not for duplicates */
    CHECK_INT(status, 400);
    json_decref(j);
    j = raw_call("{\"webfix\":\"1.0\",\"method\":\"setWorker\",\"body\":{\"note\":\"n\",\"priority\":\"high\"}}", &status);
    CHECK_INT(status, 200);
    CHECK_INT(worker_count(), 1);
    json_decref(j);
}

int main(void)
{
    ami_init();
    REQUIRE(ami_store_open(&store, check_path("ami.db")) == 0);
    REQUIRE(ami_store_open(&local, check_path("local.db")) == 0);
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = store;
    o.local_store = local;
    o.nid = "s-0001";
    REQUIRE(ami_webfix_new(&wf, &o) == 0);
    RUN(duplicate_method);
    RUN(duplicate_in_body);
    RUN(distinct_names_still_work);
    ami_webfix_free(wf);
    ami_store_free(local);
    ami_store_free(store);
    ami_shutdown();
    return check_done();
}
