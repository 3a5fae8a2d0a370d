/* amictl internals: global options, the command table, the client layer, output helpers. */
#ifndef AMICTL_H
#define AMICTL_H
#include <stdio.h>
#include "ami.h"

/* Global options, parsed before the command name. */
typedef struct amictl_options {
    const char *db;      /* --db PATH, AMI_DB, default ./ami.db (embedded mode) */
    const char *url;     /* --url URL, AMI_URL (remote mode: WebFIX over HTTP) */
    const char *key;     /* --key FILE, AMI_KEY: PEM private key for the signed login */
    const char *nid;     /* --nid N, AMI_NID, default s-0001 (creator of workers in embedded mode) */
    const char *network; /* --network NAME, AMI_NETWORK, default localnet (log keys in embedded mode) */
    int json;            /* --json, -o json: exact JSON on stdout */
    int wide;            /* -o wide: tables with every column and full ids */
    ami_webfix_scope scope; /* --scope: stats and logs of the whole cluster (default) or of --nid only (embedded) */
    int creates_store;   /* the command may create the store (create, run); others need an existing one */
    int color;           /* stdout is a terminal and NO_COLOR is unset */
    const char *cmd;     /* the command being run, for messages */
} amictl_options;
extern amictl_options amictl_opts;

typedef int (*amictl_cmd_fn)(int argc, char **argv);

/* Exit statuses. */
enum { AMICTL_OK = 0, AMICTL_FAIL = 1, AMICTL_USAGE = 2 };

/* ---- client: the WebFIX methods, run in-process (embedded) or over HTTP (remote) ---- */

/*
 * Call a WebFIX method with `body` (stolen; NULL = {}).  On success *out is
 * the result (caller's) and AMICTL_OK is returned; on failure the message is
 * printed on stderr ("amictl CMD: …") and AMICTL_FAIL returned.  *partial (may
 * be NULL) is set when the call partly failed (HTTP 207).
 */
int amictl_call(json_t **out, int *partial, const char *method, json_t *body);
/* Resolve a worker id or unique prefix through listWorkers; prints the error and returns NULL on failure (free()). */
char *amictl_resolve_sid(const char *prefix);
/* Close the embedded store / HTTP handle. */
void amictl_client_close(void);
/* Does the --db store exist (reading commands refuse to create one)? */
int amictl_store_exists(void);
/* Is this remote mode (--url)? */
int amictl_remote(void);
/* A fresh signed login with --key at --url (not cached): *out is {session, expiresAt, role}; prints errors. */
int amictl_remote_new_session(json_t **out);
/* One raw WebFIX call at --url with the given session (may be NULL): *out the parsed answer, *status the HTTP status. */
int amictl_remote_post(json_t **out, int *status, const char *method, const char *session);

/* ---- helpers ---- */

/* Print "amictl CMD: <what>: <last error>" on stderr; returns AMICTL_FAIL. */
int amictl_fail(const char *what);
/* Print "amictl CMD: <message>" on stderr; returns AMICTL_FAIL. */
int amictl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a usage error on stderr; returns AMICTL_USAGE. */
int amictl_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print JSON (pretty when on a terminal, compact otherwise) on stdout. */
void amictl_print_json(const json_t *j);
/* Read a whole file ("-" = stdin) into a NUL-terminated string (free with free()); NULL + message on error. */
char *amictl_read_file(const char *path, size_t *len);
/* Is --help/-h among argv[1..]? */
int amictl_wants_help(int argc, char **argv);
/* Parse a non-negative integer option value; -1 when malformed. */
long amictl_parse_count(const char *s);

/* ---- output ---- */

/* Colour escape when colour is on, else "". */
const char *amictl_c(const char *code);
#define C_RESET amictl_c("0")
#define C_BOLD amictl_c("1")
#define C_DIM amictl_c("2")
#define C_RED amictl_c("31")
#define C_GREEN amictl_c("32")
#define C_YELLOW amictl_c("33")
#define C_BLUE amictl_c("34")
#define C_MAGENTA amictl_c("35")

/* "5s", "3m", "2h", "4d" */
void amictl_fmt_duration(char *out, size_t n, long long ms);
/* "2026-11-23 16:30:45" in local time (or "-" for ms <= 0) */
void amictl_fmt_time(char *out, size_t n, long long ms);
/* A string field, or "-" when absent/null. */
const char *amictl_str(const json_t *o, const char *k);

/* nodes: listNodes result (live nodes) or NULL; exclusive workers assigned to a node not in it are flagged. */
void amictl_print_worker_table(const json_t *entries, const json_t *nodes);
void amictl_print_worker(const json_t *entry);
void amictl_print_stats(const json_t *stats);
void amictl_print_leader(const json_t *info, long long now);
void amictl_print_nodes(const json_t *nodes);
void amictl_print_log_line(const json_t *line);
void amictl_print_templates(const json_t *templates);

/* ---- commands ---- */
int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_stop_all(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_leader(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_nodes(int argc, char **argv);
int cmd_templates(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_console(int argc, char **argv);
#endif
