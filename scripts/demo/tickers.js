// Demo (parallel): every node publishes synthetic tickers — a random walk per
// symbol — under ["demo","ticker",symbol,nid] in the shared store.
// (With the modern-JS lowering this reads: const mine = await Stels.local.get(...).)
var symbols = ["BTC", "ETH", "SOL"];
var start = { BTC: 65000, ETH: 3200, SOL: 150 };

function tick(mine) {
  var prices = mine && mine.value ? mine.value.raw : start;
  for (var i = 0; i < symbols.length; i++) {
    var s = symbols[i];
    var p = (prices[s] || start[s]) * (1 + (Math.random() - 0.5) / 100);
    prices[s] = Math.round(p * 100) / 100;
    Stels.net.set(["demo", "ticker", s, Stels.config.nid],
                  { symbol: s, price: prices[s], nid: Stels.config.nid, at: Date.now() });
  }
  Stels.local.set(["demo", "prices"], prices);
}

var last = Stels.local.get(["demo", "prices"]);
if (last && typeof last.then === "function") last.then(tick); else tick(last);
Stels.sleep(1000);
