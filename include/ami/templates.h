/*
 * ami/templates.h — the built-in worker templates (one lib/templates/NAME.js each,
 * compiled into the library): grid-trading, dca-strategy, market-monitor,
 * balance-monitor, price-aggregator, health-check, log-cleanup,
 * arbitrage-monitor, api-endpoint, empty, ticker-simulator.
 *
 * A template is a JSON object {name, title, category, executionMode,
 * priority, mode, description, script}; the script's leading comment says
 * which store entries it reads and produces.
 */
#ifndef AMI_TEMPLATES_H
#define AMI_TEMPLATES_H

#include <jansson.h>
#include "ami/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Every built-in template, sorted by name, as a JSON array of template objects.  *out is the caller's. */
AMI_EXTERN(int) ami_template_list(json_t **out);

/**
 * One template by name.  *out is the caller's.  AMI_ENOTFOUND (the message
 * lists the known names) when there is none; AMI_EINVAL when name is NULL.
 */
AMI_EXTERN(int) ami_template_get(json_t **out, const char *name);

/**
 * A setWorker request body made from a template: {scriptContent,
 * executionMode, priority, mode, note} (note: the template's title).
 * *out is the caller's; errors as ami_template_get.
 */
AMI_EXTERN(int) ami_template_worker_body(json_t **out, const char *name);

#ifdef __cplusplus
}
#endif
#endif
