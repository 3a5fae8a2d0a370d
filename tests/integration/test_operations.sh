#!/usr/bin/env bash
# Claim: every shell command docs/operations.md shows (its ```sh blocks before the etcd part)
# works as printed, in a fresh directory with the built amid/amictl on PATH: two nodes on one
# store, JSON log lines, an online .backup that amictl reads, /metrics and /healthz, TLS with
# curl --cacert.  Lines that need root or a real systemd (sudo, journalctl) are only listed.
set -u
B=$(realpath "${AMI_BUILD:-build}"); ROOT=$(pwd)
dir=$(mktemp -d /tmp/ami-ops-XXXXXX); [ -n "${KEEP:-}" ] && echo "$dir"
trap 'kill $(jobs -p) 2>/dev/null; wait; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
awk '/^## Running a cluster on etcd/{exit} /^```sh/{b=1; next} b && /^```/{b=0; print "#--"; next} b' docs/operations.md > "$dir/cmds.txt"
cd "$dir"
export PATH="$B:$PATH" NO_COLOR=1
printf 'logger.info("ops " + Stels.config.nid); await Stels.sleep(200);\n' > w.js
n=0; ran=0
while IFS= read -r line; do
  [ "$line" = "#--" ] && continue
  cmd=${line%%  #*}
  case "$cmd" in sudo*|journalctl*) echo "  (not run: $cmd)"; continue;; esac
  n=$((n+1))
  echo "\$ $cmd" >> transcript.txt
  eval "$cmd" > "out.$n" 2>&1; rc=$?
  cat "out.$n" >> transcript.txt
  case "$cmd" in *"&") sleep 1.5;; esac
  case "$cmd" in
    "mkdir -p data") amictl --db ./data/ami.db create --file w.js --start >/dev/null;;   # a worker for the nodes to run
    *" nodes"*) for i in $(seq 80); do grep -q s-0001 out.$n && grep -q s-0002 out.$n && break; sleep 0.25; eval "$cmd" > "out.$n" 2>&1; done
                check "nodes lists both nodes" 'grep -q s-0001 out.$n && grep -q s-0002 out.$n';;
    *" stats"*) for i in $(seq 40); do grep -q "executions [1-9]" out.$n && break; sleep 0.25; eval "$cmd" > "out.$n" 2>&1; done
                check "stats shows the worker on the nodes" 'grep -q "executions [1-9]" out.$n';;
    *".backup"*) check "sqlite3 .backup: exit 0" '[ $rc -eq 0 ] && [ -s data/ami-backup.db ]';;
    *"ami-backup.db list"*) check "the backup lists the worker" '[ $rc -eq 0 ] && grep -q "1 workers" out.$n';;
    *"/metrics"*) check "/metrics has ami_node_info" 'grep -q "^ami_node_info{nid=\"s-0001\"" out.$n';;
    *"--cacert"*) check "curl --cacert reaches amid over TLS" '[ $rc -eq 0 ] && grep -q "\"status\":\"ok\"" out.$n';;
    *"/healthz"*) check "/healthz answers" '[ $rc -eq 0 ] && grep -q "\"status\":\"ok\"" out.$n';;
    *"openssl req"*) check "openssl made a certificate" '[ $rc -eq 0 ] && [ -s data/cert.pem ]';;
  esac
  ran=$((ran+1))
done < cmds.txt
check "ran the document's commands" '[ $ran -ge 12 ]'
check "the JSON-logging node wrote JSON lines" 'cat out.* | grep -q "^{\"ts\":[0-9]*,\"time\":\"[0-9T:.-]*Z\",\"level\":\"info\",\"source\":\"amid\""'
[ $fail -eq 0 ] || { echo "--- transcript"; tail -60 transcript.txt; }
exit $fail
