#!/usr/bin/env bash
# Claim: an exchange connector's apiKey and secret appear on no output
# surface, while the exchange answers with authentication errors (a bad
# signature; Bybit's answer quotes the signed text, key included) and
# rate-limit errors (429, Binance -1003, Bybit 10006): not in amid's log, the
# worker's log lines, stats and lastError, `amictl show/list/stats/logs` in
# embedded and in remote mode (WebFIX answers), `amictl run`'s error output,
# nor the node's local store — and the errors do reach those surfaces (by
# class name, the quoted text with the key blanked).  The worker reads its
# keys from the store, as a script that is shown to others should.
set -u
B=${AMI_BUILD:-build}
if [ ! -x "$B/amid" ] || [ ! -d lib/webfix ]; then echo "skip: amid or lib/webfix not built yet"; exit 0; fi
A=$(realpath "$B/amictl"); D=$(realpath "$B/amid"); MOCK=$(realpath tests/lib/cex_mock.py); JQ=$(realpath tests/lib/jq.py)
KEY=AKEY-q7Zp4LmW9xR2vT   # distinctive: the mock knows the key ...
SECRET=SSEC-c3Nf8HkJ6yB1uD   # ... but not this secret (its own is another), so every signature fails
dir=$(mktemp -d /tmp/ami-cexs-XXXXXX)
mock=0; node=0
trap '[ $node -gt 0 ] && kill $node 2>/dev/null && wait $node 2>/dev/null; [ $mock -gt 0 ] && kill $mock 2>/dev/null && wait $mock 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
export XDG_CACHE_HOME=$dir/cache NO_COLOR=1
unset AMI_DB AMI_URL AMI_KEY
python3 "$MOCK" "$dir/mport" "$KEY" other-secret-not-used 0 & mock=$!
for _ in $(seq 100); do [ -s mport ] && break; sleep 0.1; done
mport=$(cat mport)
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
E() { "$A" --db "$dir/ami.db" "$@"; }

pub=$("$A" keygen --out owner.pem 2>/dev/null)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$D" --nid s-0001 --db "$dir/ami.db" --listen "127.0.0.1:$port" --owners "$pub" --stats-ms 300 --heartbeat-ms 500 \
     --allow-net "127.0.0.1:$mport" --fetch-timeout-ms 1500 2>amid.log & node=$!
for _ in $(seq 100); do grep -q "WebFIX API on" amid.log 2>/dev/null && break; sleep 0.1; done
R() { "$A" --url "http://127.0.0.1:$port/" --key owner.pem "$@"; }

cat > keys.js <<JS
await Stels.net.set(["secrets", "exchange"], { apiKey: "$KEY", secret: "$SECRET" });
JS
E run keys.js >/dev/null 2>&1
cat > w.js <<JS
const BASE = "http://127.0.0.1:$mport";
const k = (await Stels.net.get(["secrets", "exchange"])).value.raw;
const bn = new Stels.runtime.cex.binance({ apiKey: k.apiKey, secret: k.secret, urls: { api: BASE + "/binance" }, enableRateLimit: false });
const by = new Stels.runtime.cex.bybit({ apiKey: k.apiKey, secret: k.secret, urls: { api: BASE + "/bybit" }, enableRateLimit: false });
logger.info("exchanges", bn, by, JSON.stringify(by), Object.keys(bn).join(","));
console.log(by);
let last;
for (const [ex, call] of [[bn, (x) => x.fetchBalance()], [by, (x) => x.fetchBalance()],
                          [by, (x) => x.createLimitBuyOrder("BTC/USDT", 0.001, 1000)], [bn, (x) => x.fetchOpenOrders("BTC/USDT")]]) {
  try { await call(ex); logger.info("no error?"); }
  catch (e) { last = e; logger.warn(ex.id, e.name, e.message); logger.error(e); console.error(e.stack); }
}
throw last;
JS
sid=$(E --json create --file w.js --start | $JQ 'j["key"][2]')
# let it fail a few times with authentication errors, then with rate limits
wait_log() { for _ in $(seq 150); do E logs "$sid" -n 200 2>/dev/null | grep -q "$1" && return 0; sleep 0.2; done; return 1; }
check "authentication errors reached the worker's log" 'wait_log AuthenticationError'
curl -s "http://127.0.0.1:$mport/_inject?kind=-1003&count=2" >/dev/null
curl -s "http://127.0.0.1:$mport/_inject?kind=10006&count=2" >/dev/null
curl -s "http://127.0.0.1:$mport/_inject?kind=429&count=4" >/dev/null
check "rate-limit errors reached the worker's log" 'wait_log RateLimitExceeded'
sleep 1   # stats are written every 300 ms
# every surface, both modes
E logs "$sid" -n 500 > s-logs.txt 2>&1
E --json logs "$sid" -n 500 > s-logs.json 2>&1
E --json stats > s-stats.json 2>&1
E stats "$sid" > s-stats.txt 2>&1
E --json show "$sid" > s-show.json 2>&1
E show "$sid" > s-show.txt 2>&1
E --json list > s-list.json 2>&1
R --json logs "$sid" -n 500 > r-logs.json 2>&1
R --json stats > r-stats.json 2>&1
R --json show "$sid" > r-show.json 2>&1
R logs "$sid" -n 500 > r-logs.txt 2>&1
R stats "$sid" > r-stats.txt 2>&1
R --json list > r-list.json 2>&1
R --json nodes > r-nodes.json 2>&1
E run w.js --allow-net "127.0.0.1:$mport" --fetch-timeout 1500 > run.txt 2>&1
E stop "$sid" >/dev/null
kill -TERM $node; wait $node; node=0
cp amid.log s-amid.log
check "the surfaces carry the errors (positive control)" \
  'grep -q "AuthenticationError" s-logs.txt r-logs.txt run.txt s-amid.log && grep -q "RateLimitExceeded" s-logs.json r-logs.json s-amid.log'
check "lastError in stats names an exchange error, both modes" \
  '$JQ "[w for w in j[\"workers\"] if w[\"sid\"]==a[0]][0][\"lastError\"] is not None" "$sid" < s-stats.json && $JQ "[w for w in j[\"workers\"] if w[\"sid\"]==a[0]][0][\"lastError\"] is not None" "$sid" < r-stats.json'
check "Bybit quoted the signed text: the key is blanked in it" 'grep -q "origin_string\[[0-9]*\*\*\*" s-logs.txt'
check "mock saw signed requests with the key in its header (the key did go to the exchange)" \
  'curl -s "http://127.0.0.1:$mport/_log" | grep -q "$KEY"'
for f in s-*.txt s-*.json s-amid.log r-*.txt r-*.json run.txt; do
  check "no key or secret in $f" "! grep -q -e '$KEY' -e '$SECRET' $f"
done
check "no key or secret in the node's local store (its logs)" "! grep -aq -e '$KEY' -e '$SECRET' ami.db.*local* 2>/dev/null"
exit $fail
