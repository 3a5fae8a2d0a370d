/* libFuzzer target: amid's config file parser — any file is loaded or
 * refused with a message; never a crash. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include "../../cli/amid/config.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int fd = memfd_create("amid.conf", 0);
    if (fd < 0) return 0;
    if (size && write(fd, data, size) != (ssize_t)size) { close(fd); return 0; }
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    amid_config *cfg = amid_config_new();
    if (cfg) {
        if (amid_config_load(cfg, path, err, sizeof err) == 0) {
            long long v;
            amid_config_int(cfg, "lease_ms", &v);
        }
        amid_config_free(cfg);
    }
    close(fd);
    return 0;
}
