#!/usr/bin/env bash
# Claim: the binance and bybit connectors of Stels.runtime.cex talk to a local
# server shaped like the exchanges' REST APIs (tests/lib/cex_mock.py, which
# verifies every signature as the exchange does): public data, signed account
# and order calls, precision and limits, error codes, 429s and timeouts mapped
# to CCXT's classes, a rate limiter, clock resync, paper: true; the API key and
# secret appear in no output, store or message.
set -u
B=${AMI_BUILD:-build}
A=$(realpath "$B/amictl"); MOCK=$(realpath tests/lib/cex_mock.py); JS=$(realpath tests/js/cex/exchanges.js)
dir=$(mktemp -d /tmp/ami-cex-XXXXXX)
python3 "$MOCK" "$dir/port" test-key-1234 test-secret-5678 7000 & mock=$!
trap 'kill $mock 2>/dev/null; wait $mock 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
port=$(cat "$dir/port")
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
{ echo "const BASE = \"http://127.0.0.1:$port\";"; cat "$JS"; } > w.js
timeout 120 "$A" --db t.db run w.js --allow-net "127.0.0.1:$port" --fetch-timeout 1500 >out.txt 2>err.txt; rc=$?
grep -o "ok .*" out.txt | sed 's/^/    /' | head -100
check "the script ran every check (exit 0)" '[ $rc -eq 0 ] && grep -q "ALL DONE" out.txt'
[ $rc -eq 0 ] || { tail -5 out.txt; cat err.txt; [ -n "${CEX_DEBUG:-}" ] && curl -s "127.0.0.1:$port/_log" | python3 -c "import json,sys; [print(r[\"peer\"], r[\"path\"], r[\"query\"][-40:], r[\"headers\"].get(\"x-mbx-apikey\"), r.get(\"answer\")) for r in json.load(sys.stdin)[-5:]]"; }
check "every check logged (58)" "[ \$(grep -c \" info  ok \" out.txt) -ge 58 ]"
check "no secret in the output" '! grep -q "test-secret-5678\|test-key-1234" out.txt err.txt'
check "no secret in the stores" '! grep -aq "test-secret-5678\|test-key-1234" t.db* 2>/dev/null'
# without allow_net the connector fails with a network class, not a crash
cat > n.js <<JS
try { await Stels.runtime.cex.binance({ urls: { api: "http://127.0.0.1:$port/binance" } }).fetchTicker("BTC/USDT"); }
catch (e) { logger.info("caught", e.name); }
JS
"$A" --db t.db run n.js >n.txt 2>&1
check "no allow_net: NetworkError" 'grep -q "caught NetworkError" n.txt'
exit $fail
