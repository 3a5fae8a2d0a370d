#!/usr/bin/env bash
# Claim: amictl --db drives the registry from a shell: create/list/show/start/stop/delete,
# exact JSON with --json, errors on stderr with exit 1, usage errors exit 2.
set -u
B=${AMI_BUILD:-build}
A=$(realpath "$B/amictl"); JQ=$(realpath tests/lib/jq.py)
dir=$(mktemp -d /tmp/ami-ctl-XXXXXX); trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
printf 'logger.info("hi");\n' > w.js
"$A" --db t.db --json create --file w.js --priority high --mode leader --note "my note" > c.json
sid=$($JQ 'j["value"]["raw"]["sid"]' < c.json)
check "create prints the entry" '[ ${#sid} -eq 36 ]'
check "create keeps fields" '$JQ "j[\"value\"][\"raw\"][\"priority\"]==\"high\" and j[\"value\"][\"raw\"][\"executionMode\"]==\"leader\" and j[\"value\"][\"raw\"][\"note\"]==\"my note\" and j[\"value\"][\"raw\"][\"active\"] is False" < c.json'
check "script stored as written" '$JQ "j[\"value\"][\"raw\"][\"script\"]==open(\"w.js\").read()" < c.json'
echo 'logger.info(1)' | "$A" --db t.db create --file - >/dev/null
check "create from stdin" '[ "$("$A" --db t.db --json list | $JQ "len(j)")" = 2 ]'
check "list table shows short sid" '"$A" --db t.db list | grep -q "^${sid:0:8} "'
check "show by prefix" '"$A" --db t.db --json show "${sid:0:8}" | $JQ "j[\"key\"][2]==a[0]" "$sid"'
check "start" '"$A" --db t.db --json start "${sid:0:6}" | $JQ "j[\"value\"][\"raw\"][\"active\"] is True"'
check "stop" '"$A" --db t.db --json stop "$sid" | $JQ "j[\"value\"][\"raw\"][\"active\"] is False"'
AMI_DB=t.db "$A" start "$sid" >/dev/null
check "stop-all json report" '"$A" --db t.db --json stop-all | $JQ "j[\"total\"]==2 and j[\"stopped\"]==2 and j[\"failed\"]==0"'
"$A" --db t.db show nosuchworker >out.txt 2>err.txt; rc=$?
check "unknown worker: exit 1, message on stderr" '[ $rc -eq 1 ] && grep -q "no worker matches" err.txt && [ ! -s out.txt ]'
"$A" --db t.db show >/dev/null 2>err.txt; rc=$?
check "missing argument: exit 2" '[ $rc -eq 2 ] && [ -s err.txt ]'
"$A" --db t.db frobnicate >/dev/null 2>err.txt; rc=$?
check "unknown command: exit 2" '[ $rc -eq 2 ] && grep -q "unknown command" err.txt'
printf '{}' > x.js; "$A" --db t.db create --file x.js --mode exclusive >/dev/null 2>err.txt; rc=$?
check "exclusive without node: exit 1 with the spec message" '[ $rc -eq 1 ] && grep -q "Exclusive mode requires assignedNode parameter" err.txt'
"$A" --db t.db create --file w.js --mode exclusive --node s-9999 --start >/dev/null
check "exclusive worker on a node that is not live is flagged in list" '"$A" --db t.db list | grep -q "s-9999!" && "$A" --db t.db list | grep -q "not live"'
"$A" --db t.db create --file "$dir" >/dev/null 2>err.txt; rc=$?
check "a directory as script: exit 1, says why" '[ $rc -eq 1 ] && grep -q "Is a directory" err.txt'
mkdir notadb; "$A" --db notadb list >/dev/null 2>err.txt; rc=$?
check "store error names the file once" '[ $rc -eq 1 ] && [ $(grep -o notadb err.txt | wc -l) -eq 1 ]'
check "help on stdout" '"$A" help | grep -q "commands:" && "$A" create --help | grep -q -- "--file"'
check "delete" '"$A" --db t.db delete "$sid" >/dev/null && ! "$A" --db t.db show "$sid" 2>/dev/null'
# TypeScript: the language is recorded (a .ts file is ts even where its text reads as JavaScript)
printf 'function a(x) { return "called " + x; }\nvar b = 1, c = 0;\nlogger.info(a < b > (c));\n' > amb.ts
cp amb.ts amb.js
check "create --file x.ts records language ts" '"$A" --db t.db --json create --file amb.ts | $JQ "j[\"value\"][\"raw\"][\"language\"]==\"ts\""'
check "create --file x.js records the detected language" '"$A" --db t.db --json create --file amb.js | $JQ "j[\"value\"][\"raw\"][\"language\"]==\"js\""'
printf 'let n: number = 2;\n' > t2.js
check "TypeScript syntax is detected" '"$A" --db t.db --json create --file t2.js | $JQ "j[\"value\"][\"raw\"][\"language\"]==\"ts\""'
check "--language overrides" '"$A" --db t.db --json create --file amb.ts --language js | $JQ "j[\"value\"][\"raw\"][\"language\"]==\"js\""'
check "amictl run x.ts lowers as TypeScript" '"$A" --db t.db run amb.ts 2>&1 | grep -q "called 0"'
check "amictl run x.js lowers as JavaScript" '"$A" --db t.db run amb.js 2>&1 | grep -q "false"'
exit $fail
