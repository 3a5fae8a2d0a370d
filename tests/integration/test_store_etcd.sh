#!/usr/bin/env bash
# Claim: the store test suite passes on a real etcd as it does on SQLite: every
# tests/unit/store test that opens its store through check_store_uri() runs again
# with AMI_TEST_ETCD pointing at a fresh one-member etcd (each test in its own
# prefix, in parallel; the watch test, which compacts etcd, runs alone at the end).
set -u
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
build=${AMI_BUILD:-build}
command -v etcd >/dev/null || { echo "etcd is not installed (scripts/deps.sh installs etcd-server)"; exit 1; }
. "$root/tests/lib/etcd.sh"
etcd_start 1 || { etcd_stop; exit 1; }
trap etcd_stop EXIT
export AMI_TEST_ETCD=$ETCD_ENDPOINTS
tests=(); for src in "$root"/tests/unit/store/test_*.c; do
  grep -q "check_store_uri\|check_store_is_etcd" "$src" || continue
  n=$(basename "$src" .c); [ "$n" = test_store_watch ] && continue
  tests+=("$n")
done
tests+=(test_store_watch)
[ ${#tests[@]} -ge 6 ] || { echo "expected the store tests, found: ${tests[*]}"; exit 1; }
logs=$(mktemp -d /tmp/ami-store-etcd-XXXXXX)
fail=0; pids=()
run_one() { "$build/tests/unit/store/$1" >"$logs/$1.log" 2>&1; }
for t in "${tests[@]}"; do
  [ -x "$build/tests/unit/store/$t" ] || { echo "missing $build/tests/unit/store/$t (make tests)"; exit 1; }
  [ "$t" = test_store_watch ] && continue
  run_one "$t" & pids+=("$!:$t")
done
for p in "${pids[@]}"; do
  wait "${p%%:*}"; rc=$?; t=${p#*:}
  if [ $rc = 0 ]; then echo "ok   $t (etcd)"; else echo "FAIL $t (etcd)"; sed 's/^/     | /' "$logs/$t.log"; fail=1; fi
done
if run_one test_store_watch; then echo "ok   test_store_watch (etcd)"; else echo "FAIL test_store_watch (etcd)"; sed 's/^/     | /' "$logs/test_store_watch.log"; fail=1; fi
grep -h '^snapshot lists\|^watch latency\|^expiry seen' "$logs"/*.log | sed 's/^/  /'
rm -rf "$logs"
exit $fail
