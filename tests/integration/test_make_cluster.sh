#!/usr/bin/env bash
# Claim: `make cluster` (scripts/cluster.sh) brings up three etcd members and three nodes
# running the demo (the leader worker logs averages from all three nodes), the kill -9
# the doc suggests moves the leader worker to another node, and SIGTERM stops everything.
set -u
B=$(realpath "${AMI_BUILD:-build}")
command -v etcd >/dev/null || { echo "etcd is not installed (scripts/deps.sh installs etcd-server)"; exit 1; }
work=$(mktemp -d /tmp/ami-cluster-XXXXXX)
AMI_DATA=$work setsid scripts/cluster.sh "$B" >"$work/out" 2>&1 &
pid=$!
trap 'kill -TERM -- -$pid 2>/dev/null; sleep 1; kill -KILL -- -$pid 2>/dev/null; rm -rf "$work"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAILED: $1"; fail=1; fi; }
wait_for() { local i; for i in $(seq 1 "$2"); do eval "$1" && return 0; sleep 0.2; done; return 1; }
check "the store URI is written" 'wait_for "[ -s $work/cluster/uri ]" 100'
uri=$(cat "$work/cluster/uri" 2>/dev/null)
check "three live nodes" 'wait_for "[ \$(\"$B/amictl\" --db \"$uri\" nodes 2>/dev/null | grep -c \"^s-000\") = 3 ]" 100'
check "the leader worker averages all three nodes" 'wait_for "grep -q \"averages (term 1): .*(3 nodes)\" $work/out" 100'
leader=$(grep -o 'elected leader on s-000[0-9]' "$work/out" | head -n 1 | awk '{print $4}')
check "a leader was elected" '[ -n "$leader" ]'
kill -9 "$(cat "$work/cluster/$leader.pid")" 2>/dev/null
check "after kill -9 another node leads (term 2)" 'wait_for "grep -q \"averages (term 2)\" $work/out" 100'
kill -TERM "$pid"
check "SIGTERM stops the script" 'wait_for "! kill -0 $pid 2>/dev/null" 100'
check "and the etcd members" '! pgrep -f "etcd --name m[0-9] --data-dir $work" >/dev/null'
[ $fail = 0 ] || tail -n 30 "$work/out"
exit $fail
