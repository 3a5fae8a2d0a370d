/**
 * @title API Endpoint
 * @category integration
 * @executionMode exclusive
 * @priority high
 * @mode loop
 * @description Answers requests through the store (the libami runtime cannot serve HTTP: no Deno.serve).
 *
 * Note: the original template ran an HTTP server with Deno.serve.  Workers in
 * libami have no sockets, so this one reads requests from the store instead:
 * a client (or amid's WebFIX API, or another worker) writes
 *   ["api", "requests", ID]   raw {method: "GET"|"POST", path: "/health"|"/price"|"/signal", query: {...}, body: {...}}
 * Produces: the answer, at
 *   ["api", "responses", ID]  raw {status, body, node, timestamp}
 * then deletes the request.  Routes: GET /health, GET /price?symbol=BTC/USDT, POST /signal
 * (stores the body under ["trading", "signals", TS]).
 * Exclusive mode: create it with --node NID.
 */
const handle = async (req) => {
  if (req.path === "/health") {
    return { status: 200, body: { status: "ok", node: Stels.config.nid, timestamp: Date.now() } };
  }
  if (req.path === "/price") {
    const symbol = req.query?.symbol ?? "BTC/USDT";
    const ticker = await Stels.net.get(["ticker", symbol]);
    if (!ticker.value) return { status: 404, body: { error: `no ticker for ${symbol}` } };
    const { last, volume } = ticker.value.raw;
    return { status: 200, body: { symbol, price: last, volume, timestamp: Date.now() } };
  }
  if (req.path === "/signal" && req.method === "POST") {
    await Stels.net.set(["trading", "signals", Date.now()], req.body ?? {});
    return { status: 200, body: { success: true, message: "Signal received" } };
  }
  return { status: 404, body: { error: "Not found" } };
};

for (const entry of await Stels.net.list({ prefix: ["api", "requests"], limit: 100 })) {
  const id = entry.key[2];
  let res;
  try {
    res = await handle(entry.value?.raw ?? {});
  } catch (error) {
    logger.error("API error:", error.message);
    res = { status: 500, body: { error: error.message } };
  }
  await Stels.net.set(["api", "responses", id], { ...res, node: Stels.config.nid, timestamp: Date.now() });
  await Stels.net.delete(entry.key);
}

await Stels.sleep(200);
