#!/usr/bin/env bash
# Claim: the public headers compile cleanly as C11, C17 and C++17 with
# -Wall -Wextra -Werror -pedantic (ami.h and each ami/*.h on its own), and a program
# built that way links to libami.so.0 and runs.
set -eu
B=$(realpath "${AMI_BUILD:-build}")
CXX=${CXX:-g++}
dir=$(mktemp -d /tmp/ami-headers-XXXXXX)
trap 'rm -rf "$dir"' EXIT
flags="-Wall -Wextra -Werror -pedantic -Iinclude $(pkg-config --cflags jansson)"
libs="-L$B -lami $(pkg-config --libs jansson) -pthread"
cat > "$dir/prog.c" <<'C'
#include <ami.h>
#include <stdio.h>
int main(void)
{
    ami_node_options no = AMI_NODE_OPTIONS_INIT;
    ami_runtime_options ro = AMI_RUNTIME_OPTIONS_INIT;
    ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    ami_webfix_options wo = AMI_WEBFIX_OPTIONS_INIT;
    ami_buf b = AMI_BUF_INIT;
    ami_store *s = NULL;
    (void)ro; (void)res; (void)lo; (void)wo;
    if (ami_init() < 0 || ami_store_open(&s, "sqlite::memory:")) return 1;
    ami_buf_printf(&b, "%s %d %d", ami_version(), no.version, AMI_NODE_WAIT_FINISHED);
    printf("%s\n", b.ptr);
    ami_buf_dispose(&b);
    ami_store_free(s);
    ami_shutdown();
    return 0;
}
C
cp "$dir/prog.c" "$dir/prog.cpp"
for std in c11 c17; do
  cc -std=$std $flags -o "$dir/prog-$std" "$dir/prog.c" $libs
  echo "ok: ami.h as $std"
done
$CXX -std=c++17 $flags -o "$dir/prog-cxx17" "$dir/prog.cpp" $libs
echo "ok: ami.h as c++17"
for h in include/ami/*.h include/ami/sys/*.h; do
  name=${h#include/}
  printf '#include <%s>\nint main(void) { return 0; }\n' "$name" > "$dir/one.c"
  cp "$dir/one.c" "$dir/one.cpp"
  cc -std=c11 $flags -c -o "$dir/one.o" "$dir/one.c" || { echo "FAILED: $name alone as c11"; exit 1; }
  $CXX -std=c++17 $flags -c -o "$dir/one.o" "$dir/one.cpp" || { echo "FAILED: $name alone as c++17"; exit 1; }
done
echo "ok: every ami/*.h compiles on its own"
for p in prog-c11 prog-c17 prog-cxx17; do
  out=$(LD_LIBRARY_PATH="$B" "$dir/$p")
  want="0.1.0 $(sed -n "s/^#define AMI_NODE_OPTIONS_VERSION \([0-9]*\).*/\1/p" include/ami/node.h) 2"; [ "$out" = "$want" ] || { echo "FAILED: $p printed \"$out\""; exit 1; }
done
echo "ok: the three programs run"
