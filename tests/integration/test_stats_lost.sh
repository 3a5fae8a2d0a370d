#!/usr/bin/env bash
# Claim: the cluster's stats follow the live cluster: after `kill -9` of a node its rows read
# "lost" (not running) within 3x its heartbeat, while a second node's rows stay running; a
# deleted worker's rows vanish; workers and instances are counted apart.
set -u
B=${AMI_BUILD:-build}
D=$(realpath "$B/amid"); A=$(realpath "$B/amictl"); JQ=$(realpath tests/lib/jq.py)
dir=$(mktemp -d /tmp/ami-lost-XXXXXX)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
printf 'logger.info("tick"); await Stels.sleep(50);\n' > w.js
sid=$("$A" --db ami.db --json create --file w.js --start | $JQ 'j["key"][2]')
gone=$("$A" --db ami.db --json create --file w.js --start | $JQ 'j["key"][2]')
for n in 1 2; do "$D" --nid s-000$n --db ami.db --listen off --heartbeat-ms 300 --stats-ms 200 2>n$n.log & done
p1=$(jobs -p | head -1)
rows() { "$A" --db ami.db --json stats | $JQ "$1"; }
for i in $(seq 80); do [ "$(rows 'j["runningInstances"]')" = 4 ] && break; sleep 0.1; done
check "two workers on two nodes: 2 workers, 4 instances running" '[ "$(rows "[j[\"totalWorkers\"], j[\"runningWorkers\"], j[\"totalInstances\"], j[\"runningInstances\"]]")" = "[2, 2, 4, 4]" ]'
"$A" --db ami.db delete "$gone" >/dev/null
check "a deleted worker's rows vanish at once" '[ "$(rows "sorted(set(w[\"sid\"] for w in j[\"workers\"]))")" = "[\"$sid\"]" ]'
kill -9 "$p1"; t0=$(date +%s%N)
lost=0
for i in $(seq 100); do
  [ "$(rows "[w[\"state\"] for w in j[\"workers\"] if w[\"nid\"]==\"s-0001\"]")" = '["lost"]' ] && { lost=1; break; }; sleep 0.05
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "    s-0001's row read lost ${ms} ms after kill -9 (heartbeat 300 ms, expiry 900 ms)"
check "kill -9: the dead node's row reads lost within 3x heartbeat (+ margin)" '[ $lost -eq 1 ] && [ $ms -lt 4000 ]'
check "the live node's row still runs" '[ "$(rows "[w[\"isRunning\"] for w in j[\"workers\"] if w[\"nid\"]==\"s-0002\"]")" = "[true]" ]'
check "counts: 1 worker running, 2 instances, 1 running" '[ "$(rows "[j[\"totalWorkers\"], j[\"runningWorkers\"], j[\"totalInstances\"], j[\"runningInstances\"]]")" = "[1, 1, 2, 1]" ]'
exit $fail
