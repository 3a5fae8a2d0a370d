#!/usr/bin/env bash
# Claim: every example worker in docs/scripting.md's "Network and web APIs"
# section runs with `amictl run` under the permissions the section names
# (--allow-net 127.0.0.1 --allow-listen 8400-8499; the WebSocket example
# against a local echo server), ends successfully, and logs what its
# `// comments` say (ports are moved to free ones so parallel runs do not clash).
set -u
B=${AMI_BUILD:-build}
A=$(realpath "$B/amictl"); SRV=$(realpath tests/lib/net_server.py); DOC=$(realpath docs/scripting.md)
dir=$(mktemp -d /tmp/ami-netdoc-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# the examples: ```js blocks of the section whose first line is "// NAME.js…"
python3 - "$DOC" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
sec = text[text.index("## Network and web APIs"):]
sec = sec[:sec.index("\n## ", 5)]
for block in re.findall(r"```js\n(.*?)```", sec, re.S):
    m = re.match(r"// (\w+)\.js", block)
    if m:
        open(m.group(1) + ".js", "w", encoding="utf-8").write(block)
PY
n=$(ls *.js 2>/dev/null | wc -l)
check "the section has its examples" '[ "$n" -ge 5 ]'

wsport=$(free_port)
python3 "$SRV" ws.port --port "$wsport" & pids+=($!)
for i in $(seq 100); do [ -f ws.port ] && break; sleep 0.05; done

for f in *.js; do
  # free ports instead of the documented 84xx ones (the echo server's is the one just started)
  for p in $(grep -o '84[0-9][0-9]' "$f" | sort -u); do
    if grep -q "ws://127.0.0.1:$p" "$f"; then q=$wsport; else q=$(free_port); fi
    sed -i "s/$p/$q/g" "$f"
  done
  listen=$(grep -o 'port: [0-9]*' "$f" | awk '{print $2}' | paste -sd, -)
  timeout 60 "$A" --db t.db run "$f" --allow-net 127.0.0.1 ${listen:+--allow-listen "$listen"} --wait 0 >"$f.out" 2>"$f.err"; rc=$?
  check "$f runs (exit 0, nothing on stderr)" '[ $rc -eq 0 ] && [ ! -s "$f.err" ]'
  [ $rc -eq 0 ] || { cat "$f.err"; cat "$f.out"; }
  # "logger.info(…);   // EXPECTED": a log line says exactly EXPECTED (comments with … or ( are prose)
  while IFS= read -r want; do
    check "$f logs: $want" 'grep -qxF -- "$want" <(sed -E "s/^[^ ]+ [a-z]+ +//" "$f.out")'
  done < <(grep -E 'logger\.info\(.*\); +// ' "$f" | sed -E 's/.*\); +\/\/ //' | grep -v '[…(]' | sed 's/ *$//')
done
exit $fail
