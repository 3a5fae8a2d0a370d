#!/usr/bin/env bash
# Claim: a worker stopped by the error policy (low priority, TypeError every run) shows
# "error" in `amictl list` and its reason in `amictl show`, stays stopped when its node
# restarts, and runs again after `amictl start`.
set -u
B=${AMI_BUILD:-build}
D=$(realpath "$B/amid"); A=$(realpath "$B/amictl")
dir=$(mktemp -d /tmp/ami-polerr-XXXXXX)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
printf "throw new TypeError('boom');\n" > w.js
sid=$("$A" --db ami.db create --file w.js --priority low --start --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"][2])')
short=${sid:0:8}
errors() { "$A" --db ami.db logs "$sid" -n 1000 2>/dev/null | grep -c TypeError; }
"$D" --nid s-0001 --db ami.db --listen off 2>n1.log & p=$!
# critical backoff 1+2+4+8 s before the 5th error stops it
for i in $(seq 300); do "$A" --db ami.db list | grep -q "^$short  error" && break; sleep 0.1; done
check "list shows the worker as error" '"$A" --db ami.db list | grep -q "^$short  error"'
check "show gives state error and the reason" '"$A" --db ami.db show "$sid" | grep -q "^state: *error (stopped by policy: 5 consecutive critical"'
kill "$p"; wait "$p"
n=$(errors)
"$D" --nid s-0001 --db ami.db --listen off 2>n2.log & p=$!
sleep 2
check "after a restart it is still error and did not run ($n errors logged)" '"$A" --db ami.db list | grep -q "^$short  error" && [ "$(errors)" = "$n" ]'
"$A" --db ami.db start "$sid" >/dev/null
check "amictl start clears the error" '"$A" --db ami.db list | grep -q "^$short  active"'
for i in $(seq 50); do [ "$(errors)" -gt "$n" ] && break; sleep 0.1; done
check "and it runs again" '[ "$(errors)" -gt "$n" ]'
kill "$p"; wait "$p"
exit $fail
