/**
 * @title Balance Monitor
 * @category monitoring
 * @executionMode parallel
 * @priority critical
 * @mode loop
 * @description Each node watches the account's total equity (Stels.runtime.cex, paper by default) and raises an alert when it falls below a threshold.
 *
 * Reads the balance with fetchBalance(); the total equity comes from
 * balance.info.result.list[0].totalEquity, Bybit v5's wallet answer (the
 * paper exchange answers in the same shape).  Set EXCHANGE to "bybit" with
 * your keys to watch a real account.
 *
 * Produces: ["alerts", "balance", NID]   raw {level, balance, threshold, node, timestamp} while below the threshold
 *           ["metrics", "balance", NID]  raw {balance, ok, node, timestamp} at every check
 */
const EXCHANGE = "paper"; // or "bybit" with apiKey and secret
const THRESHOLD = 1000; // alert below $1000
const INTERVAL_MS = 10000;
const nid = Stels.config.nid;

const exchange = new Stels.runtime.cex[EXCHANGE]({ apiKey: "YOUR_API_KEY", secret: "YOUR_SECRET" });
const balance = await exchange.fetchBalance();
const equity = Number(balance.info?.result?.list?.[0]?.totalEquity ?? balance.total?.USDT);
if (!Number.isFinite(equity)) {
  logger.warn(`no equity in the ${exchange.id} balance`);
} else {
  const ok = equity >= THRESHOLD;
  await Stels.net.set(["metrics", "balance", nid], { balance: equity, ok, node: nid, timestamp: Date.now() });
  if (!ok) {
    await Stels.net.set(["alerts", "balance", nid], {
      level: "warning", balance: equity, threshold: THRESHOLD, node: nid, timestamp: Date.now(),
    });
    logger.warn(`low balance on ${nid}: $${equity}`);
  } else {
    await Stels.net.delete(["alerts", "balance", nid]);
  }
}

await Stels.sleep(INTERVAL_MS);
