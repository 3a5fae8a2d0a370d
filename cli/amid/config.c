/* amid's configuration file: `key = value` lines with `#` comments. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

typedef struct entry {
    char *key, *value;
    int claimed;
    struct entry *next;
} entry;

struct amid_config {
    entry *head;
};

amid_config *amid_config_new(void) { return calloc(1, sizeof(amid_config)); }

static entry *find(const amid_config *cfg, const char *key)
{
    for (entry *e = cfg->head; e; e = e->next)
        if (!strcmp(e->key, key)) return e;
    return NULL;
}

int amid_config_set(amid_config *cfg, const char *key, const char *value)
{
    char *v = strdup(value);
    if (!v) return -1;
    entry *e = find(cfg, key);
    if (e) {
        free(e->value);
        e->value = v;
        return 0;
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) {
        free(e);
        free(v);
        return -1;
    }
    e->value = v;
    e->next = cfg->head;
    cfg->head = e;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1])) *--end = '\0';
    return s;
}

int amid_config_load(amid_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        /* a comment starts at '#' at the beginning or after whitespace (values may hold '#') */
        for (char *p = line; *p; p++)
            if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) { *p = '\0'; break; }
        char *s = trim(line);
        if (!*s) continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected `key = value`", path, n);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        if (!*key) {
            snprintf(err, errlen, "%s:%d: empty key", path, n);
            fclose(f);
            return -1;
        }
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        if (amid_config_set(cfg, key, value)) {
            snprintf(err, errlen, "out of memory");
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

const char *amid_config_get(const amid_config *cfg, const char *key)
{
    entry *e = find(cfg, key);
    return e ? e->value : NULL;
}

int amid_config_int(const amid_config *cfg, const char *key, long long *out)
{
    const char *v = amid_config_get(cfg, key);
    if (!v) return 0;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end) return -1;
    *out = x;
    return 1;
}

void amid_config_claim(amid_config *cfg, const char *key)
{
    entry *e = find(cfg, key);
    if (e) e->claimed = 1;
}

const char *amid_config_unknown(const amid_config *cfg)
{
    for (entry *e = cfg->head; e; e = e->next)
        if (!e->claimed) return e->key;
    return NULL;
}

int amid_config_merge(amid_config *dst, const amid_config *src)
{
    for (entry *e = src->head; e; e = e->next)
        if (amid_config_set(dst, e->key, e->value)) return -1;
    return 0;
}

void amid_config_free(amid_config *cfg)
{
    if (!cfg) return;
    for (entry *e = cfg->head; e;) {
        entry *n = e->next;
        free(e->key);
        free(e->value);
        free(e);
        e = n;
    }
    free(cfg);
}
