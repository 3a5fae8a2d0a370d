#!/usr/bin/env bash
# Claim: the paper exchange of Stels.runtime.cex trades against ["ticker",
# SYMBOL] entries in the shared store: market and limit fills, partial fills
# by the quote's size, fees, precision, limits, insufficient funds, cancel,
# linear positions; its book lives under ["cex","paper",ACCOUNT] so another
# process continues it; with --cex paper a bybit connector with placeholder
# keys trades on paper without any network.
set -u
B=${AMI_BUILD:-build}
A=$(realpath "$B/amictl"); JS=$(realpath tests/js/cex/paper.js); DOC=$(realpath docs/scripting.md)
dir=$(mktemp -d /tmp/ami-cexp-XXXXXX); trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail=0
check() { if eval "$2"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi; }
timeout 120 "$A" --db t.db run "$JS" >out.txt 2>err.txt; rc=$?
grep -o "ok .*" out.txt | sed 's/^/    /'
check "every paper check passed" '[ $rc -eq 0 ] && grep -q "ALL DONE" out.txt'
[ $rc -eq 0 ] || { tail -3 out.txt; cat err.txt; }

# another process (a new leader after a failover) sees the same book and does not fill twice
cat > next.js <<'JS'
const ex = Stels.runtime.cex.paper({ account: "acct1" });
const b = await ex.fetchBalance();
const trades = await ex.fetchMyTrades("BTC/USDT");
logger.info("continued", b.BTC.free, trades.length, (await ex.fetchOpenOrders()).length);
JS
"$A" --db t.db run next.js >next.txt 2>&1
check "a second process continues the same book" 'grep -q "continued 0.032345 4 0" next.txt'

# --cex paper: a strategy written for bybit with placeholder keys runs on paper, no network needed
cat > live.js <<'JS'
await Stels.net.set(["ticker", "ETH/USDT"], { symbol: "ETH/USDT", last: 3000, bid: 2999, ask: 3001, volume: 5, timestamp: Date.now() });
const exchange = new Stels.runtime.cex.bybit({ apiKey: "YOUR_API_KEY", secret: "YOUR_SECRET" });
const o = await exchange.createMarketBuyOrder("ETH/USDT", 0.5);
const bal = await exchange.fetchBalance();
logger.info("paper", exchange.paper, o.status, o.average, bal.ETH.free, bal.info.result.list[0].totalEquity > 0);
JS
"$A" --db t.db run live.js --cex paper >live.txt 2>&1
check "--cex paper: bybit trades on paper" 'grep -q "paper true closed 3001 0.5 true" live.txt'
"$A" --db t.db run live.js >nolive.txt 2>&1
check "without it the same script asks bybit (and no allow_net: NetworkError)" 'grep -q "NetworkError" nolive.txt'
check "placeholder secret not in any output" '! grep -q "YOUR_SECRET" live.txt nolive.txt'
"$A" --db t.db run live.js --cex maybe >bad.txt 2>&1; rc=$?
check "--cex with a bad value: usage error" '[ $rc -eq 2 ]'
# the example of docs/scripting.md "The paper exchange", as printed (prices: the store's tickers from above)
python3 - "$DOC" > doc.js <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
sec = text[text.index("### The paper exchange"):]
print(re.search(r"```js\n(.*?)```", sec, re.S).group(1))
PY
"$A" --db t.db run doc.js >doc.txt 2>&1
check "the scripting.md paper example runs" 'grep -q "info  closed [0-9.]* [0-9.]*$" doc.txt'
exit $fail
