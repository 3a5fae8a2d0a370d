/*
 * ami/cex.h — exchange connectors a host brings to Stels.runtime.cex.
 *
 * libami ships the paper, binance and bybit connectors (docs/scripting.md
 * "Exchanges").  A host registers its own with ami_cex_register before it
 * creates instances: scripts then reach it as Stels.runtime.cex.<id>(config)
 * with the same unified methods, rounding, limits, rate limiter, paper mode
 * and error classes as the built-in ones; the connector implements the
 * exchange calls behind them.
 */
#ifndef AMI_CEX_H
#define AMI_CEX_H
#include <stddef.h>
#include "ami/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * One exchange call, made on the worker's thread.  `method` is one of
 * "fetchMarkets" (args []; answer: an array of {id, base, quote, settle?,
 * amountStep, priceStep, minAmount?, maxAmount?, minCost?}), "fetchTicker"
 * ([symbol]; {last, bid, ask, baseVolume?, timestamp?}), "fetchBalance" ([];
 * CCXT's balance shape), "createOrder" ([symbol, type, side, amount, price];
 * CCXT's order shape, amount and price already rounded and checked),
 * "cancelOrder" ([id, symbol]), "fetchOpenOrders" ([symbol or null]).
 * `args_json` is the JSON text of the arguments.
 *
 * Return 0 with *out set to the answer's JSON text (allocated with
 * ami_malloc; libami frees it), or a negative AMI_E… code with *err_name set
 * to a static error class name ("InsufficientFunds", "InvalidOrder",
 * "OrderNotFound", "NetworkError", …, see docs/scripting.md) and a message in
 * err_msg (err_len bytes, NUL-terminated; never put secrets in it).  A method
 * the connector does not implement: return AMI_EUNSUPPORTED (the script gets
 * NotSupported).
 */
typedef int (*ami_cex_call_fn)(void *payload, const char *method, const char *args_json, char **out,
                               const char **err_name, char *err_msg, size_t err_len);

/** A connector.  Initialise with AMI_CEX_CONNECTOR_INIT. */
typedef struct ami_cex_connector {
    unsigned int version;   /* AMI_CEX_CONNECTOR_VERSION */
    const char *id;         /* Stels.runtime.cex.<id>: 1 to 32 of [a-z0-9_], not a built-in id (copied) */
    ami_cex_call_fn call;   /* required; called from any worker thread, possibly at once: be thread-safe */
    void *payload;          /* passed to call; must outlive the process's instances */
} ami_cex_connector;
#define AMI_CEX_CONNECTOR_VERSION 1
#define AMI_CEX_CONNECTOR_INIT { AMI_CEX_CONNECTOR_VERSION, NULL, NULL, NULL }

/**
 * Register a connector for every instance created afterwards in this
 * process (up to 32).  AMI_EINVAL on a NULL connector, an unknown version, a
 * bad or built-in id or no call; AMI_ECONFLICT when the id is registered
 * already; AMI_ENOMEM.  Registrations last for the process.
 */
AMI_EXTERN(int) ami_cex_register(const ami_cex_connector *connector);

#ifdef __cplusplus
}
#endif
#endif
