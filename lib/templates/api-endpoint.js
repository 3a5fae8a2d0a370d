/**
 * @title API Endpoint
 * @category integration
 * @executionMode exclusive
 * @priority high
 * @mode loop
 * @description An HTTP API served by the worker itself (Deno.serve) on the node it is assigned to: health, prices from the store, trading signals.
 *
 * Exclusive mode: create it with --node NID, and let that node's amid bind the
 * port: `allow_listen = 8080` in amid.conf (or `amid --allow-listen 8080`);
 * without it Deno.serve throws PermissionDenied (in the worker's log) and the
 * worker is retried with backoff.  Set PORT (and HOSTNAME, "0.0.0.0" = every
 * interface) below.
 * Routes (JSON answers, CORS open):
 *   GET  /health                  {status: "ok", node, timestamp}
 *   GET  /price?symbol=BTC/USDT   {symbol, price, volume, timestamp} from ["ticker", SYMBOL]
 *                                 (raw {last, volume}: the ticker-simulator template writes it); 404 when absent
 *   POST /signal                  a JSON body, stored as ["trading", "signals", TS]; {success: true, message}
 *   anything else                 404 {error: "Not found"}; a failure is 500 {error}
 * Reads: ["ticker", SYMBOL].  Produces: ["trading", "signals", TS] raw (the posted body).
 * The body serves until the worker is stopped, reloaded or its node shuts down
 * (then the port is free again); it does not return, so the run is not repeated.
 */
const PORT = 8080;
const HOSTNAME = "0.0.0.0";

const headers = {
  "Content-Type": "application/json",
  "Access-Control-Allow-Origin": "*",
};
const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers });

const handler = async (req) => {
  const url = new URL(req.url);
  try {
    // GET /health
    if (url.pathname === "/health") {
      return json({ status: "ok", node: Stels.config.nid, timestamp: Date.now() });
    }

    // GET /price?symbol=BTC/USDT
    if (url.pathname === "/price") {
      const symbol = url.searchParams.get("symbol") ?? "BTC/USDT";
      const ticker = await Stels.net.get(["ticker", symbol]);
      if (!ticker.value) return json({ error: `no ticker for ${symbol}` }, 404);
      const { last, volume } = ticker.value.raw;
      return json({ symbol, price: last, volume, timestamp: Date.now() });
    }

    // POST /signal
    if (url.pathname === "/signal" && req.method === "POST") {
      const body = await req.json();
      await Stels.net.set(["trading", "signals", Date.now()], body);
      return json({ success: true, message: "Signal received" });
    }

    return json({ error: "Not found" }, 404);
  } catch (error) {
    logger.error("API error:", error.message);
    return json({ error: error.message }, 500);
  }
};

const server = Deno.serve({ port: PORT, hostname: HOSTNAME, onListen() {} }, handler);
logger.info(`API server listening on ${HOSTNAME}:${PORT} (node ${Stels.config.nid})`);
await server.finished;
