#!/usr/bin/env bash
# Claim: `amictl run FILE` executes a worker script in-process against the
# store: keys it sets are in the store afterwards, log lines go to stdout,
# Stels.local is the node's "<db>.<nid>.local" file, a throw exits 1 with the
# error, a syntax error exits 1 with line and column, usage errors exit 2.
set -u
B=${AMI_BUILD:-build}
A=$(realpath "$B/amictl"); JQ=$(realpath tests/lib/jq.py)
dir=$(mktemp -d /tmp/ami-run-XXXXXX); trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }

cat > w.js <<'JS'
logger.info("Worker started on node:", Stels.config.nid);
__ami_await(Stels.net.set(["sonar", "health", Stels.config.nid], {ok: true, nid: Stels.config.nid}));
var e = __ami_await(Stels.net.get(["sonar", "health", Stels.config.nid]));
logger.info("read back", e.value.raw);
var c = __ami_await(Stels.local.get(["count"])).value;
__ami_await(Stels.local.set(["count"], (c ? c.raw : 0) + 1));
logger.warn("count", __ami_await(Stels.local.get(["count"])).value.raw);
JS
"$A" --db t.db run w.js --nid n1 --iterations 3 >out.txt 2>err.txt; rc=$?
check "runs: exit 0, nothing on stderr" '[ $rc -eq 0 ] && [ ! -s err.txt ]'
check "log lines on stdout, one per call" '[ $(grep -c "info  Worker started on node: n1" out.txt) -eq 3 ] && grep -q "read back {\"ok\":true,\"nid\":\"n1\"}" out.txt'
check "local store persists across iterations" 'tail -1 out.txt | grep -q "warn  count 3$"'
check "local store is the node file" '[ -f t.db.n1.local ]'
# the key is in the shared store, as the runtime stored it
cat > r.js <<'JS'
var e = __ami_await(Stels.net.get(["sonar", "health", "n1"]));
logger.info(JSON.stringify(e.value));
JS
"$A" --db t.db --json run r.js >out.json 2>err.txt; rc=$?
check "another run reads the stored shape" '[ $rc -eq 0 ] && $JQ "json.loads(j[\"msg\"])[\"channel\"]==\"sonar.health.n1\" and json.loads(j[\"msg\"])[\"raw\"]=={\"ok\":True,\"nid\":\"n1\"} and json.loads(j[\"msg\"])[\"timestamp\"]>0" < out.json'
check "--json log records" '$JQ "j[\"level\"]==\"info\" and j[\"nid\"]==\"s-0001\" and j[\"sid\"].startswith(\"run-\") and j[\"ts\"]>0" < out.json'

printf 'var a = 1;\nvar b = (;\n' > bad.js
"$A" --db t.db run bad.js >out.txt 2>err.txt; rc=$?
check "syntax error: exit 1 with line and column" '[ $rc -eq 1 ] && grep -q "SyntaxError: .*(line 2, column 10)" err.txt && [ ! -s out.txt ]'
printf 'logger.info("before");\n\nthrow new TypeError("bad input");\n' > throw.js
"$A" --db t.db run throw.js >out.txt 2>err.txt; rc=$?
check "throw: exit 1, name, message and line on stderr" '[ $rc -eq 1 ] && grep -q "TypeError: bad input (line 3)" err.txt && grep -q before out.txt'
echo 'Stels.net.set(["from", "stdin"], 1);' | "$A" --db t.db run - >/dev/null 2>err.txt; rc=$?
check "script from stdin" '[ $rc -eq 0 ]'
"$A" --db t.db run >/dev/null 2>err.txt; rc=$?
check "no file: exit 2" '[ $rc -eq 2 ] && [ -s err.txt ]'
"$A" --db t.db run w.js --iterations x >/dev/null 2>err.txt; rc=$?
check "bad option value: exit 2" '[ $rc -eq 2 ]'
"$A" --db t.db run nosuch.js >/dev/null 2>err.txt; rc=$?
check "missing file: exit 1" '[ $rc -eq 1 ]'
# a subscribing script is served until interrupted
cat > sub.js <<'JS'
Stels.net.subscribe(["never"]).on("update", function () {});
logger.info("subscribed");
JS
"$A" --db t.db run sub.js >out.txt 2>err.txt & pid=$!
for i in $(seq 50); do grep -q subscribed out.txt 2>/dev/null && break; sleep 0.1; done
sleep 0.2; kill -INT $pid; wait $pid; rc=$?
check "SIGINT ends the wait for subscriptions" '[ $rc -eq 0 ] && grep -q stopped err.txt'
"$A" --db t.db run sub.js --wait 100 >/dev/null 2>&1; rc=$?
check "--wait bounds it" '[ $rc -eq 0 ]'
exit $fail
