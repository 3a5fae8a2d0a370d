#!/usr/bin/env bash
# Claim: amid runs a node in the foreground from flags or a commented config
# file (flags win), logs worker lines to stderr with the sid, exits 0 after
# SIGTERM/SIGINT, and exits 2 on usage errors — unknown keys and bad values (owners too) named,
# before anything starts; --help lists every key with its default; --version; JSON log lines.
set -u
B=${AMI_BUILD:-build}
D=$(realpath "$B/amid"); C=$(realpath "$B/amictl")
dir=$(mktemp -d /tmp/ami-amid-XXXXXX); trap '[ "$pid" -gt 0 ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
pid=0
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
wait_for() { for _ in $(seq 1 200); do eval "$1" && return 0; sleep 0.05; done; return 1; }

"$D" >/dev/null 2>err.txt; rc=$?
check "no --nid/--db: exit 2" '[ $rc -eq 2 ] && grep -q "required" err.txt'
"$D" --nid a --db t.db stray >/dev/null 2>err.txt; rc=$?
check "stray argument: exit 2" '[ $rc -eq 2 ]'
"$D" --nid a --db t.db --lease-ms abc >/dev/null 2>err.txt; rc=$?
check "bad number: exit 2" '[ $rc -eq 2 ] && grep -q "lease_ms" err.txt'
"$D" --help >out.txt; rc=$?
check "--help on stdout, exit 0" '[ $rc -eq 0 ] && grep -q "usage: amid" out.txt'
"$D" --nid a --db t.db --lisen 127.0.0.1:1 >/dev/null 2>err.txt; rc=$?
check "misspelt option: exit 2 naming it, nothing started" '[ $rc -eq 2 ] && grep -q -- "--lisen" err.txt && ! grep -q started err.txt && [ ! -e t.db ]'
printf 'nid = a\ndb = t.db\nlisen = 127.0.0.1:1\n' > typo.conf
"$D" --config typo.conf >/dev/null 2>err.txt; rc=$?
check "unknown key in the file: exit 2 naming it" '[ $rc -eq 2 ] && grep -q "unknown config key .lisen." err.txt && [ ! -e t.db ]'
"$D" --nid a --db t.db --owners 1234 >/dev/null 2>err.txt; rc=$?
check "bad owner key: exit 2 before the node starts" '[ $rc -eq 2 ] && grep -q "owners" err.txt && ! grep -q started err.txt'
"$D" --nid=a --db=t.db --log-format=xml >/dev/null 2>err.txt; rc=$?
check "--key=value form, bad enum: exit 2" '[ $rc -eq 2 ] && grep -q "log_format" err.txt'
check "--help lists every key of docs/amid.conf with defaults" 'for k in $(grep -oE "^#? ?[a-z_]+ =" '"$OLDPWD"'/docs/amid.conf | tr -d "# =" | sort -u); do grep -q -- "--${k//_/-}" out.txt || { echo "missing $k"; exit 1; }; done; grep -q "lease-ms .*(60000)" out.txt'
"$D" --version >out.txt; rc=$?
check "--version" '[ $rc -eq 0 ] && grep -q "^amid [0-9]" out.txt'
printf 'no equals sign here\n' > bad.conf
"$D" --config bad.conf >/dev/null 2>err.txt; rc=$?
check "bad config line: exit 2 with file:line" '[ $rc -eq 2 ] && grep -q "bad.conf:1" err.txt'

printf 'logger.info("hello " + Stels.config.nid);\nawait Stels.sleep(50);\n' > w.js
sid=$("$C" --db t.db --json create --file w.js --start | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"]["raw"]["sid"])')
cat > n.conf <<CONF
# a node from a file
nid = s-file      # trailing comment
db = t.db
heartbeat_ms = 200
lease_ms = 1000
CONF
"$D" --config n.conf --nid s-flag 2>log.txt & pid=$!
check "worker log lines on stderr with node and sid" 'wait_for "grep -q \"s-flag \\[${sid:0:8}\\] info: hello s-flag\" log.txt"'
check "startup line names the node from the flag" 'grep -q "node s-flag started on sqlite:t.db" log.txt'
kill -TERM $pid; wait $pid; rc=$?
check "SIGTERM: exit 0" '[ $rc -eq 0 ]'
check "says it stopped" 'grep -q "amid: stopped" log.txt'
"$D" --nid s-int --db t.db 2>log2.txt & pid=$!
wait_for "grep -q started log2.txt"
kill -INT $pid; wait $pid; rc=$?
check "SIGINT: exit 0" '[ $rc -eq 0 ]'
pid=0
exit $fail
