/* Internal: the HTTP client service behind fetch (http_service.c). */
#ifndef AMI_RUNTIME_WEB_HTTP_H
#define AMI_RUNTIME_WEB_HTTP_H
#include <pthread.h>
#include <curl/curl.h>
#include "ami/common.h"
#include "runtime/web/web.h"

enum { AMI__REDIRECT_FOLLOW, AMI__REDIRECT_MANUAL, AMI__REDIRECT_ERROR };

/* One request.  Fill the inputs, set done, submit; the service calls done(r)
 * on its thread (with r->mu held) once, when the request ended: then either
 * err_name is set (err_msg says what) or status/headers/body are.
 * Reference counted: new gives 1 (the caller's), the service holds its own
 * while the request runs. */
typedef struct ami__http_req {
    /* inputs (owned; ami_malloc'd) */
    char *method;
    char *url;
    struct curl_slist *headers;
    unsigned char *body;
    size_t body_len;
    int redirect_mode;          /* AMI__REDIRECT_* */
    long timeout_ms;
    size_t body_max;
    char *ca_file;
    ami__perms *perms;          /* a reference (ami__perms_ref): redirect hops are checked */
    /* completion */
    pthread_mutex_t mu;
    void (*done)(struct ami__http_req *r);
    void *owner;                /* the caller's (guarded by mu) */
    int64_t id;
    /* outputs */
    int status;
    char *status_text;
    char *final_url;
    int redirected;
    ami_buf resp_headers;       /* name\0value\0 … */
    ami_buf resp_body;
    const char *err_name;       /* static */
    char err_msg[600];
    /* service */
    int refs;
    int cancelled;
    int too_large;
    int hops;
    int64_t deadline;
    CURL *easy;
    struct ami__http_req *next;
} ami__http_req;

ami__http_req *ami__http_req_new(void);
void ami__http_req_unref(ami__http_req *r);
/* Start r (thread-safe).  0 or AMI_ERROR (the service cannot run). */
int ami__http_submit(ami__http_req *r);
/* Ask the service to end r (done() is called with err_name "AbortError"); thread-safe. */
void ami__http_cancel(ami__http_req *r);

#endif
