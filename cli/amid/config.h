/* amid's configuration: a commented `key = value` file plus command-line overrides. */
#ifndef AMID_CONFIG_H
#define AMID_CONFIG_H
#include <stddef.h>

typedef struct amid_config amid_config;

/* An empty configuration (NULL when out of memory). */
amid_config *amid_config_new(void);
/*
 * Read a file into cfg: one `key = value` per line; `#` starts a comment
 * (whole line, or after whitespace); blank lines are skipped; later keys
 * replace earlier ones.  Returns 0, or -1 with a message ("FILE:LINE: …") in err.
 */
int amid_config_load(amid_config *cfg, const char *path, char *err, size_t errlen);
/* Set (or replace) a key (copied).  0 or -1 when out of memory. */
int amid_config_set(amid_config *cfg, const char *key, const char *value);
/* The value of key (borrowed), or NULL when absent. */
const char *amid_config_get(const amid_config *cfg, const char *key);
/* Integer value of key into *out; 1 when set and valid, 0 when absent, -1 when not an integer. */
int amid_config_int(const amid_config *cfg, const char *key, long long *out);
/* Mark a key as understood; amid_config_unknown lists keys nobody claimed. */
void amid_config_claim(amid_config *cfg, const char *key);
/* The first unclaimed key (borrowed), or NULL. */
const char *amid_config_unknown(const amid_config *cfg);
/* Copy every key of src into dst (replacing). 0 or -1 when out of memory. */
int amid_config_merge(amid_config *dst, const amid_config *src);
void amid_config_free(amid_config *cfg);
#endif
