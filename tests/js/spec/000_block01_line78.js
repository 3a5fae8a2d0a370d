// Health check worker (runs on every heterogen)
const health = {
  nid: Stels.config.nid,
  uptime: Deno.metrics().ops.op_now,
  memory: Deno.memoryUsage(),
  timestamp: Date.now(),
};

await Stels.net.set(["sonar", "health", Stels.config.nid], health);

logger.info(`Health reported from ${Stels.config.nid}`);
