#!/usr/bin/env bash
# Claim: amid's runner_threads key (--runner-threads flag or config file) sets how many
# runner threads the node has (`ami-run*` in /proc/PID/task/*/comm): 1 from the flag,
# 3 from a file; an out-of-range value exits 2 naming the key before anything starts.
set -u
B=${AMI_BUILD:-build}
D=$(realpath "$B/amid")
dir=$(mktemp -d /tmp/ami-runthr-XXXXXX); pid=0
trap '[ "$pid" -gt 0 ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
wait_for() { for _ in $(seq 1 200); do eval "$1" && return 0; sleep 0.05; done; return 1; }
runners() { cat /proc/"$1"/task/*/comm 2>/dev/null | grep -c '^ami-run'; }

"$D" --nid a --db t.db --listen off --runner-threads -1 >/dev/null 2>err.txt; rc=$?
check "runner_threads -1: exit 2 naming the key, nothing started" '[ $rc -eq 2 ] && grep -q runner_threads err.txt && [ ! -e t.db ]'

"$D" --nid a --db t.db --listen off --runner-threads 1 2>log.txt & pid=$!
wait_for "grep -q started log.txt"
check "--runner-threads 1: one ami-run thread" '[ "$(runners $pid)" = 1 ]'
kill -TERM $pid; wait $pid; pid=0

printf 'nid = b\ndb = t.db\nlisten = off\nrunner_threads = 3\n' > n.conf
"$D" --config n.conf 2>log2.txt & pid=$!
wait_for "grep -q started log2.txt"
check "runner_threads = 3 in the file: three ami-run threads" '[ "$(runners $pid)" = 3 ]'
kill -TERM $pid; wait $pid; pid=0
exit $fail
