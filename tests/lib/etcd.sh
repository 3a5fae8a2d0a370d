#!/usr/bin/env bash
# Real etcd members for tests: start a 1- or 3-member cluster on free loopback
# ports with temporary data dirs, and tear it down.
#
# As a library (source it):
#   etcd_start N [DIR]     start N members (data under DIR, default a new temp dir);
#                          sets ETCD_ENDPOINTS ("127.0.0.1:P,127.0.0.1:Q,…"),
#                          ETCD_PIDS (array), ETCD_CLIENT_PORTS, ETCD_PEER_PORTS, ETCD_DIR
#   etcd_stop              kill every member (SIGKILL) and remove DIR if we made it
#   etcd_kill I [SIG]      kill member I (0-based; default SIGKILL)
#   etcd_restart I         start member I again on its old ports and data
#   etcd_wait_healthy [S]  wait (up to S s, default 20) until every live member answers
# ETCD_HOST (default 127.0.0.1) is the address members listen on; ETCD_EXEC is a
# command prefix members run under (e.g. "ip netns exec NS" for a network namespace).
# AMI_ETCD_LOG_LEVEL (default error; e.g. info, with AMI_KEEP_TMP=1 to keep DIR) is the
# members' log level: info logs their raft leader changes and slow disk warnings.
# As commands:
#   tests/lib/etcd.sh start N DIR   start N members in the background, print the endpoints,
#                                   write DIR/pids (stop them with: tests/lib/etcd.sh stop DIR)
#   tests/lib/etcd.sh run N -- CMD…   start N members, run CMD with AMI_TEST_ETCD set to
#                                       the endpoints, stop them, exit with CMD's status
set -u
ETCD_HOST=${ETCD_HOST:-127.0.0.1}

etcd_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

etcd_member_cmd() {   # I -> starts member I in the background, records its pid
  local i=$1
  local cluster="" j
  for j in $(seq 0 $((ETCD_N - 1))); do
    cluster+="${cluster:+,}m$j=http://$ETCD_HOST:${ETCD_PEER_PORTS[$j]}"
  done
  ${ETCD_EXEC:-} etcd --name "m$i" --data-dir "$ETCD_DIR/m$i" \
    --listen-client-urls "http://$ETCD_HOST:${ETCD_CLIENT_PORTS[$i]}" \
    --advertise-client-urls "http://$ETCD_HOST:${ETCD_CLIENT_PORTS[$i]}" \
    --listen-peer-urls "http://$ETCD_HOST:${ETCD_PEER_PORTS[$i]}" \
    --initial-advertise-peer-urls "http://$ETCD_HOST:${ETCD_PEER_PORTS[$i]}" \
    --initial-cluster "$cluster" --initial-cluster-state new \
    --initial-cluster-token "$ETCD_TOKEN" \
    --heartbeat-interval 50 --election-timeout 500 \
    --logger zap --log-level "${AMI_ETCD_LOG_LEVEL:-error}" >"$ETCD_DIR/m$i.log" 2>&1 &
  ETCD_PIDS[$i]=$!
}

etcd_start() {
  ETCD_N=$1
  ETCD_OWN_DIR=0
  if [ -n "${2:-}" ]; then ETCD_DIR=$2; mkdir -p "$ETCD_DIR"; else ETCD_DIR=$(mktemp -d /tmp/ami-etcd-XXXXXX); ETCD_OWN_DIR=1; fi
  ETCD_PIDS=(); ETCD_CLIENT_PORTS=(); ETCD_PEER_PORTS=(); ETCD_TOKEN="ami-test-$$-$RANDOM"
  local i
  for i in $(seq 0 $((ETCD_N - 1))); do
    ETCD_CLIENT_PORTS[$i]=$(etcd_free_port); ETCD_PEER_PORTS[$i]=$(etcd_free_port)
  done
  ETCD_ENDPOINTS=""
  for i in $(seq 0 $((ETCD_N - 1))); do ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}$ETCD_HOST:${ETCD_CLIENT_PORTS[$i]}"; done
  for i in $(seq 0 $((ETCD_N - 1))); do etcd_member_cmd "$i"; done
  export ETCD_ENDPOINTS
  etcd_wait_healthy 30
}

etcd_wait_healthy() {
  local limit=${1:-20} i ok end=$((SECONDS + ${1:-20}))
  while :; do
    ok=1
    for i in "${!ETCD_PIDS[@]}"; do
      [ -n "${ETCD_PIDS[$i]}" ] || continue
      ${ETCD_EXEC:-} curl -s -m 1 -X POST -d '{"key":"AA=="}' "http://$ETCD_HOST:${ETCD_CLIENT_PORTS[$i]}/v3/kv/range" 2>/dev/null | grep -q header || { ok=0; break; }
    done
    [ $ok = 1 ] && return 0
    [ $SECONDS -ge $end ] && { echo "etcd.sh: members not healthy after ${limit}s" >&2; tail -n 5 "$ETCD_DIR"/m*.log >&2; return 1; }
    sleep 0.1
  done
}

etcd_kill() {
  local i=$1 sig=${2:-KILL}
  [ -n "${ETCD_PIDS[$i]:-}" ] || return 0
  kill -"$sig" "${ETCD_PIDS[$i]}" 2>/dev/null; wait "${ETCD_PIDS[$i]}" 2>/dev/null
  ETCD_PIDS[$i]=""
}

etcd_restart() {
  local i=$1
  # a restarted member keeps its data dir: --initial-cluster-state is ignored then
  etcd_member_cmd "$i"
}

etcd_stop() {
  local i
  for i in "${!ETCD_PIDS[@]}"; do [ -n "${ETCD_PIDS[$i]}" ] && kill -KILL "${ETCD_PIDS[$i]}" 2>/dev/null; done
  for i in "${!ETCD_PIDS[@]}"; do [ -n "${ETCD_PIDS[$i]}" ] && wait "${ETCD_PIDS[$i]}" 2>/dev/null; done
  ETCD_PIDS=()
  [ "${ETCD_OWN_DIR:-0}" = 1 ] && [ -z "${AMI_KEEP_TMP:-}" ] && rm -rf "$ETCD_DIR"
  return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = start ]; then
  etcd_start "$2" "$3" >&2 || { etcd_stop; exit 1; }
  echo "${ETCD_PIDS[*]}" >"$3/pids"
  echo "$ETCD_ENDPOINTS"
  exit 0
fi
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = stop ]; then
  for p in $(cat "$2/pids" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  exit 0
fi
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = run ]; then
  command -v etcd >/dev/null || { echo "etcd.sh: etcd is not installed (scripts/deps.sh installs etcd-server)" >&2; exit 1; }
  n=$2; shift 2; [ "${1:-}" = "--" ] && shift
  etcd_start "$n" || { etcd_stop; exit 1; }
  trap etcd_stop EXIT
  AMI_TEST_ETCD=$ETCD_ENDPOINTS "$@"
  exit $?
fi
