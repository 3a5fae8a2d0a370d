/* Claim: ami_store_open accepts a bare path, sqlite:PATH and ?sync=full, and refuses the rest with clear codes. */
#include <sqlite3.h>
#include <sys/stat.h>
#include "check.h"

static void roundtrip_value(ami_store *s, const char *tag)
{
    json_t *k = ami_key_new("uri", tag, NULL), *v = json_string(tag), *e = NULL;
    ami_versionstamp vs;
    CHECK_RC(ami_store_set(s, k, v, 0, vs));
    CHECK_RC(ami_store_get(&e, s, k));
    CHECK_JSON_EQ(json_object_get(e, "value"), v);
    json_decref(e); json_decref(k); json_decref(v);
}

static char *pragma_text(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static void bare_path(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s", check_path("bare.db"));
    ami_store *s = NULL;
    CHECK_RC(ami_store_open(&s, p));
    REQUIRE(s);
    roundtrip_value(s, "bare");
    unsigned caps = ami_store_capabilities(s);
    CHECK(caps & AMI_STORE_CAP_CAS);
    CHECK(caps & AMI_STORE_CAP_WATCH);
    CHECK(caps & AMI_STORE_CAP_TTL);
    ami_store_free(s);
    struct stat st;
    CHECK(stat(p, &st) == 0);
    char *mode = pragma_text(p, "PRAGMA journal_mode");
    CHECK_STR(mode, "wal");
    free(mode);
}

static void sqlite_scheme(void)
{
    char p[512], uri[600];
    snprintf(p, sizeof p, "%s", check_path("scheme.db"));
    snprintf(uri, sizeof uri, "sqlite:%s", p);
    ami_store *s = NULL;
    CHECK_RC(ami_store_open(&s, uri));
    REQUIRE(s);
    roundtrip_value(s, "scheme");
    ami_store_free(s);
    /* the same file again, through sqlite:// and with sync options */
    snprintf(uri, sizeof uri, "sqlite://%s?sync=full", p);
    CHECK_RC(ami_store_open(&s, uri));
    REQUIRE(s);
    json_t *k = ami_key_new("uri", "scheme", NULL), *e = NULL;
    CHECK_RC(ami_store_get(&e, s, k));
    CHECK_STR(json_string_value(json_object_get(e, "value")), "scheme");
    json_decref(e); json_decref(k);
    roundtrip_value(s, "full");
    ami_store_free(s);
    snprintf(uri, sizeof uri, "sqlite:%s?sync=normal", p);
    CHECK_RC(ami_store_open(&s, uri));
    ami_store_free(s);
}

static void refusals(void)
{
    ami_store *s = (ami_store *)1;
    /* etcd:// goes to the etcd backend: nothing listens on port 1, and the error names the endpoints tried */
    CHECK_INT(ami_store_open(&s, "etcd://127.0.0.1:1,127.0.0.2:1/net"), AMI_EIO);
    CHECK(s == NULL);
    CHECK(strstr(ami_error_last(), "127.0.0.1:1") != NULL);
    CHECK(strstr(ami_error_last(), "127.0.0.2:1") != NULL);
    CHECK_INT(ami_store_open(&s, "etcd://"), AMI_EINVAL);
    CHECK_INT(ami_store_open(&s, "etcd://127.0.0.1"), AMI_EINVAL);
    CHECK(strstr(ami_error_last(), "port") != NULL);
    CHECK_INT(ami_store_open(&s, "etcd://127.0.0.1:1?colour=red"), AMI_EINVAL);
    CHECK(strstr(ami_error_last(), "colour") != NULL);
    CHECK_INT(ami_store_open(&s, "etcd://127.0.0.1:1?cacert=/x"), AMI_EINVAL);
    CHECK(strstr(ami_error_last(), "etcds") != NULL);
    CHECK_INT(ami_store_open(&s, "etcd://user:secret@127.0.0.1:1"), AMI_EINVAL);
    CHECK(strstr(ami_error_last(), "secret") == NULL);
    CHECK_INT(ami_store_open(&s, ""), AMI_EINVAL);
    CHECK_INT(ami_store_open(&s, NULL), AMI_EINVAL);
    CHECK_INT(ami_store_open(&s, "sqlite:"), AMI_EINVAL);
    CHECK_INT(ami_store_open(&s, "redis://localhost"), AMI_EINVAL);
    CHECK(strstr(ami_error_last(), "scheme") != NULL);
    char uri[600];
    snprintf(uri, sizeof uri, "sqlite:%s?sync=sometimes", check_path("x.db"));
    CHECK_INT(ami_store_open(&s, uri), AMI_EINVAL);
    CHECK(strstr(ami_error_last(), "sync") != NULL);
    CHECK_INT(ami_store_open(&s, "sqlite:file:x.db"), AMI_EINVAL);
}

static void bad_path_is_eio(void)
{
    ami_store *s = NULL;
    char p[600];
    snprintf(p, sizeof p, "%s/no/such/dir/x.db", check_tmpdir());
    CHECK_INT(ami_store_open(&s, p), AMI_EIO);
    CHECK(s == NULL);
    CHECK(strstr(ami_error_last(), "no/such/dir") != NULL);
    /* a file that is not a database */
    snprintf(p, sizeof p, "%s", check_path("garbage.db"));
    FILE *f = fopen(p, "w");
    REQUIRE(f);
    for (int i = 0; i < 200; i++) fputs("this is not an sqlite database file\n", f);
    fclose(f);
    CHECK_INT(ami_store_open(&s, p), AMI_EIO);
    CHECK(s == NULL);
    CHECK(ami_error_last()[0] != '\0');
}

int main(void)
{
    RUN(bare_path);
    RUN(sqlite_scheme);
    RUN(refusals);
    RUN(bad_path_is_eio);
    return check_done();
}
