/**
 * @title Health Check
 * @category monitoring
 * @executionMode parallel
 * @priority low
 * @mode loop
 * @description Every node reports its health (memory, load, uptime) to the shared store.
 *
 * Produces: ["sonar", "health", NID]  raw {nid, sid, network, memory, loadavg, metrics, workerUptime, timestamp}
 *           one entry per node, refreshed every 10 s.
 */
const INTERVAL_MS = 10000;

const health = {
  nid: Stels.config.nid,
  sid: Stels.config.sid,
  network: Stels.config.network,
  memory: Deno.memoryUsage(),
  loadavg: Deno.loadavg(),
  metrics: Deno.metrics(),
  workerUptime: Date.now() - Stels.startTime,
  timestamp: Date.now(),
};

await Stels.net.set(["sonar", "health", Stels.config.nid], health);
logger.info(`health reported from ${Stels.config.nid}`);

await Stels.sleep(INTERVAL_MS);
