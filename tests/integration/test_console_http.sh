#!/usr/bin/env bash
# Claim: amid serves the web console at GET / with the right content types and strict security
# headers (CSP without inline script or style, nosniff, no referrer), serves Debian's CodeMirror
# under /vendor/codemirror/, names nothing outside those two roots (traversal, dot files, encoded
# dots, unknown types all 404), keeps the open-mode Host check, finds an installed console, `console = off` restores the
# 405 on GET /, and `amictl console` prints a link whose fragment carries a working session.
set -u
B=${AMI_BUILD:-build}
A=$(realpath "$B/amictl"); D=$(realpath "$B/amid"); SRC=$(pwd)
dir=$(mktemp -d /tmp/ami-console-http-XXXXXX)
nodes=()
cleanup() { for p in "${nodes[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
export XDG_CACHE_HOME=$dir/cache NO_COLOR=1
unset AMI_DB AMI_URL AMI_KEY
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() {  # start LOG ARGS...: an amid on a free port; sets $U
  local log=$1; shift; local port; port=$(freeport)
  "$D" --nid s-0001 --db "$dir/ami.db" --listen "127.0.0.1:$port" "$@" 2>"$log" &
  nodes+=($!)
  for i in $(seq 100); do grep -qs "WebFIX API on" "$log" && break; sleep 0.1; done
  U=http://127.0.0.1:$port
}
hdr() { curl -s -o /dev/null -D - --path-as-is "$@" | tr -d '\r'; }
code() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@"; }

# open mode, console found next to the binary (the build tree)
start open.log
check "amid announces the console" 'grep -q "amid: console on http://127.0.0.1:" open.log'
h=$(hdr "$U/")
check "GET / is the console's index.html" 'echo "$h" | grep -q "^HTTP/1.1 200" && echo "$h" | grep -qi "^content-type: text/html; charset=utf-8" && curl -s "$U/" | cmp -s - "$SRC/console/index.html"'
check "CSP: self only, no inline script or style" 'echo "$h" | grep -i "^content-security-policy:" | grep -q "script-src '"'"'self'"'"'; style-src '"'"'self'"'"'" && ! echo "$h" | grep -i "^content-security-policy:" | grep -q "unsafe-inline"'
check "nosniff and no-referrer" 'echo "$h" | grep -qi "^x-content-type-options: nosniff" && echo "$h" | grep -qi "^referrer-policy: no-referrer"'
check "index.html has no inline script or style" '! grep -qiE "<script>|<script [^>]*>[^<]|<style|style=| on[a-z]+=" "$SRC/console/index.html"'
check "app.js is JavaScript, app.css is CSS" 'hdr "$U/app.js" | grep -qi "^content-type: text/javascript" && hdr "$U/app.css" | grep -qi "^content-type: text/css"'
check "CodeMirror from the Debian package" 'curl -s "$U/vendor/codemirror/lib/codemirror.js" | cmp -s - /usr/share/javascript/codemirror/lib/codemirror.js && hdr "$U/vendor/codemirror/mode/javascript/javascript.js" | grep -q "^HTTP/1.1 200"'
for p in "/../../../../etc/passwd" "/%2e%2e/%2e%2e/etc/passwd" "/..%2f..%2fetc%2fpasswd" "/vendor/codemirror/../../../../etc/passwd" \
         "/vendor/codemirror/%2e%2e/%2e%2e/%2e%2e/etc/hostname" "/.git/config" "//etc/passwd" "/app.js/" "/app.js%2f" \
         "/vendor/codemirror/../../../../../etc/hostname" "/index.html/../index.html" "/nonexistent.js" "/README.md"; do
  check "no file outside the roots: $p" '[ "$(code "$U$p")" = 404 ] && ! curl -s --path-as-is "$U$p" | grep -q "root:"'
done
check "a 404 carries the security headers too" 'hdr "$U/nope.js" | grep -qi "^x-content-type-options: nosniff"'
check "open mode keeps its Host check on the console" '[ "$(code -H "Host: evil.example" "$U/")" = 403 ] && [ "$(code -H "Host: localhost" "$U/")" = 200 ]'
check "WebFIX still answers on POST /" 'curl -s -H "Content-Type: application/json" -d "{\"webfix\":\"1.0\",\"method\":\"getSession\"}" "$U/" | grep -q "\"open\":true"'
run_out=$("$A" console --url "$U/some/path" 2>/dev/null)
check "amictl console in open mode: the bare console URL" '[ "$run_out" = "$U/" ]'

# console = off: GET / is 405 again; console = DIR without index.html is refused
start off.log --console off
check "console = off: GET / is 405" '[ "$(code "$U/")" = 405 ] && ! grep -q "console on" off.log'
"$D" --nid s-0001 --db "$dir/ami.db" --listen 127.0.0.1:0 --console "$dir" 2>bad.log; rc=$?
check "console = DIR without index.html: usage error" '[ $rc -eq 2 ] && grep -q "no index.html" bad.log'

# with owners: amictl console signs a login; the fragment's session works, and ends on disconnectNode
pub=$("$A" keygen --out owner.pem 2>/dev/null)
start owners.log --owners "$pub"
check "with owners the console is served without a session (it holds no data)" '[ "$(code "$U/")" = 200 ] && [ "$(code "$U/app.js")" = 200 ]'
"$A" console --url "$U" 2>noauth.err >/dev/null; rc=$?
check "amictl console without a key refuses a node with owners" '[ $rc -eq 1 ] && grep -q "needs a login" noauth.err'
link=$("$A" console --url "$U" --key owner.pem 2>/dev/null)
s=${link#*#session=}
check "amictl console prints URL/#session=TOKEN" '[[ $link =~ ^http://127\.0\.0\.1:[0-9]+/#session=[0-9a-f]{32}$ ]]'
wf() { curl -s -H "Content-Type: application/json" -H "stels-session: $s" -d "{\"webfix\":\"1.0\",\"method\":\"$1\"}" "$U/"; }
check "the fragment's session is an owner session" 'wf getSession | grep -q "\"role\":\"owner\""'
check "log out ends it on the node" 'wf disconnectNode | grep -q "\"disconnected\":true" && wf listWorkers | grep -q "Unauthorized"'
check "the session never reached amictl's cache or the node's log" '[ -f owners.log ] && ! grep -q "$s" owners.log && ! { [ -d cache ] && grep -rq "$s" cache; }'
# installed: make install puts the console under PREFIX/share/ami/console, where the installed amid finds it
make --no-print-directory -s -C "$SRC" install B="$(realpath -m "$SRC/$B")" DESTDIR="$dir/inst" PREFIX=/opt/ami >/dev/null 2>&1
D=$dir/inst/opt/ami/bin/amid
# the installed amid links libami.so.0 from LIBDIR (its rpath), which under DESTDIR is here
export LD_LIBRARY_PATH="$dir/inst/opt/ami/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
start installed.log
check "make install: the installed amid serves the installed console" '[ -f "$dir/inst/opt/ami/share/ami/console/index.html" ] && grep -q "console on" installed.log && curl -s "$U/app.js" | cmp -s - "$dir/inst/opt/ami/share/ami/console/app.js"'
exit $fail
