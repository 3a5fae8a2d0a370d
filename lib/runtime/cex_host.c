/*
 * Connectors registered by the host (include/ami/cex.h): the process-wide
 * table and host.cexHosted(), which hands the prelude's Stels.runtime.cex
 * (lib/runtime/js/cex.js) one native call function per connector.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "ami/cex.h"
#include "runtime/internal.h"
#include "core/core.h"
#include "util/util.h"

enum { CEX_MAX = 32 };
static pthread_mutex_t cex_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { char id[33]; ami_cex_call_fn call; void *payload; } cex_table[CEX_MAX];
static int cex_count;

AMI_EXTERN(int) ami_cex_register(const ami_cex_connector *c)
{
    if (!c || c->version != AMI_CEX_CONNECTOR_VERSION) return ami__error_set(AMI_EINVAL, "cex: missing connector or bad version");
    if (!c->call) return ami__error_set(AMI_EINVAL, "cex: the connector has no call function");
    size_t n = c->id ? strlen(c->id) : 0;
    if (n < 1 || n > 32 || strspn(c->id, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
        return ami__error_set(AMI_EINVAL, "cex: the id must be 1 to 32 of a-z, 0-9 and _");
    static const char *const builtin[] = { "paper", "binance", "bybit", "exchanges", "version", "Exchange", NULL };
    for (int i = 0; builtin[i]; i++)
        if (!strcmp(c->id, builtin[i])) return ami__error_set(AMI_EINVAL, "cex: \"%s\" is built in", c->id);
    pthread_mutex_lock(&cex_mu);
    int rc = 0;
    for (int i = 0; i < cex_count && !rc; i++)
        if (!strcmp(cex_table[i].id, c->id)) rc = ami__error_set(AMI_ECONFLICT, "cex: \"%s\" is registered already", c->id);
    if (!rc && cex_count == CEX_MAX) rc = ami__error_set(AMI_EINVAL, "cex: at most %d connectors", CEX_MAX);
    if (!rc) {
        memcpy(cex_table[cex_count].id, c->id, n + 1);
        cex_table[cex_count].call = c->call;
        cex_table[cex_count].payload = c->payload;
        __atomic_store_n(&cex_count, cex_count + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&cex_mu);
    return rc;
}

/* call(method, argsJSON) -> JSON text; throws the connector's error class */
static duk_ret_t h_cex_call(duk_context *ctx)
{
    duk_push_current_function(ctx);
    duk_get_prop_string(ctx, -1, "\xff" "i");
    int i = duk_get_int(ctx, -1);
    duk_pop_2(ctx);
    const char *method = duk_require_string(ctx, 0), *args = duk_require_string(ctx, 1);
    if (i < 0 || i >= __atomic_load_n(&cex_count, __ATOMIC_ACQUIRE)) return DUK_RET_RANGE_ERROR;
    char *out = NULL, msg[512] = "";
    const char *name = NULL;
    int rc = cex_table[i].call(cex_table[i].payload, method, args, &out, &name, msg, sizeof msg);
    msg[sizeof msg - 1] = '\0';
    if (rc == AMI_EUNSUPPORTED) {
        ami_free(out);
        return ami__runtime_throw(ctx, "NotSupported", "%s %s() is not supported", cex_table[i].id, method);
    }
    if (rc) {
        ami_free(out);
        return ami__runtime_throw(ctx, name && *name ? name : "ExchangeError", "%s %s: %s", cex_table[i].id, method,
                                  msg[0] ? msg : "failed");
    }
    if (out) duk_push_string(ctx, out); else duk_push_null(ctx);
    ami_free(out);
    return 1;
}

/* host.cexHosted() -> [{id, call}] */
duk_ret_t ami__runtime_cex_hosted(duk_context *ctx)
{
    int n = __atomic_load_n(&cex_count, __ATOMIC_ACQUIRE);
    duk_push_array(ctx);
    for (int i = 0; i < n; i++) {
        duk_push_object(ctx);
        duk_push_string(ctx, cex_table[i].id);
        duk_put_prop_string(ctx, -2, "id");
        duk_push_c_function(ctx, h_cex_call, 2);
        duk_push_int(ctx, i);
        duk_put_prop_string(ctx, -2, "\xff" "i");
        duk_put_prop_string(ctx, -2, "call");
        duk_put_prop_index(ctx, -2, (duk_uarridx_t)i);
    }
    return 1;
}
