/* Claim: a host registers its own exchange connector from C (ami_cex_register,
 * include/ami/cex.h) and a script uses it as Stels.runtime.cex.<id> with the
 * unified API: markets with rounding and limits, tickers, orders, balances,
 * its error classes, NotSupported for what it lacks, and paper mode; bad
 * registrations are refused. */
#include "rt.h"
#include "ami/cex.h"

static int calls;

static char *dup_text(const char *s)
{
    char *p = ami_malloc(strlen(s) + 1);
    if (p) strcpy(p, s);
    return p;
}

static int mock_call(void *payload, const char *method, const char *args, char **out, const char **err_name,
                     char *err_msg, size_t err_len)
{
    (void)payload;
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    if (!strcmp(method, "fetchMarkets")) {
        *out = dup_text("[{\"id\":\"BTCEUR\",\"base\":\"BTC\",\"quote\":\"EUR\",\"amountStep\":0.001,\"priceStep\":0.5,"
                        "\"minAmount\":0.001,\"minCost\":10}]");
        return 0;
    }
    if (!strcmp(method, "fetchTicker")) {
        *out = dup_text("{\"last\":60000,\"bid\":59999.5,\"ask\":60000.5,\"timestamp\":1700000000000}");
        return 0;
    }
    if (!strcmp(method, "createOrder")) {
        json_t *a = json_loads(args, 0, NULL);
        double amount = json_number_value(json_array_get(a, 3)), price = json_number_value(json_array_get(a, 4));
        json_decref(a);
        if (amount > 1) {
            *err_name = "InsufficientFunds";
            snprintf(err_msg, err_len, "not enough EUR for %g BTC", amount);
            return AMI_EVALIDATION;
        }
        char buf[256];
        snprintf(buf, sizeof buf, "{\"id\":\"o-1\",\"symbol\":\"BTC/EUR\",\"status\":\"open\",\"amount\":%.17g,\"price\":%.17g}", amount, price);
        *out = dup_text(buf);
        return 0;
    }
    if (!strcmp(method, "fetchBalance")) {
        *out = dup_text("{\"EUR\":{\"free\":100,\"used\":0,\"total\":100},\"free\":{\"EUR\":100},\"used\":{\"EUR\":0},\"total\":{\"EUR\":100}}");
        return 0;
    }
    return AMI_EUNSUPPORTED;
}

static void registered_connector_serves_a_script(void)
{
    ami_cex_connector c = AMI_CEX_CONNECTOR_INIT;
    c.id = "mockex";
    c.call = mock_call;
    CHECK_RC(ami_cex_register(&c));
    CHECK_INT(ami_cex_register(&c), AMI_ECONFLICT);
    ami_cex_connector bad = c;
    bad.id = "bybit";
    CHECK_INT(ami_cex_register(&bad), AMI_EINVAL);
    bad.id = "Bad-Id";
    CHECK_INT(ami_cex_register(&bad), AMI_EINVAL);
    bad.id = "other";
    bad.call = NULL;
    CHECK_INT(ami_cex_register(&bad), AMI_EINVAL);
    bad.call = mock_call;
    bad.version = 99;
    CHECK_INT(ami_cex_register(&bad), AMI_EINVAL);

    ami_store *net, *local;
    rt_stores(&net, &local);
    rt_logs logs;
    rt_logs_init(&logs);
    ami_runtime_result res;
    int rc = rt_run(net, local,
        "var cex = Stels.runtime.cex, out = [];\n"
        "out.push(cex.exchanges.join(','));\n"
        "var ex = cex.mockex({});\n"
        "var m = __ami_await(ex.loadMarkets());\n"
        "out.push(Object.keys(m).join(','), m['BTC/EUR'].precision.amount);\n"
        "out.push(__ami_await(ex.fetchTicker('BTC/EUR')).last);\n"
        "var o = __ami_await(ex.createLimitBuyOrder('BTC/EUR', 0.12345, 50000.3));\n"
        "out.push(o.id, o.amount, o.price);\n"
        "try { __ami_await(ex.createLimitBuyOrder('BTC/EUR', 0.0001, 50000)); } catch (e) { out.push(e.name); }\n"
        "try { __ami_await(ex.createLimitBuyOrder('BTC/EUR', 5, 50000)); } catch (e) { out.push(e.name + ': ' + e.message); }\n"
        "try { __ami_await(ex.fetchOHLCV('BTC/EUR')); } catch (e) { out.push(e.name); }\n"
        "out.push(__ami_await(ex.fetchBalance()).EUR.free);\n"
        "__ami_await(Stels.net.set(['ticker', 'BTC/EUR'], { symbol: 'BTC/EUR', last: 61000, bid: 60999, ask: 61001, timestamp: 1 }));\n"
        "var p = cex.mockex({ paper: true, account: 'host-paper', balances: { EUR: 1000 } });\n"
        "var po = __ami_await(p.createMarketBuyOrder('BTC/EUR', 0.01));\n"
        "out.push(po.status, po.average);\n"
        "logger.info(out.join('|'));\n",
        &logs, &res);
    CHECK_INT(rc, 0);
    if (rc) fprintf(stderr, "%s: %s\n", res.name ? res.name : "?", res.message ? res.message : "?");
    CHECK_STR(rt_log_msg(&logs, 0), "binance,bybit,mockex,paper|BTC/EUR|0.001|60000|o-1|0.123|50000.5|InvalidOrder|"
                                    "InsufficientFunds: mockex createOrder: not enough EUR for 5 BTC|NotSupported|100|closed|61001");
    CHECK(calls >= 5);
    ami_runtime_result_dispose(&res);
    rt_logs_dispose(&logs);
    ami_store_free(local);
    ami_store_free(net);
}

int main(void)
{
    RUN(registered_connector_serves_a_script);
    return check_done();
}
