// Demo (leader): one elected node averages every node's tickers into
// ["demo","avg",symbol] and logs them.  A ticker not refreshed for 5 s belongs to
// a node that left: it is deleted and not counted, so "(N nodes)" follows the cluster.
var STALE_MS = 5000;
function aggregate(rows) {
  var agg = {};
  for (var i = 0; i < rows.length; i++) {
    var t = rows[i].value.raw;
    if (!t.at || Date.now() - t.at > STALE_MS) { Stels.net.delete(rows[i].key); continue; }
    var a = agg[t.symbol] || (agg[t.symbol] = { sum: 0, n: 0, nodes: [] });
    a.sum += t.price;
    a.n += 1;
    a.nodes.push(t.nid);
  }
  var line = [];
  Object.keys(agg).sort().forEach(function (s) {
    var avg = Math.round(agg[s].sum / agg[s].n * 100) / 100;
    Stels.net.set(["demo", "avg", s], { symbol: s, avg: avg, nodes: agg[s].nodes,
                                        leader: Stels.config.nid, term: Stels.config.term, at: Date.now() });
    line.push(s + " " + avg + " (" + agg[s].n + " nodes)");
  });
  logger.info("averages (term " + Stels.config.term + "): " + line.join(", "));
}

var rows = Stels.net.list({ prefix: ["demo", "ticker"] });
if (rows && typeof rows.then === "function") rows.then(aggregate); else aggregate(rows);
Stels.sleep(2000);
