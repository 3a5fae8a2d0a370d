/* amictl keygen --out FILE: a secp256k1 key pair for signed amid login. */
#include <string.h>
#include "amictl.h"

int cmd_keygen(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) path = argv[++i];
        else return amictl_usage("keygen", "unexpected argument '%s'", argv[i]);
    }
    if (!path) return amictl_usage("keygen", "--out FILE is required");
    char pub[AMI_WEBFIX_PUBKEY_HEX + 1];
    if (ami_webfix_keygen(pub, path)) return amictl_fail("keygen");
    if (amictl_opts.json) {
        json_t *j = json_pack("{s:s,s:s}", "publicKey", pub, "keyFile", path);
        amictl_print_json(j);
        json_decref(j);
    } else {
        printf("%s\n", pub);
        fprintf(stderr, "amictl: private key written to %s (mode 0600); add the public key above to amid's owners\n",
                path);
    }
    return AMICTL_OK;
}
