#!/usr/bin/env bash
# Claim: a program built only with `pkg-config --cflags --libs libami` against a
# `make install DESTDIR=…` tree compiles, links to libami.so.0 and runs; libami.pc asks only for
# libraries libami.so uses; the installed amictl and amid run on libami.so.0; amid.conf, the
# completions and the unit file are installed; LIBDIR is honoured; `make uninstall` removes it all.
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

L=$root/opt/ami/lib
# Requires.private: each one a library libami.so really needs
for p in $(sed -n 's/^Requires.private: //p' "$L/pkgconfig/libami.pc"); do
  lib=$(pkg-config --libs-only-l "$p" | awk '{print $1}'); lib=${lib#-l}
  readelf -d "$L/libami.so.0" | grep -q "NEEDED.*lib$lib\.so" || { echo "libami.pc requires $p, which libami.so does not use"; exit 1; }
done
for prog in amictl amid; do
  readelf -d "$root/opt/ami/bin/$prog" | grep -q "NEEDED.*libami.so.0" || { echo "$prog is not linked to libami.so.0"; exit 1; }
  LD_LIBRARY_PATH=$L "$root/opt/ami/bin/$prog" --version | grep -q "0.1.0" || exit 1
done
[ -f "$root/opt/ami/etc/ami/amid.conf" ] && [ -s "$root/opt/ami/share/bash-completion/completions/amictl" ] \
  && [ -s "$root/opt/ami/share/zsh/site-functions/_amictl" ] && [ -f "$root/opt/ami/share/ami/amid.service" ] || { echo "missing installed files"; exit 1; }
bash -n "$root/opt/ami/share/bash-completion/completions/amictl" || exit 1
# LIBDIR
make --no-print-directory -s install B="$B" DESTDIR="$root/l" PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu >/dev/null
[ -f "$root/l/usr/lib/x86_64-linux-gnu/libami.so.0" ] && grep -q "^libdir=/usr/lib/x86_64-linux-gnu" "$root/l/usr/lib/x86_64-linux-gnu/pkgconfig/libami.pc" || { echo "LIBDIR not honoured"; exit 1; }
make --no-print-directory -s uninstall B="$B" DESTDIR="$root/l" PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu >/dev/null
left=$(find "$root/l" -type f -o -type l)
[ -z "$left" ] || { echo "make uninstall left: $left"; exit 1; }
echo "installed programs on libami.so.0; uninstall removed everything"
