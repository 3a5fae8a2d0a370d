#!/usr/bin/env bash
# Claim: every ```c sample in docs/api.md compiles as C11 with -Wall -Wextra -Werror -pedantic
# against the build's headers and libami.so.0 and runs as the page says: the harness prints
# "ok: sum 3", the one-off run prints {"answer":42}, and the host runs until SIGINT, then
# exits 0 after writing its store.
set -u
B=$(realpath "${AMI_BUILD:-build}")
ROOT=$(pwd)
dir=$(mktemp -d /tmp/ami-samples-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
awk -v d="$dir" '/^```c$/{n++; f=sprintf("%s/sample%d.c", d, n); b=1; next} b && /^```$/{b=0; next} b{print > f}' docs/api.md
n=$(ls "$dir"/sample*.c 2>/dev/null | wc -l)
[ "$n" -ge 3 ] || { echo "FAILED: expected at least 3 C samples in docs/api.md, found $n"; exit 1; }
fail=0
export LD_LIBRARY_PATH="$B"
cd "$dir"
for src in sample*.c; do
  bin=${src%.c}
  if ! cc -std=c11 -Wall -Wextra -Werror -pedantic -I"$ROOT/include" $(pkg-config --cflags jansson) \
       -o "$bin" "$src" -L"$B" -lami $(pkg-config --libs jansson) -pthread; then
    echo "FAILED: $src does not compile"; fail=1; continue
  fi
  if grep -q sigwait "$src"; then
    # a host: runs until SIGINT
    mkdir -p "run-$bin"; (cd "run-$bin" && exec "../$bin") & pid=$!
    for i in $(seq 100); do [ -f "run-$bin/ami.db" ] && break; sleep 0.1; done
    sleep 0.5
    kill -0 $pid 2>/dev/null || { echo "FAILED: $src exited before SIGINT"; fail=1; continue; }
    kill -INT $pid; wait $pid; rc=$?
    [ $rc -eq 0 ] && [ -f "run-$bin/ami.db" ] && echo "ok: $src (host; exit $rc after SIGINT)" \
      || { echo "FAILED: $src exit $rc after SIGINT"; fail=1; }
    continue
  fi
  out=$(timeout 60 "./$bin" 2>&1); rc=$?
  echo "$src: $out"
  [ $rc -eq 0 ] || { echo "FAILED: $src exit $rc"; fail=1; continue; }
  if grep -q "'sum'" "$src"; then [ "$out" = "ok: sum 3" ] || { echo "FAILED: $src output"; fail=1; }; fi
  if grep -q 'answer' "$src"; then [ "$out" = '{"answer":42}' ] || { echo "FAILED: $src output"; fail=1; }; fi
done
exit $fail
