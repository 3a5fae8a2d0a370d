/* Internal: the HTTP client behind fetch (http_service.c). */
#ifndef AMI_RUNTIME_WEB_HTTP_H
#define AMI_RUNTIME_WEB_HTTP_H
#include <curl/curl.h>
#include "ami/common.h"
#include "runtime/web/web.h"

enum { AMI__REDIRECT_FOLLOW, AMI__REDIRECT_MANUAL, AMI__REDIRECT_ERROR };

struct ami__http_client;

/* One request.  Fill the inputs, set done, submit; the client calls done(r)
 * on the instance's thread once, when the request ended: then either
 * err_name is set (err_msg says what) or status/headers/body are.
 * Reference counted: new gives 1 (the caller's), the client holds its own
 * while the request runs.  Instance thread only. */
typedef struct ami__http_req {
    /* inputs (owned; ami_malloc'd) */
    char *method;
    char *url;
    struct curl_slist *headers;  /* NULL: the client's defaults (accept: * / *, no type, no Expect) */
    unsigned char *body;
    size_t body_len;
    int redirect_mode;          /* AMI__REDIRECT_* */
    long timeout_ms;
    size_t body_max;
    char *ca_file;
    ami__perms *perms;          /* a reference (ami__perms_ref): redirect hops are checked */
    /* completion */
    void (*done)(struct ami__http_req *r);
    void *owner;                /* the caller's */
    /* outputs */
    int status;
    char *status_text;
    char *final_url;            /* where the response came from, when not url (NULL: url, which follows the hops) */
    int redirected;
    ami_buf resp_headers;       /* name\0value\0 … */
    ami_buf resp_body;
    const char *err_name;       /* static */
    char err_msg[600];
    /* the client's */
    int refs;
    int too_large;
    int hops;
    int64_t deadline;
    CURL *easy;
    int easy_plain;             /* easy's options are those of a plain GET */
    struct ami__http_client *client;   /* while it runs */
    struct ami__http_req *next;
} ami__http_req;

ami__http_req *ami__http_req_new(void);
void ami__http_req_unref(ami__http_req *r);
/* Start r on inst's HTTP client (made on first use: one libcurl multi handle
 * per instance, driven on the instance's thread as an I/O source of its loop;
 * its connections are kept alive between the requests of a run).  The request
 * is sent at once when a connection is ready.  0, or AMI_ERROR / AMI_ENOMEM
 * (done is not called then). */
int ami__http_submit(ami_runtime *inst, ami__http_req *r);
/* End r now with err_name "AbortError" (done is called) when it still runs. */
void ami__http_cancel(ami__http_req *r);
/* r was delivered (its response read): its response buffers go to inst's client for its next
 * request, when the client is still there and keeps none yet (small ones only). */
void ami__http_recycle(ami_runtime *inst, ami__http_req *r);

#endif
