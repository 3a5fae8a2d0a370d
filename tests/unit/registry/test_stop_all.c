/* Claim: stopAllWorkers deactivates every worker and reports totals as spec 003 shows. */
#include "check.h"

int main(void)
{
    ami_store *s = NULL;
    REQUIRE(ami_store_open(&s, check_path("stop.db")) == 0);
    json_t *rep = NULL;
    int partial = -1;
    CHECK_RC(ami_registry_stop_all(&rep, &partial, s));
    json_t *empty = check_json("{\"message\":\"No workers found\",\"total\":0,\"stopped\":0,\"failed\":0,\"workers\":[]}");
    CHECK_JSON_EQ(rep, empty);
    CHECK_INT(partial, 0);
    json_decref(empty);
    json_decref(rep);

    json_t *on = check_json("{\"active\":true}"), *off = check_json("{}"), *e;
    const char *body_for[5] = { "on", "off", "on", "on", "on" };
    for (int i = 0; i < 5; i++) {
        e = NULL;
        REQUIRE(ami_registry_create(&e, s, "s-0001", body_for[i][1] == 'n' ? on : off) == 0);
        json_decref(e);
    }
    CHECK_RC(ami_registry_stop_all(&rep, &partial, s));
    CHECK_INT(json_integer_value(json_object_get(rep, "total")), 5);
    CHECK_INT(json_integer_value(json_object_get(rep, "stopped")), 5);
    CHECK_INT(json_integer_value(json_object_get(rep, "failed")), 0);
    CHECK_INT(json_array_size(json_object_get(rep, "errors")), 0);
    CHECK_INT(partial, 0);
    size_t i, already = 0;
    json_t *w;
    json_array_foreach(json_object_get(rep, "workers"), i, w) {
        const char *st = json_string_value(json_object_get(w, "status"));
        CHECK(!strcmp(st, "stopped") || !strcmp(st, "already_stopped"));
        already += !strcmp(st, "already_stopped");
        CHECK(!strncmp(json_string_value(json_object_get(w, "channel")), "ami.worker.", 11));
    }
    CHECK_INT(already, 1);
    json_decref(rep);
    json_t *all = NULL;
    CHECK_RC(ami_registry_list(&all, s));
    json_array_foreach(all, i, w) CHECK(json_is_false(json_object_get(json_object_get(json_object_get(w, "value"), "raw"), "active")));
    json_decref(all);
    /* again: everything already stopped */
    CHECK_RC(ami_registry_stop_all(&rep, &partial, s));
    CHECK_INT(json_integer_value(json_object_get(rep, "stopped")), 5);
    json_decref(rep);
    json_decref(on);
    json_decref(off);
    ami_store_free(s);
    return check_done();
}
