/*
 * ami/worker.h — the worker record: enums of WorkerScript (spec 003) with
 * their wire names, and the script hash used by stats and hot reload.
 */
#ifndef AMI_WORKER_H
#define AMI_WORKER_H

#include "ami/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { AMI_EXEC_PARALLEL, AMI_EXEC_LEADER, AMI_EXEC_EXCLUSIVE } ami_exec_mode;
typedef enum { AMI_PRIORITY_CRITICAL, AMI_PRIORITY_HIGH, AMI_PRIORITY_NORMAL, AMI_PRIORITY_LOW } ami_priority;
typedef enum { AMI_RUN_LOOP, AMI_RUN_SINGLE } ami_run_mode;
typedef enum { AMI_SCOPE_NETWORK, AMI_SCOPE_LOCAL } ami_scope;

/** Wire name of an enum value ("parallel", "critical", "loop", "network"…); static, never NULL. */
AMI_EXTERN(const char *) ami_exec_mode_name(ami_exec_mode mode);
AMI_EXTERN(const char *) ami_priority_name(ami_priority priority);
AMI_EXTERN(const char *) ami_run_mode_name(ami_run_mode mode);
AMI_EXTERN(const char *) ami_scope_name(ami_scope scope);

/** Parse a wire name into *out; AMI_EINVAL (with a message naming the valid values) when unknown. */
AMI_EXTERN(int) ami_exec_mode_parse(ami_exec_mode *out, const char *name);
AMI_EXTERN(int) ami_priority_parse(ami_priority *out, const char *name);
AMI_EXTERN(int) ami_run_mode_parse(ami_run_mode *out, const char *name);
AMI_EXTERN(int) ami_scope_parse(ami_scope *out, const char *name);

/** Loop delay of a priority in ms: critical 1, high 10, normal 100, low 1000. */
AMI_EXTERN(int) ami_priority_delay_ms(ami_priority priority);

/** scriptHash: the first 8 hex digits of SHA-256(script) into out[9]. */
AMI_EXTERN(void) ami_worker_script_hash(char out[9], const char *script, size_t len);

#define AMI_SCRIPT_MAX_BYTES 65536

#ifdef __cplusplus
}
#endif
#endif
