/**
 * @title Log Cleanup
 * @category maintenance
 * @executionMode exclusive
 * @priority low
 * @mode loop
 * @description Trims old entries: time-keyed alerts, opportunities and orders in the shared store, and this node's worker logs.
 *
 * Exclusive mode: create it with --node NID (the node that does the cleanup).
 * Deletes, under each prefix below, entries whose last key part is a timestamp
 * older than MAX_AGE_MS, and worker log lines in this node's local store
 * ([network, "logs", sid, ts]) older than LOG_MAX_AGE_MS.
 *
 * Produces: ["maintenance", "cleanup", NID]  raw {scanned, removed, logsRemoved, node, timestamp}
 */
const PREFIXES = [["alerts", "price"], ["arbitrage", "opportunities"], ["trading", "signals"]];
const MAX_AGE_MS = 24 * 60 * 60 * 1000;
const LOG_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
const INTERVAL_MS = 60 * 1000;

const now = Date.now();
let scanned = 0;
let removed = 0;
for (const prefix of PREFIXES) {
  for (const entry of await Stels.net.list({ prefix, limit: 1000 })) {
    scanned++;
    const ts = entry.key[entry.key.length - 1];
    if (typeof ts === "number" && now - ts > MAX_AGE_MS) {
      await Stels.net.delete(entry.key);
      removed++;
    }
  }
}

let logsRemoved = 0;
for (const entry of await Stels.local.list({ prefix: [Stels.config.network, "logs"], limit: 5000 })) {
  const ts = entry.key[3];
  if (typeof ts === "number" && now - ts > LOG_MAX_AGE_MS) {
    await Stels.local.delete(entry.key);
    logsRemoved++;
  }
}

await Stels.net.set(["maintenance", "cleanup", Stels.config.nid], {
  scanned, removed, logsRemoved, node: Stels.config.nid, timestamp: now,
});
if (removed || logsRemoved) logger.info(`cleanup: removed ${removed} of ${scanned} entries, ${logsRemoved} log lines`);

await Stels.sleep(INTERVAL_MS);
