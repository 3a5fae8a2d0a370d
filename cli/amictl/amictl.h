/* amictl internals: global options, the command table, output helpers. */
#ifndef AMICTL_H
#define AMICTL_H
#include <stdio.h>
#include "ami.h"

/* Global options, parsed before the command name. */
typedef struct amictl_options {
    const char *db;      /* --db PATH, AMI_DB, default ./ami.db */
    const char *nid;     /* --nid N, AMI_NID, default s-0001 (used when creating workers) */
    int json;            /* --json: exact JSON on stdout */
} amictl_options;
extern amictl_options amictl_opts;

typedef int (*amictl_cmd_fn)(int argc, char **argv);

/* Exit statuses. */
enum { AMICTL_OK = 0, AMICTL_FAIL = 1, AMICTL_USAGE = 2 };

/* Open the store named by --db/AMI_DB; prints the error and returns NULL on failure. */
ami_store *amictl_open_store(void);
/* Print "amictl: <what>: <last error>" on stderr; returns AMICTL_FAIL. */
int amictl_fail(const char *what);
/* Print a usage error on stderr; returns AMICTL_USAGE. */
int amictl_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print JSON (pretty when on a terminal, compact otherwise) on stdout. */
void amictl_print_json(const json_t *j);
/* Resolve a worker id or unique prefix; prints the error and returns NULL on failure (free with ami_free). */
char *amictl_resolve_sid(ami_store *store, const char *prefix);
/* Read a whole file ("-" = stdin) into a NUL-terminated string (free with free()); NULL + message on error. */
char *amictl_read_file(const char *path, size_t *len);
/* Is --help/-h among argv[1..]? */
int amictl_wants_help(int argc, char **argv);

/* Human output. */
void amictl_print_worker_table(const json_t *entries);
void amictl_print_worker(const json_t *entry);

/* Commands. */
int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_stop_all(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
#endif
