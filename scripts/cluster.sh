#!/usr/bin/env bash
# `make cluster`: a three-member etcd cluster and three amid nodes on loopback,
# all sharing one store on etcd (nothing shared on disk but this demo's data
# directory), with the demo workers: a parallel worker on every node and a
# leader worker that runs on one of them.  Watch the "averages (term N)" lines;
# in another terminal kill the leader's node (the line "elected leader on NID"
# tells which) and see the next one take over:
#   kill -9 $(cat data/cluster/s-0002.pid)      # or kill -TERM: at once
#   build/amictl --db "$(cat data/cluster/uri)" nodes
# Ctrl-C stops everything (nodes gracefully, then etcd).
set -eu
B=${1:-build}
DATA=${AMI_DATA:-./data}/cluster
command -v etcd >/dev/null || { echo "cluster: etcd is not installed (scripts/deps.sh installs etcd-server)" >&2; exit 1; }
rm -rf "$DATA"; mkdir -p "$DATA"
. tests/lib/etcd.sh
etcd_start 3 "$DATA/etcd" >/dev/null || { etcd_stop; exit 1; }
URI="etcd://$ETCD_ENDPOINTS/demo"
echo "$URI" >"$DATA/uri"
node_pids=()
stop_all() {
  trap - INT TERM EXIT
  for p in "${node_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${node_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  etcd_stop
  echo "cluster: stopped"
}
trap stop_all INT TERM EXIT
ctl() { "$B/amictl" --db "$URI" "$@"; }
ctl create --file scripts/demo/tickers.js --mode parallel --priority normal --note "demo: tickers" --start >/dev/null
ctl create --file scripts/demo/aggregate.js --mode leader --priority high --note "demo: aggregate" --start >/dev/null
echo "etcd members: $ETCD_ENDPOINTS (data in $DATA/etcd)"
echo "store: $URI"
for i in 1 2 3; do
  nid=s-000$i
  "$B/amid" --nid "$nid" --db "$URI" --local-db "sqlite:$DATA/$nid.local" --listen "127.0.0.1:$((3000 + i))" \
    --lease-ms 3000 --renew-ms 1000 --retry-ms 300 > >(sed -u "s/^/[$nid] /") 2>&1 &
  node_pids+=("$!")
  echo "$!" >"$DATA/$nid.pid"
done
echo "nodes: s-0001..s-0003 (HTTP on 127.0.0.1:3001..3003); pids in $DATA/*.pid"
echo "try:  $B/amictl --db '$URI' list"
wait
