/* Claim: a worker record says its script's language ("language": "js" |
 * "ts"): detected from the script on create and on a script change, kept when
 * given, refused when neither; an instance of a "ts" record lowers its script
 * as TypeScript from the first line (a<b>(c) is a call with a type argument),
 * of a "js" record as JavaScript (the same text is a comparison), and a
 * TypeScript script runs with its types removed. */
#include "ami/registry.h"
#include "rt.h"

static ami_store *net, *local;

static json_t *create(const char *body_json)
{
    json_t *body = check_json(body_json), *e = NULL;
    int rc = ami_registry_create(&e, net, "s-0001", body);
    json_decref(body);
    if (rc) fprintf(stderr, "create: %s\n", ami_error_last());
    REQUIRE(rc == 0);
    return e;
}

static const char *lang_of(const json_t *entry)
{
    return json_string_value(json_object_get(json_object_get(json_object_get(entry, "value"), "raw"), "language"));
}

static void language_is_recorded(void)
{
    json_t *a = create("{\"scriptContent\":\"let n = 1;\\nreturn n;\"}");
    CHECK_STR(lang_of(a), "js");
    json_t *b = create("{\"scriptContent\":\"let n: number = 1;\\nreturn n;\"}");
    CHECK_STR(lang_of(b), "ts");
    json_t *c = create("{\"scriptContent\":\"return 1;\",\"language\":\"ts\"}");
    CHECK_STR(lang_of(c), "ts");
    json_t *body = check_json("{\"scriptContent\":\"return 1;\",\"language\":\"python\"}"), *bad = NULL;
    CHECK_INT(ami_registry_create(&bad, net, "s-0001", body), AMI_EVALIDATION);
    CHECK_STR(ami_error_last(), "Invalid language: 'python' (expected js or ts)");
    json_decref(body);
    /* a new script without a language: what the new script is */
    const char *sid = json_string_value(json_array_get(json_object_get(a, "key"), 2));
    json_t *patch = check_json("{\"script\":\"interface I { x: number }\\nreturn 2;\"}"), *u = NULL;
    CHECK_RC(ami_registry_update(&u, net, sid, patch, NULL));
    CHECK_STR(lang_of(u), "ts");
    json_decref(patch);
    json_decref(u);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

static char *run_record(const char *lang, const char *script)
{
    json_t *w = rt_worker("lang", script);
    if (lang) json_object_set_new(w, "language", json_string(lang));
    ami_runtime_options o = rt_options(net, local, w, NULL);
    ami_runtime *inst = NULL;
    int rc = ami_runtime_new(&inst, &o);
    json_decref(w);
    if (rc) fprintf(stderr, "new: %s\n", ami_error_last());
    REQUIRE(rc == 0);
    ami_runtime_result res;
    rc = ami_runtime_run(inst, &res);
    if (rc) fprintf(stderr, "  (run: %s: %s, line %d)\n", res.name, res.message, res.line);
    char *v = res.value ? strdup(res.value) : NULL;
    ami_runtime_result_dispose(&res);
    ami_runtime_free(inst);
    return v;
}

static void instances_lower_by_the_record_language(void)
{
    const char *ambiguous = "function a(x) { return 'called ' + x; }\nvar b = 1, c = 0;\nreturn a < b > (c);\n";
    char *v = run_record("ts", ambiguous);
    CHECK_STR(v, "\"called 0\"");
    free(v);
    v = run_record("js", ambiguous);
    CHECK_STR(v, "false");
    free(v);
    v = run_record(NULL, ambiguous);   /* a record from before "language": detected */
    CHECK_STR(v, "false");
    free(v);
    v = run_record("ts", "enum Dir { Up = 1, Down }\nclass P { constructor(private readonly d: Dir) {}\n"
                         "  get(): string { return Dir[this.d]; } }\nreturn new P(Dir.Down).get() as string;\n");
    CHECK_STR(v, "\"Down\"");
    free(v);
}

int main(void)
{
    REQUIRE(ami_store_open(&net, check_path("net.db")) == 0);
    REQUIRE(ami_store_open(&local, check_path("local.db")) == 0);
    RUN(language_is_recorded);
    RUN(instances_lower_by_the_record_language);
    ami_store_free(net);
    ami_store_free(local);
    return check_done();
}
