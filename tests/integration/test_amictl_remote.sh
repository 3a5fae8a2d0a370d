#!/usr/bin/env bash
# Claim: amictl gives the same --json in remote mode (--url/--key, WebFIX over HTTP to amid) as
# in embedded mode (--db); it logs in by itself, caches the session privately, logs in again
# when the session is stale, keeps key and session off the command line, and reports 401/403
# and the other errors with exit 1 on stderr.
set -u
B=${AMI_BUILD:-build}
# remote mode needs amid with its HTTP layer (the node and webfix parts)
if [ ! -x "$B/amid" ] || [ ! -d lib/webfix ]; then echo "skip: amid or lib/webfix not built yet"; exit 0; fi
A=$(realpath "$B/amictl"); D=$(realpath "$B/amid"); JQ=$(realpath tests/lib/jq.py)
dir=$(mktemp -d /tmp/ami-remote-XXXXXX)
node=
cleanup() { [ -n "$node" ] && kill "$node" 2>/dev/null && wait "$node" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
export XDG_CACHE_HOME=$dir/cache NO_COLOR=1
unset AMI_DB AMI_URL AMI_KEY
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
run() { "$@" >out.txt 2>err.txt; rc=$?; }

pub=$("$A" keygen --out owner.pem 2>/dev/null)
"$A" keygen --out viewer.pem >/dev/null 2>&1
check "keygen: a 66-hex public key, private key mode 0600" '[[ $pub =~ ^0[23][0-9a-f]{64}$ ]] && [ "$(stat -c %a owner.pem)" = 600 ]'
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$D" --nid s-0001 --db "$dir/ami.db" --listen "127.0.0.1:$port" --owners "$pub" --allow-viewers true --lease-ms 3000 --stats-ms 300 \
     --heartbeat-ms 500 2>amid.log &
node=$!
for i in $(seq 100); do grep -q "WebFIX API on" amid.log && break; sleep 0.1; done
if grep -q "unknown config key 'listen'" amid.log; then echo "skip: amid has no HTTP layer yet"; exit 0; fi
U=http://127.0.0.1:$port/
R() { "$A" --url "$U" --key owner.pem "$@"; }
E() { "$A" --db "$dir/ami.db" "$@"; }

# the templates are modern JavaScript; until the lowering is wired into the runtime, ES5 stand-ins
LOWER=0; printf 'const f = () => 1;\n' | "$A" validate - >/dev/null 2>&1 && LOWER=1
printf 'Stels.net.set(["ticker", "BTC/USDT"], {last: Math.random()});\nlogger.info("tick");\n' > tick5.js
printf 'logger.info("market monitor stand-in");\n' > mm5.js
if [ $LOWER = 1 ]; then
  run R --json create --template ticker-simulator --start
else
  echo "  (lowering not wired into the runtime yet: ES5 stand-ins for the templates)"
  run R --json create --file tick5.js --mode leader --note "Ticker Simulator" --start
fi
check "remote create (owner login on the fly)" '[ $rc -eq 0 ] && $JQ "j[\"value\"][\"raw\"][\"note\"]==\"Ticker Simulator\"" < out.txt'
tick=$($JQ 'j["key"][2]' < out.txt)
if [ $LOWER = 1 ]; then R create --template market-monitor --start >/dev/null
else R create --file mm5.js --note "Market Monitor" --start >/dev/null; fi
printf 'logger.info("hello");\n' > hello.js
R --json create --file hello.js --note remote --priority low > c.json
hello=$($JQ 'j["key"][2]' < c.json)
check "session cached with mode 0600 in a 0700 directory" '[ "$(stat -c %a cache/ami)" = 700 ] && f=$(ls cache/ami/session-*.json) && [ "$(stat -c %a $f)" = 600 ]'
session=$($JQ 'j["session"]' < cache/ami/session-*.json)

# let the node run them for a moment so stats, leader and logs have content
for i in $(seq 100); do E --json stats "$tick" | $JQ 'j["workers"] and j["workers"][0]["executions"]>0' 2>/dev/null && break; sleep 0.1; done
"$A" --db "$dir/ami.db" stop "$tick" >/dev/null; sleep 1   # freeze the prices so both reads agree
same() {  # same "what" ARGS...: --json output equal in both modes, ignoring fields that tick with time
  E --json "$@" > e.json 2>e.err; re=$?; R --json "$@" > r.json 2>r.err; rr=$?
  python3 - "$@" <<'PY' && [ $re -eq $rr ]
import json, sys
volatile = {"timestamp", "expiresIn", "uptime", "lastRunAgo", "lastRun", "heartbeatAt", "isExpired", "executions",
            "errors", "errorRate", "consecutiveErrors", "totalExecutions", "totalErrors", "state", "isRunning",
            "runningWorkers", "stoppedWorkers"}
def strip(x):
    if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if k not in volatile}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
import re
if not open("e.json").read() and not open("r.json").read():   # an error: the same message on stderr
    e, r = (re.sub(r" \(HTTP \d+\)", "", open(f).read()) for f in ("e.err", "r.err"))
    if e != r or not e: print("embedded:", e); print("remote:  ", r); sys.exit(1)
    sys.exit(0)
e, r = json.load(open("e.json")), json.load(open("r.json"))
if strip(e) != strip(r):
    print("embedded:", json.dumps(e)[:400]); print("remote:  ", json.dumps(r)[:400]); sys.exit(1)
PY
}
check "same --json: list" 'same list'
check "same --json: show (by prefix)" 'same show "${hello:0:8}"'
check "same --json: templates" 'same templates'
check "same --json: templates NAME" 'same templates health-check'
check "same --json: nodes" 'same nodes'
check "same --json: leader" 'same leader "$tick" && $JQ "j[\"hasLeader\"] and j[\"leader\"]==\"s-0001\"" < r.json'
check "same --json: logs" 'same logs "$tick" -n 5 && $JQ "1 <= len(j) <= 5" < r.json'
check "same --json: stats of one worker" 'same stats "$tick" && $JQ "len(j[\"workers\"])==1 and j[\"workers\"][0][\"sid\"]==a[0]" "$tick" < r.json'
check "same --json: validate" 'same validate hello.js'
check "same --json: stats of the whole cluster" 'same stats'
check "same --json: stats --node" 'same stats --node s-0001'
check "same --json: logs of a worker without lines" 'same logs "$hello"'
check "same --json: leader of an unknown worker (error)" 'same leader nosuchworker'
# the writing commands: each mode acts on its own worker; the answers agree but for ids and times
same_w() {  # same_w SID_E SID_R ARGS...: run "ARGS" on each mode's own worker (the SID goes last)
  se=$1 sr=$2; shift 2
  E --json "$@" "$se" > e.json 2>e.err; re=$?; R --json "$@" "$sr" > r.json 2>r.err; rr=$?
  python3 - "$se" "$sr" <<'PY' && [ $re -eq $rr ]
import json, sys
volatile = {"timestamp", "versionstamp", "widget"}
def strip(x, sid):
    if isinstance(x, dict): return {k: strip(v, sid) for k, v in x.items() if k not in volatile}
    if isinstance(x, list): return [strip(v, sid) for v in x]
    if isinstance(x, str): return x.replace(sid, "SID")
    return x
e, r = json.load(open("e.json")), json.load(open("r.json"))
if strip(e, sys.argv[1]) != strip(r, sys.argv[2]):
    print("embedded:", json.dumps(e)[:400]); print("remote:  ", json.dumps(r)[:400]); sys.exit(1)
PY
}
E --json create --file hello.js --note same --priority high > ce.json; R --json create --file hello.js --note same --priority high > cr.json
we=$($JQ 'j["key"][2]' < ce.json); wr=$($JQ 'j["key"][2]' < cr.json)
check "same --json: create" 'python3 -c "import json,sys; s=lambda f,i: json.dumps(json.load(open(f)),sort_keys=True).replace(i,\"SID\"); d=lambda t: {k:v for k,v in json.loads(t).items() if k!=\"versionstamp\"}; a=d(s(\"ce.json\",\"$we\")); b=d(s(\"cr.json\",\"$wr\")); [x[\"value\"][\"raw\"].pop(\"timestamp\") for x in (a,b)]; [x[\"value\"].pop(\"timestamp\",None) for x in (a,b)]; sys.exit(a!=b)"'
check "same --json: update" 'same_w "$we" "$wr" update --note again --run single'
check "same --json: start" 'same_w "$we" "$wr" start'
check "same --json: stop" 'same_w "$we" "$wr" stop'
check "same --json: show" 'same_w "$we" "$wr" show'
check "same --json: delete" 'same_w "$we" "$wr" delete'
run R --json update "$hello" --note changed --run single
check "remote update" '[ $rc -eq 0 ] && $JQ "j[\"value\"][\"raw\"][\"note\"]==\"changed\" and j[\"value\"][\"raw\"][\"mode\"]==\"single\" and j[\"value\"][\"raw\"][\"priority\"]==\"low\"" < out.txt'
vs=$($JQ 'j["versionstamp"]' < out.txt)
E update "$hello" --note other >/dev/null
run R update "$hello" --note stale --versionstamp "$vs"
check "remote stale versionstamp: exit 1, conflict" '[ $rc -eq 1 ] && grep -q "version mismatch" err.txt'
run R show nosuch
check "remote unknown worker: exit 1" '[ $rc -eq 1 ] && grep -q "no worker matches" err.txt && [ ! -s out.txt ]'
for i in $(seq 16); do E create --file hello.js >/dev/null; done
p=$(E --json list | $JQ 'next(c for c in "0123456789abcdef" if sum(1 for e in j if e["key"][2].startswith(c))>1)')
run R show "$p"; msg_r=$(cat err.txt); rc_r=$rc
run E show "$p"
check "ambiguous prefix: same message and exit 1 in both modes" '[ $rc -eq 1 ] && [ $rc_r -eq 1 ] && [ "$msg_r" = "$(cat err.txt)" ] && grep -q "matches" err.txt'
run "$A" --url "$U" list
check "no key: 401 on stderr with a hint, exit 1" '[ $rc -eq 1 ] && grep -q "401" err.txt && grep -q -- "--key" err.txt'
run "$A" --url "$U" --key viewer.pem list
check "viewer key may read" '[ $rc -eq 0 ]'
run "$A" --url "$U" --key viewer.pem create --file hello.js
check "viewer key may not create: 403, exit 1" '[ $rc -eq 1 ] && grep -q "403" err.txt'
rm -rf cache; R nodes >/dev/null      # one cached session: the owner's
f=$(ls cache/ami/session-*.json)
echo '{"url":"x","session":"00000000000000000000000000000000","expiresAt":0}' > "$f"
run R nodes
check "stale cached session: logs in again" '[ $rc -eq 0 ] && ! grep -q 00000000000000000000000000000000 "$f" && grep -q session "$f"'
# key and session stay off the command line
R logs "$tick" -f --timeout 3 > /dev/null 2>&1 &
f_pid=$!
sleep 1
cmdline=$(tr '\0' ' ' < /proc/$f_pid/cmdline)
wait $f_pid
session=$($JQ 'j["session"]' < "$f")
check "no session or key material in the process's command line" '[ -n "$session" ] && [[ $cmdline != *"$session"* ]] && [[ $cmdline != *PRIVATE* ]] && [[ $cmdline != *"$pub"* ]]'
run R stop-all
check "remote stop-all" '[ $rc -eq 0 ] && grep -q "stopped, 0 failed" out.txt'
kill "$node"; wait "$node"; nrc=$?; node=
check "amid shut down cleanly" '[ $nrc -eq 0 ]'
run "$A" --url "$U" --key owner.pem list
check "server gone: exit 1, cannot reach" '[ $rc -eq 1 ] && grep -q "cannot reach" err.txt'
[ $fail -eq 0 ] || tail -20 amid.log
exit $fail
