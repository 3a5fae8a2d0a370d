/* amictl keygen --out FILE: a secp256k1 key pair for signed amid login. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include "amictl.h"

/* Create the missing parent directories of `path` with mode 0700 (keys live there). */
static int make_parents(const char *path)
{
    char *dir = strdup(path);
    if (!dir) return amictl_error("out of memory");
    int rc = 0;
    for (char *p = strchr(dir + 1, '/'); p && !rc; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (mkdir(dir, 0700) && errno != EEXIST) rc = amictl_error("cannot create directory %s: %s", dir, strerror(errno));
        *p = '/';
    }
    free(dir);
    return rc;
}

int cmd_keygen(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) path = argv[++i];
        else return amictl_usage("keygen", "unexpected argument '%s'", argv[i]);
    }
    if (!path) return amictl_usage("keygen", "--out FILE is required");
    if (make_parents(path)) return AMICTL_FAIL;
    char pub[AMI_WEBFIX_PUBKEY_HEX + 1];
    if (ami_webfix_keygen(pub, path)) return amictl_error("%s", ami_error_last());
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
