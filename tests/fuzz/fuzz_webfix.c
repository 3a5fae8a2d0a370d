/* libFuzzer target: the WebFIX dispatcher (request bodies from the network) —
 * every input gets a JSON answer with a known status; a 5xx is a finding.
 * Each input runs against a fresh in-memory store holding one worker (so an
 * input's answer depends on it alone and a finding replays from its file);
 * "@SID@" and "@VS@" in the input stand for that worker's sid and
 * versionstamp, so getWorker/updateWorker/deleteWorker reach a real record. */
#include <stdlib.h>
#include <string.h>
#include "ami/common.h"
#include "ami/registry.h"
#include "ami/store.h"
#include "ami/webfix.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    ami_init();
    return 0;
}

/* `in` with every `from` replaced by `to` (into b). */
static void put_replacing(ami_buf *b, const char *in, size_t n, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    for (size_t i = 0; i < n;) {
        if (n - i >= fl && !memcmp(in + i, from, fl)) {
            if (ami_buf_put(b, to, tl)) abort();
            i += fl;
        } else {
            if (ami_buf_put(b, in + i, 1)) abort();
            i++;
        }
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    ami_store *st = NULL;
    ami_webfix *wf = NULL;
    json_t *w = NULL, *body = json_pack("{s:b}", "active", 0);   /* the default script: nothing to compile */
    if (!body || ami_store_open(&st, "sqlite::memory:") || ami_registry_create(&w, st, "s-0001", body)) abort();
    json_decref(body);
    ami_webfix_options o = AMI_WEBFIX_OPTIONS_INIT;
    o.store = st;
    o.nid = "s-0001";
    if (ami_webfix_new(&wf, &o)) abort();

    ami_buf a = AMI_BUF_INIT, req = AMI_BUF_INIT;
    put_replacing(&a, (const char *)data, size, "@SID@", ami_entry_sid(w));
    put_replacing(&req, a.ptr ? a.ptr : "", a.size, "@VS@", ami_entry_versionstamp(w));
    ami_buf_dispose(&a);
    json_decref(w);

    int status = 0;
    ami_buf resp = AMI_BUF_INIT;
    if (ami_webfix_handle(wf, req.ptr ? req.ptr : "", req.size, NULL, &status, &resp)) abort();
    if (status >= 500 && status != 503) abort();
    json_error_t err;
    json_t *j = json_loadb(resp.ptr, resp.size, 0, &err);
    if (!j) abort();
    json_decref(j);
    ami_buf_dispose(&resp);
    ami_buf_dispose(&req);
    ami_webfix_free(wf);
    ami_store_free(st);
    return 0;
}
