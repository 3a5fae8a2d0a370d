/* SHA-256 as lowercase hex (OpenSSL). */
#include <openssl/evp.h>
#include <pthread.h>
#include "util/util.h"

/*
 * The digest is fetched once: EVP_sha256() makes OpenSSL 3 look the
 * implementation up on every call under a global lock, which is most of a
 * session check's cost when several HTTP threads check sessions at once.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void) { sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL); }

void ami__sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    pthread_once(&sha256_once, sha256_fetch);
    EVP_Digest(data, len, md, &mdlen, sha256_md ? sha256_md : EVP_sha256(), NULL);
    ami__hex_encode(md, 32, out);
}
