/* Worker enums ↔ wire names, priority delays, script hash. */
#include <string.h>
#include "core/core.h"
#include "util/util.h"
#include "ami/worker.h"

static const char *const exec_names[] = { "parallel", "leader", "exclusive" };
static const char *const prio_names[] = { "critical", "high", "normal", "low" };
static const char *const run_names[] = { "loop", "single" };
static const char *const scope_names[] = { "network", "local" };

#define NAME_OF(tab, v) ((unsigned)(v) < sizeof(tab) / sizeof(tab[0]) ? tab[v] : "unknown")

AMI_EXTERN(const char *) ami_exec_mode_name(ami_exec_mode m) { return NAME_OF(exec_names, m); }
AMI_EXTERN(const char *) ami_priority_name(ami_priority p) { return NAME_OF(prio_names, p); }
AMI_EXTERN(const char *) ami_run_mode_name(ami_run_mode m) { return NAME_OF(run_names, m); }
AMI_EXTERN(const char *) ami_scope_name(ami_scope s) { return NAME_OF(scope_names, s); }

static int parse(int *out, const char *name, const char *const *tab, size_t n, const char *field,
                 const char *valid)
{
    for (size_t i = 0; name && i < n; i++)
        if (!strcmp(name, tab[i])) { *out = (int)i; return 0; }
    return ami__error_set(AMI_EINVAL, "Invalid %s: '%s' (expected %s)", field, name ? name : "(null)", valid);
}

AMI_EXTERN(int) ami_exec_mode_parse(ami_exec_mode *out, const char *name)
{
    int v = 0, rc = parse(&v, name, exec_names, 3, "executionMode", "parallel, leader or exclusive");
    if (!rc) *out = (ami_exec_mode)v;
    return rc;
}
AMI_EXTERN(int) ami_priority_parse(ami_priority *out, const char *name)
{
    int v = 0, rc = parse(&v, name, prio_names, 4, "priority", "critical, high, normal or low");
    if (!rc) *out = (ami_priority)v;
    return rc;
}
AMI_EXTERN(int) ami_run_mode_parse(ami_run_mode *out, const char *name)
{
    int v = 0, rc = parse(&v, name, run_names, 2, "mode", "loop or single");
    if (!rc) *out = (ami_run_mode)v;
    return rc;
}
AMI_EXTERN(int) ami_scope_parse(ami_scope *out, const char *name)
{
    int v = 0, rc = parse(&v, name, scope_names, 2, "scope", "network or local");
    if (!rc) *out = (ami_scope)v;
    return rc;
}

AMI_EXTERN(int) ami_priority_delay_ms(ami_priority p)
{
    switch (p) {
    case AMI_PRIORITY_CRITICAL: return 1;
    case AMI_PRIORITY_HIGH: return 10;
    case AMI_PRIORITY_LOW: return 1000;
    default: return 100;
    }
}

AMI_EXTERN(void) ami_worker_script_hash(char out[9], const char *script, size_t len)
{
    char hex[65];
    ami__sha256_hex(script, len, hex);
    memcpy(out, hex, 8);
    out[8] = '\0';
}
