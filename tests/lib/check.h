/* Tiny test helpers: each test program makes one claim, in a few named cases. */
#ifndef AMI_TEST_CHECK_H
#define AMI_TEST_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "ami.h"

extern int check_failures;

#define CHECK(cond) do { if (!(cond)) { check_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, ami_error_last()); } } while (0)
#define CHECK_RC(expr) do { int rc_ = (expr); if (rc_ != 0) { check_failures++; \
    fprintf(stderr, "%s:%d: %s returned %d (%s): %s\n", __FILE__, __LINE__, #expr, rc_, ami_strerror(rc_), ami_error_last()); } } while (0)
#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); if (a_ != b_) { check_failures++; \
    fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, a_, #b, b_); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); if (!a_ || !b_ || strcmp(a_, b_)) { check_failures++; \
    fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)
/* Abort the program when a precondition fails (later checks would be noise). */
#define REQUIRE(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: REQUIRE failed: %s (last error: %s)\n", \
    __FILE__, __LINE__, #cond, ami_error_last()); exit(1); } } while (0)

/* Run a named case; prints its name and result. */
#define RUN(fn) do { int before_ = check_failures; fn(); \
    fprintf(stderr, "%s %s\n", check_failures == before_ ? "  pass" : "  FAIL", #fn); } while (0)
/* End of main: prints a summary and returns the exit status. */
int check_done(void);

/* A fresh temporary directory for this test (removed at exit unless AMI_KEEP_TMP is set). */
const char *check_tmpdir(void);
/* Path inside check_tmpdir(): returns a buffer of the calling thread (copy it if you need two).
 * Call check_tmpdir() from main before starting threads: it creates the directory once. */
const char *check_path(const char *name);
/* The store URI a store test opens as `name`: a SQLite file in check_tmpdir(), or, when
 * AMI_TEST_ETCD holds etcd endpoints ("127.0.0.1:P[,…]", tests/lib/etcd.sh sets it), a fresh
 * prefix of that etcd (the same name gives the same store within one run). Buffer of the
 * calling thread. */
const char *check_store_uri(const char *name);
/* Keys etcd holds under the store check_store_uri(name) opened (expired or not); -1 on error. */
long check_etcd_raw_count(const char *name);
/* POST JSON `body` to `path` of the first AMI_TEST_ETCD endpoint's gateway; the parsed answer or NULL. */
json_t *check_etcd_post(const char *path, const char *body);
/* Is AMI_TEST_ETCD set (the store tests run on etcd)? */
int check_store_is_etcd(void);
/* The build directory (AMI_BUILD, default "build"). */
const char *check_build_dir(void);
/* Run a shell command; its stdout (at most cap-1 bytes) goes into out, NUL-terminated;
 * *rc (may be NULL) gets the exit status (-1 when it did not exit). Returns out. */
const char *check_run(char *out, size_t cap, int *rc, const char *cmd);
/* Starts an etcd cluster of `members` members in check_tmpdir() (tests/lib/etcd.sh, stopped
 * at exit) and writes their endpoints ("127.0.0.1:P[,…]") to `eps`: 1, or 0 with a SKIP line
 * printed when etcd is not installed.  Call it once per process. */
int check_etcd_start(char *eps, size_t cap, int members);
/* Calls fn once per thread of this process (/proc/self/task/TID/stat) with the thread's name,
 * its stat fields after the name, from the state on (proc(5): field 3 onwards), and its
 * directory ("/proc/self/task/TID", for its other files). fn may be NULL. Returns how many
 * threads were read. */
int check_each_thread(void (*fn)(const char *name, const char *fields, const char *dir, void *arg), void *arg);
/* Voluntary context switches (sleeps ended, nearly) of this process's threads named `name`, summed. */
long check_thread_switches(const char *name);
/* This process's resident memory (VmRSS), KiB; -1 when it cannot be read. */
long check_rss_kb(void);
/* Parse JSON text or abort. */
json_t *check_json(const char *text);
/* Compare JSON values; prints both on mismatch. */
#define CHECK_JSON_EQ(a, b) do { if (!check_json_equal((a), (b), __FILE__, __LINE__)) check_failures++; } while (0)
int check_json_equal(const json_t *a, const json_t *b, const char *file, int line);
#endif
