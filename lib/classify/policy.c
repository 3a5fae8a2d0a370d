/* Retry policy: counters per instance and the decision after each error. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "ami/classify.h"
#include "core/core.h"

static const ami_policy default_policy = AMI_POLICY_INIT;

/* Local names so this area does not depend on the registry's enum helpers. */
static const char *priority_names[] = { "critical", "high", "normal", "low" };

AMI_EXTERN(int64_t) ami_policy_backoff_ms(const ami_policy *p, ami_errclass cls, unsigned int k)
{
    if (!p) p = &default_policy;
    int64_t base, max;
    double factor;
    if (cls == AMI_ERRCLASS_NETWORK) {
        base = p->network_backoff_ms; factor = p->network_backoff_factor; max = p->network_backoff_max_ms;
    } else if (cls == AMI_ERRCLASS_CRITICAL) {
        base = p->critical_backoff_ms; factor = p->critical_backoff_factor; max = p->critical_backoff_max_ms;
    } else {
        return 0;
    }
    if (k == 0 || base <= 0) return 0;
    /* Multiply step by step so a long streak cannot overflow; stop at the cap. */
    double d = (double)base;
    for (unsigned int i = 1; i < k; i++) {
        if ((max > 0 && d >= (double)max) || d > 1e15) break;
        d *= factor;
    }
    if (max > 0 && d >= (double)max) return max;
    if (d > 1e15) d = 1e15;
    return (int64_t)llround(d);
}

AMI_EXTERN(void) ami_policy_on_success(ami_policy_state *st)
{
    if (!st) return;
    st->executions++;
    st->consecutive_errors = 0;
    st->consecutive_network = 0;
    st->consecutive_critical = 0;
}

AMI_EXTERN(int) ami_policy_on_error(ami_policy_decision *out, ami_policy_state *st,
                                    const ami_policy *p, ami_priority priority, ami_errclass cls)
{
    if (!out || !st) return ami__error_set(AMI_EINVAL, "ami_policy_on_error: NULL argument");
    if (!p) p = &default_policy;
    if (p->version != AMI_POLICY_VERSION)
        return ami__error_set(AMI_EINVAL, "ami_policy: version %u, expected %u", p->version, AMI_POLICY_VERSION);
    if ((unsigned)priority > AMI_PRIORITY_LOW)
        return ami__error_set(AMI_EINVAL, "ami_policy_on_error: unknown priority %d", (int)priority);
    if (cls != AMI_ERRCLASS_NETWORK && cls != AMI_ERRCLASS_CRITICAL)
        return ami__error_set(AMI_EINVAL, "ami_policy_on_error: unknown error class %d", (int)cls);

    st->executions++;
    st->errors++;
    st->consecutive_errors++;
    st->last_class = cls;
    if (cls == AMI_ERRCLASS_NETWORK) {
        st->network_errors++;
        st->consecutive_network++;
    } else {
        st->critical_errors++;
        st->consecutive_critical++;
    }

    memset(out, 0, sizeof *out);
    unsigned int tol = p->critical_tolerance[priority];
    if (cls == AMI_ERRCLASS_CRITICAL && tol && st->consecutive_critical >= tol) {
        out->kind = AMI_DECISION_STOP;
        snprintf(out->reason, sizeof out->reason, "%u consecutive critical errors (tolerance of priority %s)",
                 st->consecutive_critical, priority_names[priority]);
        return 0;
    }
    if (p->max_consecutive_errors && st->consecutive_errors >= p->max_consecutive_errors) {
        out->kind = AMI_DECISION_STOP;
        snprintf(out->reason, sizeof out->reason, "%u consecutive errors of any kind", st->consecutive_errors);
        return 0;
    }
    if (cls == AMI_ERRCLASS_NETWORK && p->network_pause_after &&
        st->consecutive_network % p->network_pause_after == 0) {
        out->kind = AMI_DECISION_PAUSE;
        out->delay_ms = p->network_pause_ms;
        snprintf(out->reason, sizeof out->reason, "%u consecutive network errors: pausing %lld s",
                 st->consecutive_network, (long long)(p->network_pause_ms / 1000));
        return 0;
    }
    out->kind = AMI_DECISION_RETRY;
    out->delay_ms = ami_policy_backoff_ms(p, cls,
                                          cls == AMI_ERRCLASS_NETWORK ? st->consecutive_network
                                                                      : st->consecutive_critical);
    return 0;
}
