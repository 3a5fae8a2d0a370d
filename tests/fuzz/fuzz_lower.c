/* libFuzzer target: the lowering (modern JavaScript -> ES5.1 for Duktape) —
 * any text is lowered or refused with a line and column; never a crash. */
#include <stdlib.h>
#include "runtime/lower/lower.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    ami_buf out = AMI_BUF_INIT;
    ami_lower_error err;
    ami__lower((const char *)data, size, &out, &err);
    ami_buf_dispose(&out);
    return 0;
}
