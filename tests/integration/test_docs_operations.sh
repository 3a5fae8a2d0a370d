#!/usr/bin/env bash
# Claim: the etcdctl commands docs/operations.md shows (compaction, defrag, snapshot
# backup) work as printed against a real etcd holding a libami store.
set -u
root=$(pwd); B=$(realpath "${AMI_BUILD:-build}")
command -v etcdctl >/dev/null || { echo "etcdctl is not installed (scripts/deps.sh installs etcd-client)"; exit 1; }
. "$root/tests/lib/etcd.sh"
etcd_start 1 || { etcd_stop; exit 1; }
work=$(mktemp -d /tmp/ami-docs-ops-XXXXXX)
trap 'etcd_stop; rm -rf "$work"' EXIT
ENDPOINTS=$ETCD_ENDPOINTS
# a store with some history
"$B/amictl" --db "etcd://$ENDPOINTS/docs" create --template ticker-simulator >/dev/null 2>&1 ||
  "$B/amictl" --db "etcd://$ENDPOINTS/docs" stop-all >/dev/null || { echo "amictl on etcd failed"; exit 1; }
REV=$(etcdctl --endpoints=$ENDPOINTS endpoint status -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
[ -n "$REV" ] || { echo "no revision"; exit 1; }
cmds=$(awk '/^```/{b=!b; next} b && /^etcdctl /' "$root/docs/operations.md")
[ "$(printf '%s\n' "$cmds" | wc -l)" -ge 4 ] || { echo "docs/operations.md shows fewer etcdctl commands than expected"; exit 1; }
fail=0
cd "$work"
while IFS= read -r c; do
  if out=$(eval "$c" 2>&1); then echo "ok: $c"; else echo "FAILED: $c"; echo "$out" | sed 's/^/  | /'; fail=1; fi
done <<<"$cmds"
[ -s ami-backup.db ] || { echo "no snapshot file"; fail=1; }
"$B/amictl" --db "etcd://$ENDPOINTS/docs" list >/dev/null || { echo "the store does not read after compaction"; fail=1; }
exit $fail
