/* libFuzzer target: the WebFIX dispatcher (request bodies from the network) —
 * every input gets a JSON answer with a known status; a 5xx is a finding. */
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>
#include "ami/common.h"
#include "ami/store.h"
#include "ami/webfix.h"

static ami_webfix *wf;
static ami_store *st;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    ami_init();
    char uri[128];
    snprintf(uri, sizeof uri, "sqlite:/tmp/ami-fuzz-webfix-%d.db", (int)getpid());
    if (ami_store_open(&st, uri)) abort();
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = st;
    o.nid = "s-0001";
    if (ami_webfix_new(&wf, &o)) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int status = 0;
    ami_buf resp = AMI_BUF_INIT;
    if (ami_webfix_handle(wf, (const char *)data, size, NULL, &status, &resp)) abort();
    if (status >= 500 && status != 503) abort();
    json_error_t err;
    json_t *j = json_loadb(resp.ptr, resp.size, 0, &err);
    if (!j) abort();
    json_decref(j);
    ami_buf_dispose(&resp);
    return 0;
}
