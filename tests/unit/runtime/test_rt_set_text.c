/* Claim: Stels.local.set and Stels.net.set store a value as the JSON text the
 * script's JSON.stringify made (0.1 stays 0.1, not jansson's 17 digits
 * 0.10000000000000001; a character outside the BMP as UTF-8), not a copy
 * parsed and serialised again; a value that is not JSON (a cycle) still fails. */
#include <sqlite3.h>
#include "rt.h"

/* The v column of the one entry of a store file whose text contains `needle`, or "" */
static void stored_text(const char *file, const char *needle, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    out[0] = 0;
    REQUIRE(sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT v FROM kv WHERE instr(v, ?1) > 0", -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, needle, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void values_are_stored_as_the_script_wrote_them(void)
{
    ami_store *net, *local;
    rt_stores(&net, &local);
    rt_logs logs;
    rt_logs_init(&logs);
    ami_runtime_result res;
    CHECK_RC(rt_run(net, local,
                    "await Stels.local.set(['l'], {tag: 'local', p: 0.1, q: 1e21, r: '\\u00e9\\ud83d\\ude00'});\n"
                    "await Stels.net.set(['n'], {tag: 'net', p: 0.1, big: 2 ** 70});\n"
                    "let caught = '';\n"
                    "const loop = {}; loop.self = loop;\n"
                    "try { await Stels.local.set(['x'], loop); } catch (e) { caught = e.name; }\n"
                    "logger.info(caught);\n",
                    &logs, &res));
    ami_runtime_result_dispose(&res);
    ami_store_free(net);
    ami_store_free(local);
    char text[512];
    stored_text(check_path("local.db"), "\"local\"", text, sizeof text);
    fprintf(stderr, "    local: %s\n", text);
    CHECK(strstr(text, "{\"tag\":\"local\",\"p\":0.1,\"q\":1e+21,\"r\":\"\xc3\xa9\xf0\x9f\x98\x80\"}") != NULL);
    stored_text(check_path("net.db"), "\"net\"", text, sizeof text);
    fprintf(stderr, "    net: %s\n", text);
    CHECK(strstr(text, "{\"tag\":\"net\",\"p\":0.1,\"big\":1.1805916207174113e+21}") != NULL);
    CHECK(json_array_size(logs.lines) == 1);
    if (json_array_size(logs.lines) == 1) CHECK_STR(rt_log_msg(&logs, 0), "TypeError");
    rt_logs_dispose(&logs);
}

int main(void)
{
    ami_init();
    RUN(values_are_stored_as_the_script_wrote_them);
    ami_shutdown();
    return check_done();
}
