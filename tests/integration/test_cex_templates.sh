#!/usr/bin/env bash
# Claim: the trading templates (grid-trading, dca-strategy, balance-monitor,
# position-manager, arbitrage-monitor, market-monitor), printed by `amictl
# templates NAME` and run unchanged with --cex paper against the
# ticker-simulator's prices, trade on the paper book for several iterations
# and write the entries their comments promise.
set -u
B=${AMI_BUILD:-build}
A=$(realpath "$B/amictl"); JQ=$(realpath tests/lib/jq.py)
dir=$(mktemp -d /tmp/ami-cext-XXXXXX); trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
for t in ticker-simulator grid-trading dca-strategy balance-monitor position-manager arbitrage-monitor market-monitor; do
  "$A" templates "$t" > "$t.js" || { echo "  FAILED: amictl templates $t"; fail=1; }
done
# the loop templates end their iteration with a sleep: shorten it, nothing else changes
for t in grid-trading position-manager arbitrage-monitor market-monitor balance-monitor; do
  sed -i 's/^await Stels.sleep([A-Z_0-9]*);$/await Stels.sleep(10);/' "$t.js"
done
"$A" --db t.db run ticker-simulator.js --iterations 1 >sim.txt 2>&1
run() { timeout 60 "$A" --db t.db run "$1.js" --cex paper --nid n1 --iterations "$2" >"$1.txt" 2>&1; }
# a few grid iterations while the simulator moves the price
for i in 1 2 3 4 5; do
  "$A" --db t.db run ticker-simulator.js --iterations 1 >>sim.txt 2>&1
  run grid-trading 2 || fail=1
  cat grid-trading.txt >> grid-all.txt
done
check "grid-trading bought on paper" 'grep -q "info  buy 0.01 BTC/USDT at" grid-all.txt && ! grep -q "error" grid-all.txt'
run position-manager 3; check "position-manager opened a linear position" 'grep -q "opened long 0.01 BTC/USDT:USDT" position-manager.txt'
run arbitrage-monitor 3; check "arbitrage-monitor compared binance and bybit paper prices" '! grep -q "need prices\|warn\|rror" arbitrage-monitor.txt'
run market-monitor 2; check "market-monitor recorded the symbols" 'grep -q "3/3 symbols recorded on n1" market-monitor.txt'
run balance-monitor 1; check "balance-monitor ran" '! grep -qi "error\|warn" balance-monitor.txt'
# dca loops by itself (single mode): give it a moment, then stop it
timeout 3 "$A" --db t.db run dca-strategy.js --cex paper --nid n1 >dca.txt 2>&1
check "dca-strategy bought once" 'grep -q "bought 0.00.* over 1 buys" dca.txt'
cat > read.js <<'JS'
const get = async (k) => (await Stels.net.get(k)).value?.raw;
const trades = (await Stels.net.list({ prefix: ["cex", "paper", "paper", "trade"] })).length;
const orders = (await Stels.net.list({ prefix: ["trading", "orders"] })).length;
const pos = (await Stels.net.list({ prefix: ["trading", "positions"] }))[0]?.value?.raw;
const bal = await get(["metrics", "balance", "n1"]);
const metric = await get(["metrics", "price", "BTC/USDT"]);
logger.info(JSON.stringify({ trades, orders, positions: pos?.positions?.length, balance: bal?.balance, ok: bal?.ok,
                             price: typeof metric?.price }));
JS
"$A" --db t.db --json run read.js > read.json 2>&1
cat read.json | sed 's/^/    /'
check "paper book: trades from grid, dca and the position manager" '$JQ "json.loads(j[\"msg\"])[\"trades\"] >= 3" < read.json'
check "orders recorded by grid and dca" '$JQ "json.loads(j[\"msg\"])[\"orders\"] >= 2" < read.json'
check "position recorded" '$JQ "json.loads(j[\"msg\"])[\"positions\"] == 1" < read.json'
check "balance metric from the Bybit-shaped equity (about 10000)" '$JQ "9000 < json.loads(j[\"msg\"])[\"balance\"] < 11000 and json.loads(j[\"msg\"])[\"ok\"]" < read.json'
check "price metric" '$JQ "json.loads(j[\"msg\"])[\"price\"] == \"number\"" < read.json'
exit $fail
