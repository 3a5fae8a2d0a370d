/* SHA-256 as lowercase hex (OpenSSL). */
#include <openssl/evp.h>
#include "util/util.h"

void ami__sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    ami__hex_encode(md, 32, out);
}
