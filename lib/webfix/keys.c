/* Client side of the signed login: key files (PEM, secp256k1) and signing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "core/core.h"
#include "util/util.h"
#include "webfix/webfix_internal.h"

static int pubkey_hex(char out[AMI_WEBFIX_PUBKEY_HEX + 1], EVP_PKEY *pkey)
{
    unsigned char pub[65];
    size_t len = 0;
    char group[32] = "";
    size_t glen = 0;
    if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) ||
        strcmp(group, "secp256k1"))
        return ami__error_set(AMI_EINVAL, "the key is not a secp256k1 key (group %s)", group[0] ? group : "unknown");
    /* Compress by hand: 0x02/0x03 by the parity of y, then x. */
    if (!EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &len))
        return ami__error_set(AMI_EINVAL, "cannot read the public key");
    if (len == 65 && pub[0] == 4) {
        pub[0] = (unsigned char)(2 | (pub[64] & 1));
        len = 33;
    }
    if (len != 33 || (pub[0] != 2 && pub[0] != 3)) return ami__error_set(AMI_EINVAL, "cannot encode the public key");
    ami__hex_encode(pub, 33, out);
    return 0;
}

static int read_key(EVP_PKEY **out, const char *path, int want_private)
{
    FILE *f = fopen(path, "r");
    if (!f) return ami__error_set(AMI_EIO, "cannot open key file %s: %s", path, strerror(errno));
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    if (!pkey && !want_private) {
        rewind(f);
        pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    }
    fclose(f);
    if (!pkey) return ami__error_set(AMI_EINVAL, "%s holds no PEM %s key", path, want_private ? "private" : "");
    *out = pkey;
    return 0;
}

AMI_EXTERN(int) ami_webfix_keygen(char out[AMI_WEBFIX_PUBKEY_HEX + 1], const char *path)
{
    if (!out || !path) return ami__error_set(AMI_EINVAL, "keygen: out and path are required");
    EVP_PKEY *pkey = EVP_EC_gen("secp256k1");
    if (!pkey) return ami__error_set(AMI_ERROR, "cannot generate a secp256k1 key");
    int rc = pubkey_hex(out, pkey);
    if (!rc) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) {
            rc = ami__error_set(errno == EEXIST ? AMI_EINVAL : AMI_EIO, "cannot create %s: %s%s", path, strerror(errno),
                                errno == EEXIST ? " (refusing to overwrite a key)" : "");
        } else {
            FILE *f = fdopen(fd, "w");
            if (!f || !PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) || fflush(f))
                rc = ami__error_set(AMI_EIO, "cannot write %s", path);
            if (f) fclose(f); else close(fd);
        }
    }
    EVP_PKEY_free(pkey);
    return rc;
}

AMI_EXTERN(int) ami_webfix_key_public(char out[AMI_WEBFIX_PUBKEY_HEX + 1], const char *path)
{
    if (!out || !path) return ami__error_set(AMI_EINVAL, "key_public: out and path are required");
    EVP_PKEY *pkey = NULL;
    int rc = read_key(&pkey, path, 0);
    if (rc) return rc;
    rc = pubkey_hex(out, pkey);
    EVP_PKEY_free(pkey);
    return rc;
}

AMI_EXTERN(int) ami_webfix_sign_login(char **out, const char *key_path)
{
    if (!out || !key_path) return ami__error_set(AMI_EINVAL, "sign_login: out and key_path are required");
    *out = NULL;
    EVP_PKEY *pkey = NULL;
    int rc = read_key(&pkey, key_path, 1);
    if (rc) return rc;
    char pub[AMI_WEBFIX_PUBKEY_HEX + 1], nonce[33], text[128];
    unsigned char nb[16], sig[160];
    size_t siglen = sizeof sig;
    rc = pubkey_hex(pub, pkey);
    if (!rc) rc = ami__random_bytes(nb, sizeof nb);
    if (!rc) {
        ami__hex_encode(nb, sizeof nb, nonce);
        long long ts = (long long)ami_time_now_ms();
        int tlen = snprintf(text, sizeof text, "ami-connect:%lld:%s", ts, nonce);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
            EVP_DigestSign(md, sig, &siglen, (const unsigned char *)text, (size_t)tlen) != 1)
            rc = ami__error_set(AMI_ERROR, "signing failed");
        EVP_MD_CTX_free(md);
        if (!rc) {
            char sighex[321];
            ami__hex_encode(sig, siglen, sighex);
            json_t *req = json_pack("{s:s,s:s,s:[],s:{s:s,s:I,s:s,s:s}}", "webfix", "1.0", "method", "connectionNode",
                                    "params", "body", "publicKey", pub, "timestamp", (json_int_t)ts, "nonce", nonce,
                                    "signature", sighex);
            char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
            json_decref(req);
            if (s) *out = ami__strdup(s);
            free(s);
            if (!*out) rc = ami__error_oom();
        }
    }
    EVP_PKEY_free(pkey);
    return rc;
}
