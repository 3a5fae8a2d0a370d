#!/usr/bin/env bash
# Claim: the web console works end to end in a real browser (headless Chromium) against a real
# amid with an owner key: log in through `amictl console`, create from a template, inline syntax
# error markers at the right line, Ctrl+S save, start and see log lines arrive, the leader card's
# falling countdown, stats and nodes, open mode without login, a 409 conflict dialog after a concurrent amictl update,
# stop, delete and stop-all with confirmation, 1000 workers without freezing, a read-only viewer
# the node refuses, log out — with no errors in the browser console.  Screenshots of each panel
# are kept in $AMI_BUILD/console-screens/.
set -u
B=${AMI_BUILD:-build}
for need in /usr/bin/chromium /usr/bin/chromedriver /usr/share/javascript/codemirror/lib/codemirror.js; do
  [ -e "$need" ] || { echo "FAIL: $need missing (scripts/deps.sh installs chromium, chromium-driver, libjs-codemirror)"; exit 1; }
done
/usr/bin/python3 -c 'import selenium' || { echo "FAIL: python3-selenium missing (scripts/deps.sh)"; exit 1; }
A=$(realpath "$B/amictl"); D=$(realpath "$B/amid"); SRC=$(pwd)
SHOTS=$(realpath -m "$B/console-screens"); rm -rf "$SHOTS"; mkdir -p "$SHOTS"
dir=$(mktemp -d /tmp/ami-console-browser-XXXXXX)
node=; open_node=
cleanup() { for p in $node $open_node; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
export XDG_CACHE_HOME=$dir/cache NO_COLOR=1 HOME=$dir
unset AMI_DB AMI_URL AMI_KEY
pub=$("$A" keygen --out "$dir/owner.pem" 2>/dev/null)
"$A" keygen --out "$dir/viewer.pem" >/dev/null 2>&1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$D" --nid s-0001 --db "$dir/ami.db" --listen "127.0.0.1:$port" --owners "$pub" --allow-viewers true --lease-ms 20000 --stats-ms 500 \
     --heartbeat-ms 1000 2>"$dir/amid.log" &
node=$!
for i in $(seq 100); do grep -q "console on" "$dir/amid.log" && break; sleep 0.1; done
grep -q "console on" "$dir/amid.log" || { echo "FAIL: amid did not start its console"; cat "$dir/amid.log"; exit 1; }
# a second node in open mode (no owners, loopback): the console needs no login there
oport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$D" --nid s-0009 --db "$dir/open.db" --listen "127.0.0.1:$oport" 2>"$dir/open.log" &
open_node=$!
for i in $(seq 100); do grep -q "console on" "$dir/open.log" && break; sleep 0.1; done
OPEN_URL=http://localhost:$oport/ CONSOLE_URL=http://127.0.0.1:$port/ AMICTL=$A OWNER_KEY=$dir/owner.pem VIEWER_KEY=$dir/viewer.pem SHOTS=$SHOTS \
PROFILE=$dir/profile /usr/bin/python3 "$SRC/tests/integration/console_browser.py"
rc=$?
echo "screenshots: $SHOTS"
[ $rc -eq 0 ] || tail -n 20 "$dir/amid.log"
exit $rc
