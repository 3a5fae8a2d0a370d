#!/usr/bin/env bash
# Claim: one worker record that is not JSON (written with sqlite3 into a real
# store) does not brick the registry: amid runs the other workers and names the
# record in its log (and ami_node_stats in corruptRecords), `amictl list` lists the
# rest with a warning naming the key, and `amictl delete SID` (WebFIX
# deleteWorker) removes it.
set -u
B=${AMI_BUILD:-build}
A=$(realpath "$B/amictl"); D=$(realpath "$B/amid"); JQ=$(realpath tests/lib/jq.py)
dir=$(mktemp -d /tmp/ami-corrupt-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
command -v sqlite3 >/dev/null || { echo "sqlite3 (the CLI) is needed: apt-get install sqlite3"; exit 1; }
printf 'await Stels.net.set(["ran", Stels.config.sid], Date.now());\n' > w.js
good=$("$A" --db t.db --json create --file w.js --priority high --start | $JQ 'j["value"]["raw"]["sid"]')
bad=$("$A" --db t.db --json create --file w.js --priority high --start | $JQ 'j["value"]["raw"]["sid"]')
n=$(sqlite3 t.db "UPDATE kv SET v = '{\"channel\": \"ami.worker.$bad\", broken' WHERE v LIKE '%\"sid\":\"$bad\"%'; SELECT changes();")
check "one record damaged with sqlite3" '[ "$n" = 1 ]'

"$A" --db t.db --json list > list.json 2> list.err; rc=$?
check "amictl list still works and lists the other worker" '[ $rc -eq 0 ] && $JQ "len(j)==1 and j[0][\"key\"][2]==a[0]" "$good" < list.json'
check "amictl list warns, naming the key" 'grep -q "\"ami\",\"worker\",\"$bad\"" list.err && grep -q "not valid JSON" list.err'
"$A" --db t.db show "$bad" > /dev/null 2> show.err
check "amictl show names the damaged key" 'grep -q "$bad" show.err && grep -q "not valid JSON" show.err'

"$D" --nid s-0001 --db t.db --heartbeat-ms 200 --stats-ms 200 --graceful-shutdown-ms 500 > amid.log 2>&1 &
pid=$!
ran() { "$A" --db t.db --json stats 2>/dev/null | $JQ "any(w[\"sid\"]==a[0] and w[\"executions\"]>0 for w in j[\"workers\"])" "$good"; }
for i in $(seq 1 100); do ran && break; sleep 0.1; done
check "amid runs the readable worker" 'ran'
check "amid names the damaged record in its log" 'grep -q "\"ami\",\"worker\",\"$bad\"" amid.log'
check "amid keeps running" 'kill -0 $pid'

"$A" --db t.db delete "$bad" > del.out 2> del.err; rc=$?
check "amictl delete removes the damaged record" '[ $rc -eq 0 ] && [ -z "$(sqlite3 t.db "SELECT 1 FROM kv WHERE v LIKE \"%$bad%broken%\"")" ]'
"$A" --db t.db --json list > list2.json 2> list2.err
check "after the delete: no warning, the other worker remains" '[ ! -s list2.err ] && $JQ "len(j)==1" < list2.json'
kill -TERM $pid; wait $pid; rc=$?; pid=
check "amid exits cleanly" '[ $rc -eq 0 ]'
exit $fail
