#!/usr/bin/env bash
# Claim: amictl (embedded mode) does what its help says: templates, create --template, update with
# optimistic locking, prefixes incl. ambiguity, validate, help/usage on the right stream with exit
# 0/1/2, and colour only on a terminal without NO_COLOR.
set -u
B=${AMI_BUILD:-build}
A=$(realpath "$B/amictl"); JQ=$(realpath tests/lib/jq.py); ROOT=$(pwd)
dir=$(mktemp -d /tmp/ami-cli-XXXXXX); trap 'rm -rf "$dir"' EXIT
cd "$dir"
export AMI_DB=$dir/t.db
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
# run CMD...: captures out.txt, err.txt and $rc
run() { "$@" >out.txt 2>err.txt; rc=$?; }

# --- templates
run "$A" --json templates
check "templates: the twelve built-ins" '$JQ "sorted(t[\"name\"] for t in j)==sorted(a)" api-endpoint arbitrage-monitor balance-monitor dca-strategy empty grid-trading health-check log-cleanup market-monitor position-manager price-aggregator ticker-simulator < out.txt'
check "templates: each has metadata and a script" '$JQ "all(t[\"title\"] and t[\"category\"] and t[\"description\"] and t[\"executionMode\"] in (\"parallel\",\"leader\",\"exclusive\") and \"Produces\" in t[\"script\"] for t in j)" < out.txt'
run "$A" templates
check "templates table lists names with modes" 'grep -q "^grid-trading .*leader .*critical" out.txt && [ $rc -eq 0 ]'
run "$A" templates health-check
check "templates NAME prints the script" '[ $rc -eq 0 ] && cmp -s out.txt "$ROOT/lib/templates/health-check.js"'
run "$A" templates nope
check "unknown template: exit 1, stderr" '[ $rc -eq 1 ] && grep -q "no template" err.txt && [ ! -s out.txt ]'

# --- create --template (the templates are modern JavaScript: they compile once the lowering is wired in)
LOWER=0; printf 'const f = () => 1;\n' | "$A" validate - >/dev/null 2>&1 && LOWER=1
if [ $LOWER = 1 ]; then
  run "$A" --json create --template market-monitor
  mm=$($JQ 'j["key"][2]' < out.txt)
  check "create --template takes the template's settings" '$JQ "(lambda r: r[\"executionMode\"]==\"parallel\" and r[\"priority\"]==\"normal\" and r[\"mode\"]==\"loop\" and r[\"note\"]==\"Market Monitor\" and r[\"active\"] is False and r[\"script\"]==open(a[0]).read())(j[\"value\"][\"raw\"])" "$ROOT/lib/templates/market-monitor.js" < out.txt'
  run "$A" --json create --template dca-strategy --priority low --note mine --start
  check "flags override the template" '$JQ "(lambda r: r[\"executionMode\"]==\"leader\" and r[\"mode\"]==\"single\" and r[\"priority\"]==\"low\" and r[\"note\"]==\"mine\" and r[\"active\"] is True)(j[\"value\"][\"raw\"])" < out.txt'
  run "$A" create --template log-cleanup
  check "exclusive template without --node: exit 1 with the spec message" '[ $rc -eq 1 ] && grep -q "Exclusive mode requires assignedNode parameter" err.txt'
  run "$A" --json create --template log-cleanup --node s-0002
  check "exclusive template with --node" '[ $rc -eq 0 ] && $JQ "j[\"value\"][\"raw\"][\"assignedNode\"]==\"s-0002\"" < out.txt'
else
  echo "  (lowering not wired into the runtime yet: template workers are replaced by ES5 stand-ins)"
  run "$A" create --template market-monitor
  check "create --template without the lowering: exit 1, compile error" '[ $rc -eq 1 ] && grep -q "Invalid script content" err.txt'
  printf '// Market Monitor (stand-in)\nlogger.info("mm");\n' > mm.js
  run "$A" --json create --file mm.js --note "Market Monitor"; mm=$($JQ 'j["key"][2]' < out.txt)
  "$A" create --file mm.js --mode leader --priority low --note mine --start >/dev/null
  "$A" create --file mm.js --mode exclusive --node s-0002 >/dev/null
fi
printf 'logger.info("own");\n' > own.js
run "$A" --json create --template grid-trading --file own.js
check "--file replaces the template's script" '$JQ "j[\"value\"][\"raw\"][\"script\"]==\"logger.info(\\\"own\\\");\\n\" and j[\"value\"][\"raw\"][\"executionMode\"]==\"leader\"" < out.txt'
run "$A" create
check "create without a script: exit 2" '[ $rc -eq 2 ] && grep -q -- "--template NAME or --file" err.txt'
run "$A" create --file own.js --mode sideways
check "bad enum: exit 1" '[ $rc -eq 1 ] && grep -qi "executionMode" err.txt'
run "$A" create --file missing.js
check "unreadable file: exit 1" '[ $rc -eq 1 ] && grep -q "cannot read" err.txt'

# --- update
run "$A" --json show "$mm"; vs1=$($JQ 'j["versionstamp"]' < out.txt)
run "$A" --json update "${mm:0:8}" --note "updated note" --priority high --run single
check "update changes the given fields only" '$JQ "(lambda r: r[\"note\"]==\"updated note\" and r[\"priority\"]==\"high\" and r[\"mode\"]==\"single\" and r[\"executionMode\"]==\"parallel\" and \"Market Monitor\" in r[\"script\"])(j[\"value\"][\"raw\"])" < out.txt'
vs2=$($JQ 'j["versionstamp"]' < out.txt)
check "update gives a new versionstamp" '[ "$vs1" != "$vs2" ] && [ ${#vs2} -eq 20 ]'
run "$A" update "$mm" --note again --versionstamp "$vs1"
check "stale --versionstamp: exit 1, conflict" '[ $rc -eq 1 ] && grep -q "version mismatch" err.txt'
run "$A" --json update "$mm" --note again --versionstamp "$vs2"
check "current --versionstamp: ok" '[ $rc -eq 0 ] && $JQ "j[\"value\"][\"raw\"][\"note\"]==\"again\"" < out.txt'
run "$A" --json update "$mm" --file own.js --deps a,b --active true
check "update --file --deps --active" '$JQ "(lambda r: r[\"script\"]==open(\"own.js\").read() and r[\"dependencies\"]==[\"a\",\"b\"] and r[\"active\"] is True)(j[\"value\"][\"raw\"])" < out.txt'
run "$A" update "$mm"
check "update with nothing to change: exit 2" '[ $rc -eq 2 ] && [ -s err.txt ]'
run "$A" update "$mm" --active maybe
check "update --active needs true|false: exit 2" '[ $rc -eq 2 ]'
run "$A" update "$mm" --mode exclusive
check "update to exclusive without node: exit 1" '[ $rc -eq 1 ] && grep -q "Exclusive mode requires assignedNode" err.txt'

# --- prefixes: 17 workers guarantee two sharing a first hex digit
for i in $(seq 1 14); do "$A" create --file own.js >/dev/null; done
"$A" --json list > all.json
check "list --json has every worker" '$JQ "len(j)==18" < all.json'
p=$($JQ 'next(c for c in "0123456789abcdef" if sum(1 for e in j if e["key"][2].startswith(c))>1)' < all.json)
run "$A" show "$p"
check "ambiguous prefix: exit 1, candidates on stderr" '[ $rc -eq 1 ] && grep -q "matches [0-9]* workers" err.txt && [ $(grep -o "$p[0-9a-f-]*" err.txt | wc -l) -ge 2 ]'
run "$A" show zzz
check "no match: exit 1" '[ $rc -eq 1 ] && grep -q "no worker matches" err.txt'
run "$A" --json list --active
check "list --active filters" '$JQ "len(j)==2 and all(e[\"value\"][\"raw\"][\"active\"] for e in j)" < out.txt'

# --- validate
printf 'const x = 1;\nlogger.info(x);\n' > ok.js
run "$A" validate ok.js
check "validate ok: exit 0" '[ $rc -eq 0 ] && grep -q "ok" out.txt'
run "$A" --json validate ok.js
check "validate --json" '$JQ "j=={\"valid\": True}" < out.txt'
: > empty.js
run "$A" --json validate empty.js
check "validate empty: exit 1, message" '[ $rc -eq 1 ] && $JQ "j[\"valid\"] is False" < out.txt && grep -q "empty" err.txt'
if printf 'const f = () => 1;\n' | "$A" validate - >/dev/null 2>&1; then   # the lowering is wired in
  printf 'let a = 1;\nlet b = (;\n' > bad.js
  run "$A" --json validate bad.js
  check "syntax error: FILE:LINE:COL on stderr, exit 1" '[ $rc -eq 1 ] && grep -q "^bad.js:2:[0-9]*: " err.txt && $JQ "j[\"valid\"] is False and j[\"line\"]==2" < out.txt'
  for t in "$ROOT"/lib/templates/*.js; do
    run "$A" validate "$t"
    check "template $(basename "$t") validates" '[ $rc -eq 0 ]'
    [ $rc -eq 0 ] || cat err.txt
  done
else
  echo "  (skipped: syntax errors and templates need the lowering wired into the runtime)"
fi
run "$A" validate
check "validate without file: exit 2" '[ $rc -eq 2 ]'

# --- help and usage
run "$A" help
check "help: every command, on stdout" '[ $rc -eq 0 ] && [ ! -s err.txt ] && for c in create list show update start stop stop-all delete stats leader logs nodes templates validate; do grep -q "^  $c " out.txt || exit 1; done'
for c in create update stats leader logs validate; do
  run "$A" help $c; h1=$(cat out.txt)
  run "$A" $c --help
  check "help $c = $c --help on stdout" '[ $rc -eq 0 ] && [ "$h1" = "$(cat out.txt)" ] && grep -q "usage: amictl" out.txt'
done
run "$A" help frobnicate
check "help unknown: exit 2" '[ $rc -eq 2 ] && [ -s err.txt ]'
run "$A" --bogus list
check "unknown global option: exit 2" '[ $rc -eq 2 ] && grep -q "unknown option" err.txt'
run "$A"
check "no command: usage on stderr, exit 2" '[ $rc -eq 2 ] && grep -q usage err.txt && [ ! -s out.txt ]'
run "$A" --db x.db --url http://127.0.0.1:1 list
check "--db with --url: exit 2" '[ $rc -eq 2 ]'
run "$A" stats --interval 0
check "bad --interval: exit 2" '[ $rc -eq 2 ]'
run "$A" logs
check "logs without worker: exit 2" '[ $rc -eq 2 ]'
run "$A" --url http://127.0.0.1:9 run ok.js
check "run is embedded only: exit 2" '[ $rc -eq 2 ] && grep -q -- "--db" err.txt'
run "$A" --url http://127.0.0.1:9 list
check "remote, nothing listening: exit 1 with a message" '[ $rc -eq 1 ] && grep -q "cannot reach" err.txt'

# --- colour: only on a terminal, never with NO_COLOR
script -qc "$A templates" /dev/null > tty.txt
check "colour on a terminal" 'grep -q $'"'"'\033\['"'"' tty.txt'
NO_COLOR=1 script -qc "$A templates" /dev/null > tty2.txt
check "no colour with NO_COLOR" '! grep -q $'"'"'\033\['"'"' tty2.txt && grep -q grid-trading tty2.txt'
check "no colour into a pipe" '! "$A" templates | grep -q $'"'"'\033\['"'"''
exit $fail
