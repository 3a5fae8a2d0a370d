#!/usr/bin/env bash
# Claim: the event-loop cases of tests/js/loop (async interleaving, race/all,
# await in loops, timers, generators, async generators) print what Node
# printed both from `amictl run` and from a worker run by a node (amid,
# single mode, read back with `amictl logs`).
set -u
B=${AMI_BUILD:-build}
D=$(realpath "$B/amid"); C=$(realpath "$B/amictl"); cases=$(realpath tests/js/loop)
dir=$(mktemp -d /tmp/ami-loop-XXXXXX); pid=0
trap '[ "$pid" -gt 0 ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
wait_for() { for _ in $(seq 1 600); do eval "$1" && return 0; sleep 0.05; done; return 1; }
PRINT="const print = (...a) => logger.info(a.map(String).join(' ')); "
msgs() { sed -E 's/^[^ ]+ +info +//'; }                              # amictl run: TIME info  MSG
logmsgs() { sed -E 's/^[0-9-]+ [0-9:.]+ +[^ ]+ +info +//'; }      # amictl logs: DATE TIME NID info  MSG

n=0
for f in "$cases"/*.js; do
  name=$(basename "$f" .js)
  { printf '%s' "$PRINT"; cat "$f"; } > "$name.js"
  "$C" --db run.db run "$name.js" > "$name.run" 2> "$name.err"
  msgs < "$name.run" > "$name.got"
  check "amictl run $name.js prints what Node printed" 'diff "$name.got" "${f%.js}.expected"'
  sid=$("$C" --db node.db --json create --file "$name.js" --run single --start | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"]["raw"]["sid"])')
  echo "$sid $name" >> sids
  n=$((n + 1))
done
check "found the cases" '[ $n -ge 6 ]'

"$D" --nid s-loop --db node.db 2> amid.log & pid=$!
while read -r sid name; do
  want=$(wc -l < "$cases/$name.expected")
  check "node ran $name" 'wait_for "[ \$(\"$C\" --db node.db logs $sid -n 1000 2>/dev/null | wc -l) -ge $want ]"'
  "$C" --db node.db logs "$sid" -n 1000 > "$name.logs" 2>/dev/null
  logmsgs < "$name.logs" > "$name.nodegot"
  check "a node's $name prints what Node printed" 'diff "$name.nodegot" "$cases/$name.expected"'
done < sids
kill -TERM $pid; wait $pid; pid=0
exit $fail
