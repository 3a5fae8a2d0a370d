#!/usr/bin/env bash
# Claim: a program built only with `pkg-config --cflags --libs libami` against a
# `make install DESTDIR=…` tree compiles, links to libami.so.0 and runs.
set -eu
B=${AMI_BUILD:-build}
root=$(mktemp -d /tmp/ami-install-XXXXXX)
trap 'rm -rf "$root"' EXIT
make --no-print-directory -s install B="$B" DESTDIR="$root" PREFIX=/opt/ami >/dev/null
[ -f "$root/opt/ami/include/ami.h" ] && [ -f "$root/opt/ami/lib/libami.so.0" ] && [ -f "$root/opt/ami/lib/pkgconfig/libami.pc" ]
cat > "$root/hello.c" <<'C'
#include <ami.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    ami_store *s = NULL;
    if (ami_init() < 0 || ami_store_open(&s, argv[1])) { fprintf(stderr, "%s\n", ami_error_last()); return 1; }
    json_t *e = NULL;
    if (ami_registry_create(&e, s, "s-0001", NULL)) { fprintf(stderr, "%s\n", ami_error_last()); return 1; }
    json_t *all = NULL;
    ami_registry_list(&all, s);
    printf("libami %s, %zu worker(s)\n", ami_version(), json_array_size(all));
    json_decref(all); json_decref(e); ami_store_free(s); ami_shutdown();
    return strcmp(ami_version(), "0.1.0") != 0;
}
C
export PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$root/opt/ami/lib/pkgconfig"
flags=$(pkg-config --cflags --libs libami)
echo "pkg-config: $flags"
cc -o "$root/hello" "$root/hello.c" $flags
ldd_out=$(LD_LIBRARY_PATH="$root/opt/ami/lib" ldd "$root/hello")
echo "$ldd_out" | grep -q "libami.so.0 => $root/opt/ami/lib/libami.so.0" || { echo "$ldd_out"; exit 1; }
out=$(LD_LIBRARY_PATH="$root/opt/ami/lib" "$root/hello" "$root/t.db")
echo "$out"
[ "$out" = "libami 0.1.0, 1 worker(s)" ]
