/* Error classifier: an ordered rule table; host rules first, then the defaults. */
#include <pthread.h>
#include <string.h>
#include "ami/classify.h"
#include "core/core.h"
#include "util/util.h"

static ami_classifier *g_default;  /* the process default (ami_classifier_default) */

struct ami_classifier {
    pthread_rwlock_t lock;
    ami_classify_rule *rules;   /* texts owned (ami__strdup) */
    size_t n, cap;
    size_t n_host;              /* rules[0..n_host) were added by the host */
};

static const ami_classify_rule default_rules[] = {
    { AMI_RULE_NAME, "RequestTimeout", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_NAME, "NetworkError", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_NAME, "ConnectionRefused", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_NAME, "RateLimitExceeded", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_NAME, "InvalidAccessError", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_NAME, "AbortError", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_NAME, "ExchangeNotAvailable", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_NAME, "DDoSProtection", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_NAME, "TimeoutError", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_MESSAGE, "WebSocket", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_MESSAGE, "CloudFront", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_MESSAGE, "ECONNRESET", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_MESSAGE, "ECONNREFUSED", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_MESSAGE, "ETIMEDOUT", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_MESSAGE, "timed out", 0, 0, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_STATUS, NULL, 403, 403, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_STATUS, NULL, 429, 429, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_STATUS, NULL, 451, 451, AMI_ERRCLASS_NETWORK },
    { AMI_RULE_STATUS, NULL, 500, 599, AMI_ERRCLASS_NETWORK },
};
#define N_DEFAULT (sizeof default_rules / sizeof default_rules[0])

AMI_EXTERN(const char *) ami_errclass_name(ami_errclass cls)
{
    switch (cls) {
    case AMI_ERRCLASS_NETWORK: return "network";
    case AMI_ERRCLASS_CRITICAL: return "critical";
    default: return NULL;
    }
}

static int rule_valid(const ami_classify_rule *r)
{
    if (r->cls != AMI_ERRCLASS_NETWORK && r->cls != AMI_ERRCLASS_CRITICAL) return 0;
    switch (r->kind) {
    case AMI_RULE_NAME:
    case AMI_RULE_MESSAGE: return r->text && r->text[0];
    case AMI_RULE_STATUS: return r->status_min <= r->status_max;
    default: return 0;
    }
}

/* Insert a copy of *r at index `at` (caller holds the write lock). */
static int insert_rule(ami_classifier *c, size_t at, const ami_classify_rule *r)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        ami_classify_rule *p = ami_realloc(c->rules, cap * sizeof *p);
        if (!p) return ami__error_oom();
        c->rules = p;
        c->cap = cap;
    }
    ami_classify_rule copy = *r;
    if (r->text) {
        char *t = ami__strdup(r->text);
        if (!t) return ami__error_oom();
        copy.text = t;
    }
    memmove(c->rules + at + 1, c->rules + at, (c->n - at) * sizeof *c->rules);
    c->rules[at] = copy;
    c->n++;
    return 0;
}

static void clear_rules(ami_classifier *c)
{
    for (size_t i = 0; i < c->n; i++) ami_free((char *)c->rules[i].text);
    c->n = 0;
    c->n_host = 0;
}

AMI_EXTERN(int) ami_classifier_new(ami_classifier **out)
{
    if (!out) return ami__error_set(AMI_EINVAL, "ami_classifier_new: out is NULL");
    *out = NULL;
    ami_classifier *c = ami_malloc(sizeof *c);
    if (!c) return ami__error_oom();
    memset(c, 0, sizeof *c);
    pthread_rwlock_init(&c->lock, NULL);
    for (size_t i = 0; i < N_DEFAULT; i++) {
        int rc = insert_rule(c, c->n, &default_rules[i]);
        if (rc) {
            ami_classifier_free(c);
            return rc;
        }
    }
    *out = c;
    return 0;
}

AMI_EXTERN(void) ami_classifier_free(ami_classifier *c)
{
    if (!c || c == g_default) return;
    clear_rules(c);
    ami_free(c->rules);
    pthread_rwlock_destroy(&c->lock);
    ami_free(c);
}

AMI_EXTERN(int) ami_classifier_add_rule(ami_classifier *c, const ami_classify_rule *rule)
{
    if (!c || !rule) return ami__error_set(AMI_EINVAL, "ami_classifier_add_rule: NULL argument");
    if (!rule_valid(rule))
        return ami__error_set(AMI_EINVAL, "classifier rule: unknown kind or class, empty text, or empty status range");
    pthread_rwlock_wrlock(&c->lock);
    int rc = insert_rule(c, c->n_host, rule);
    if (!rc) c->n_host++;
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

AMI_EXTERN(void) ami_classifier_clear(ami_classifier *c)
{
    if (!c) return;
    pthread_rwlock_wrlock(&c->lock);
    clear_rules(c);
    pthread_rwlock_unlock(&c->lock);
}

AMI_EXTERN(size_t) ami_classifier_count(ami_classifier *c)
{
    if (!c) return 0;
    pthread_rwlock_rdlock(&c->lock);
    size_t n = c->n;
    pthread_rwlock_unlock(&c->lock);
    return n;
}

static int lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch; }

/* ASCII case-insensitive substring test (UTF-8 bytes above 0x7f compare exactly). */
static int contains_nocase(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < nl && hay[i] && lower((unsigned char)hay[i]) == lower((unsigned char)needle[i])) i++;
        if (i == nl) return 1;
    }
    return 0;
}

static int rule_matches(const ami_classify_rule *r, const char *name, const char *message, int status)
{
    switch (r->kind) {
    case AMI_RULE_NAME: return name && strcmp(name, r->text) == 0;
    case AMI_RULE_MESSAGE: return message && contains_nocase(message, r->text);
    case AMI_RULE_STATUS: return status > 0 && status >= r->status_min && status <= r->status_max;
    default: return 0;
    }
}

AMI_EXTERN(ami_errclass) ami_classifier_classify(ami_classifier *c, const char *name,
                                                 const char *message, int status)
{
    if (!c) c = ami_classifier_default();
    if (!c) return AMI_ERRCLASS_CRITICAL;  /* out of memory creating the default */
    ami_errclass cls = AMI_ERRCLASS_CRITICAL;
    pthread_rwlock_rdlock(&c->lock);
    for (size_t i = 0; i < c->n; i++) {
        if (rule_matches(&c->rules[i], name, message, status)) {
            cls = c->rules[i].cls;
            break;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return cls;
}

static pthread_once_t g_default_once = PTHREAD_ONCE_INIT;

static void make_default(void)
{
    ami_classifier *c = NULL;
    if (ami_classifier_new(&c) == 0) g_default = c;
}

AMI_EXTERN(ami_classifier *) ami_classifier_default(void)
{
    pthread_once(&g_default_once, make_default);
    return g_default;
}
