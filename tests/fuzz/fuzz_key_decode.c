/* libFuzzer target: the store's key decoder (bytes from a store file) —
 * any input decodes to a key that encodes back to the same bytes, or is
 * refused with an error; never a crash. */
#include <stdlib.h>
#include <string.h>
#include "ami/store.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    json_t *key = NULL;
    if (ami_key_decode(&key, data, size) == 0) {
        ami_buf b = AMI_BUF_INIT;
        if (ami_key_encode(&b, key) == 0 && (b.size != size || memcmp(b.ptr, data, size))) abort();
        ami_buf_dispose(&b);
        json_decref(key);
    }
    return 0;
}
