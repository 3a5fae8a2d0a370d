/**
 * @title Balance Monitor
 * @category monitoring
 * @executionMode parallel
 * @priority critical
 * @mode loop
 * @description Each node watches its account balance and raises an alert when it falls below a threshold.
 *
 * Reads:    ["account", "balance", NID]  raw {USD, ...}  (written by your exchange connector or by hand:
 *           amictl has no put command; a worker can do Stels.net.set(["account","balance",NID], {USD: 500}))
 * Produces: ["alerts", "balance", NID]   raw {level, balance, threshold, node, timestamp} while below the threshold
 *           ["metrics", "balance", NID]  raw {balance, ok, node, timestamp} at every check
 */
const THRESHOLD = 1000; // alert below $1000
const INTERVAL_MS = 10000;
const nid = Stels.config.nid;

const entry = await Stels.net.get(["account", "balance", nid]);
const balance = entry.value?.raw?.USD;
if (typeof balance !== "number") {
  logger.warn(`no balance under ["account","balance","${nid}"]`);
} else {
  const ok = balance >= THRESHOLD;
  await Stels.net.set(["metrics", "balance", nid], { balance, ok, node: nid, timestamp: Date.now() });
  if (!ok) {
    await Stels.net.set(["alerts", "balance", nid], {
      level: "warning", balance, threshold: THRESHOLD, node: nid, timestamp: Date.now(),
    });
    logger.warn(`low balance on ${nid}: $${balance}`);
  } else {
    await Stels.net.delete(["alerts", "balance", nid]);
  }
}

await Stels.sleep(INTERVAL_MS);
