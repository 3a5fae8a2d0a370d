#!/usr/bin/env bash
# Claim: the api-endpoint template, created as docs/scripting.md says (its
# script from `amictl templates api-endpoint` with PORT and HOSTNAME set, on a
# node whose amid allows the port), is a real HTTP endpoint: curl gets
# /health, the stored price at /price, a POST /signal lands in the store, an
# unknown path is 404 and a bad body 500; the worker keeps running (its body
# does not return, so the server is not started twice) and the port is free
# again once the worker is stopped.
set -u
B=${AMI_BUILD:-build}
D=$(realpath "$B/amid"); C=$(realpath "$B/amictl")
dir=$(mktemp -d /tmp/ami-apiend-XXXXXX)
pid=0
trap '[ "$pid" -gt 0 ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
wait_for() { for _ in $(seq 1 300); do eval "$1" && return 0; sleep 0.05; done; return 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_free() { python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", $1))" 2>/dev/null; }
aport=$(free_port)

"$D" --nid api-node --db t.db --heartbeat-ms 200 --resync-ms 300 --allow-listen "$aport" 2>amid.log & pid=$!

# the documented steps: save the template, set PORT and HOSTNAME, create it on the node
"$C" --db t.db templates api-endpoint > api.js
check "the template serves with Deno.serve" 'grep -q "Deno.serve({ port: PORT, hostname: HOSTNAME" api.js'
sed -i -e "s/^const PORT = 8080;/const PORT = $aport;/" -e 's/^const HOSTNAME = "0.0.0.0";/const HOSTNAME = "127.0.0.1";/' api.js
printf 'await Stels.net.set(["ticker", "BTC/USDT"], { symbol: "BTC/USDT", last: 64123.5, volume: 12.5 });\n' > seed.js
"$C" --db t.db run seed.js >/dev/null 2>&1
"$C" --db t.db --json create --template api-endpoint --file api.js --node api-node --start >create.json 2>create.err
sid=$(python3 -c 'import json,sys; print(json.load(open("create.json"))["key"][2])' 2>/dev/null)
check "the worker is created (exclusive, from the template)" '[ -n "$sid" ] && grep -q "\"executionMode\": *\"exclusive\"" create.json'

url="http://127.0.0.1:$aport"
check "GET /health answers with the node" 'wait_for "curl -s -m 2 $url/health | grep -q \"\\\"status\\\":\\\"ok\\\",\\\"node\\\":\\\"api-node\\\"\""'
check "CORS and JSON headers" 'curl -s -m 2 -D - -o /dev/null $url/health | tr -d "\r" | grep -qi "^access-control-allow-origin: \*$" && curl -s -m 2 -D - -o /dev/null $url/health | tr -d "\r" | grep -qi "^content-type: application/json$"'
check "GET /price reads the stored ticker" 'curl -s -m 2 "$url/price?symbol=BTC/USDT" | grep -q "\"symbol\":\"BTC/USDT\",\"price\":64123.5,\"volume\":12.5"'
check "GET /price of an unknown symbol is 404" '[ "$(curl -s -m 2 -o /dev/null -w "%{http_code}" "$url/price?symbol=NOPE")" = 404 ]'
check "POST /signal is received" 'curl -s -m 2 -X POST -H "content-type: application/json" -d "{\"side\":\"buy\",\"qty\":2}" $url/signal | grep -q "\"success\":true"'
printf 'const l = await Stels.net.list({ prefix: ["trading", "signals"] });\nconsole.log(JSON.stringify(l.map((e) => e.value.raw)));\n' > signals.js
check "the signal is in the store" '"$C" --db t.db run signals.js 2>/dev/null | grep -q "\[{\"side\":\"buy\",\"qty\":2}\]"'
check "a body that is not JSON is a 500 with the error" '[ "$(curl -s -m 2 -o err.json -w "%{http_code}" -X POST -d "not json" $url/signal)" = 500 ] && grep -q "\"error\":" err.json'
check "an unknown path is 404" '[ "$(curl -s -m 2 -o /dev/null -w "%{http_code}" $url/nope)" = 404 ]'
sleep 1
check "still serving a second later (the body did not return and start again)" 'curl -s -m 2 $url/health | grep -q "\"status\":\"ok\""'
check "no port clash in the node log" '! grep -q "AddrInUse" amid.log'
check "the start line is in the worker's log" '"$C" --db t.db logs "$sid" 2>/dev/null | grep -q "API server listening on 127.0.0.1:$aport (node api-node)"'
"$C" --db t.db stop "$sid" >/dev/null 2>&1
check "stopping the worker frees the port" 'wait_for "port_free $aport"'
kill -TERM $pid; wait $pid; pid=0
[ $fail -eq 0 ] || tail -20 amid.log
exit $fail
