/* Internal to the store area: key bytes, versionstamps, and backend constructors. */
#ifndef AMI_STORE_INTERNAL_H
#define AMI_STORE_INTERNAL_H
#include <stdint.h>
#include "ami/store.h"
#include "ami/sys/store_backend.h"

/*
 * Key encoding type bytes (FoundationDB tuple-layer codes, as Deno KV uses
 * them), which also fix the order between types: string < number < false < true.
 * No encoded key contains a leading 0xFF, so enc(P)+0xFF bounds every key under P.
 */
#define AMI__KEY_STRING 0x02
#define AMI__KEY_NUMBER 0x21
#define AMI__KEY_FALSE  0x26
#define AMI__KEY_TRUE   0x27

/* Like ami_key_encode, but an empty array is allowed (encodes to nothing). */
int ami__key_encode_any(ami_buf *out, const json_t *key);

/* Versionstamp <-> commit counter: 16 hex digits of the counter, then "0000". */
void ami__vs_format(ami_versionstamp out, uint64_t counter);
/* Parse a versionstamp; "" or NULL gives 0.  AMI_EINVAL (with message) when malformed. */
int ami__vs_parse(uint64_t *out, const char *vs);

/* Open the SQLite backend on `path` (created when missing). sync_full: synchronous=FULL. */
int ami__sqlite_backend_open(ami_store_backend **out, const char *path, int sync_full);

/* Open the etcd v3 backend on an etcd:// or etcds:// URI (lib/store/etcd/etcd.c). */
int ami__etcd_backend_open(ami_store_backend **out, const char *uri);

/* SQLite: the encoded keys written or deleted by commits after `after` (this
 * handle's own and, while the file is shared, every handle's; a key may come
 * more than once), at most `max`.  0: that was every one of them up to at
 * least the newest commit a watch on this handle has reported; 1: some may be
 * missing (pruned log, more than `max`, busy): treat every key as changed.
 * AMI_EUNSUPPORTED for another backend.  Does not block commits for long (the watch connection). */
typedef void (*ami__change_fn)(const unsigned char *key, size_t key_len, void *payload);
int ami__sqlite_changes(ami_store_backend *be, const char *after, size_t max, ami__change_fn fn, void *payload);

/* etcd: the same from the hub's log of recent changes (the stream over the whole
 * prefix that the handle's first watch started): 1 when that log cannot tell (no
 * hub yet, `after` older than it, more than `max` keys, or a commit of this
 * handle that the stream has not caught up with within 200 ms).
 * AMI_EUNSUPPORTED for another backend. */
int ami__etcd_changes(ami_store_backend *be, const char *after, size_t max, ami__change_fn fn, void *payload);
/* etcd: the backend's get as a serializable read: the answering member's own
 * state, which may lag the cluster by what it has not applied yet, without the
 * ReadIndex round of a linearizable read (which etcd retries only every 500 ms
 * when its answer is late, while txns still commit).  For a read whose result
 * a compare-and-set checks anyway.  AMI_EUNSUPPORTED for another backend. */
int ami__etcd_get_serializable(ami_store_backend *be, const unsigned char *key, size_t key_len, ami_buf *value,
                               ami_versionstamp vs);
/* ami_store_get_text, but on etcd a serializable read (ami__etcd_get_serializable): for
 * a value only used to build a compare-and-set, which fails if the value was stale.
 * Other backends answer as ami_store_get_text. */
int ami__store_get_text_stale_ok(ami_buf *value, ami_versionstamp vs, ami_store *store, const json_t *key);
/* ami__sqlite_changes or ami__etcd_changes, as the handle's backend is; AMI_EUNSUPPORTED for another. */
int ami__store_changes(ami_store *store, const char *after, size_t max, ami__change_fn fn, void *payload);

/* SQLite: a number that changes whenever anyone commits to the file, this handle
 * included (PRAGMA data_version on the watch connection, which never writes): one
 * read transaction, no table read.  AMI_EUNSUPPORTED for another backend or
 * ":memory:"; AMI_EBUSY when it could not be read. */
int ami__sqlite_data_version(ami_store_backend *be, int64_t *out);
/* SQLite: how many times this handle's watchers polled whether another connection
 * committed (PRAGMA data_version checks on a timer, not the -wal notifier's checks,
 * which follow writes): the idle wake-ups a change feed costs, for tests.
 * AMI_EUNSUPPORTED for another backend. */
int ami__sqlite_polls(ami_store_backend *be, uint64_t *out);
/* SQLite: the earliest expiry (wall ms) after now_ms of any entry, INT64_MAX when none
 * will expire: until then, and while the data version holds, every read answers the
 * same.  AMI_EUNSUPPORTED for another backend or ":memory:"; AMI_EBUSY. */
int ami__sqlite_next_expiry(ami_store_backend *be, int64_t now_ms, int64_t *out);

/* Tests: keep `log_keep` commits in the change log, pruning every `log_prune_every` commits. */
void ami__sqlite_backend_tune(ami_store_backend *be, long log_keep, long log_prune_every);
/* Tests: commits run by group commit so far: transactions, and the batches they held. */
void ami__sqlite_backend_group_stats(ami_store_backend *be, uint64_t *groups, uint64_t *batches);
/* Tests: WAL checkpoints run after a commit by a group without a heavy batch, and with one. */
void ami__sqlite_backend_checkpoint_stats(ami_store_backend *be, uint64_t *light, uint64_t *heavy);
/* Tests: heavy batches (HEAVY_BYTES of keys and values and more) committed so far, those
 * a thread other than their own ran (group commit keeps it 0), the batches waiting in the
 * queue now, and whether a group is running now. */
void ami__sqlite_backend_heavy_stats(ami_store_backend *be, uint64_t *heavy, uint64_t *heavy_other, size_t *queued,
                                     int *running);
/* ami_store_list's range and snapshot without building JSON values: each entry is
 * handed to cb as the backend gives it (encoded key, value text, versionstamp);
 * cb returns non-zero to stop.  Errors as ami_store_list. */
int ami__store_list_raw(ami_store *store, const ami_list_options *opts, ami_store_list_cb cb, void *payload);
/* ami_store_set with the value given as its JSON text (`len` bytes, valid JSON in
 * UTF-8, checked by the caller: it is stored as given, not parsed again).  For a
 * caller that holds the text already (a script's Stels.*.set): serialising a
 * parsed copy again cost a 60 KB string ~4 M instructions.  Errors as ami_store_set. */
int ami__store_set_text(ami_store *store, const json_t *key, const char *text, size_t len, int64_t expire_in_ms,
                        ami_versionstamp vs);
/* The entry ami_store_list with keep_corrupt makes of one listed record (a
 * reference to `key` taken): {key, value, versionstamp}, or with value null
 * and "corrupt" when the text is not JSON.  NULL when out of memory. */
json_t *ami__store_entry_from_text(const json_t *key, const char *value, size_t value_len, const char *vs);
/* The backend behind a store handle (borrowed). */
ami_store_backend *ami__store_backend(ami_store *store);

#endif
