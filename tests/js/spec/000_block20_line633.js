// HTTP API Server Worker
const PORT = 8080;

const handler = async (req) => {
  const url = new URL(req.url);
  const headers = {
    "Content-Type": "application/json",
    "Access-Control-Allow-Origin": "*",
  };

  try {
    // GET /health
    if (url.pathname === "/health") {
      return new Response(
        JSON.stringify({
          status: "ok",
          node: Stels.config.nid,
          timestamp: Date.now(),
        }),
        { headers },
      );
    }

    // GET /price?symbol=BTC/USDT
    if (url.pathname === "/price") {
      const symbol = url.searchParams.get("symbol");
      const ticker = await Stels.net.get(["ticker", symbol]);

      return new Response(
        JSON.stringify({
          symbol: symbol,
          price: ticker.value.raw.last,
          volume: ticker.value.raw.volume,
          timestamp: Date.now(),
        }),
        { headers },
      );
    }

    // POST /signal
    if (url.pathname === "/signal" && req.method === "POST") {
      const body = await req.json();

      await Stels.net.set(["trading", "signals", Date.now()], body);

      return new Response(
        JSON.stringify({
          success: true,
          message: "Signal received",
        }),
        { headers },
      );
    }

    return new Response(
      JSON.stringify({
        error: "Not found",
      }),
      { status: 404, headers },
    );
  } catch (error) {
    logger.error("API error:", error);
    return new Response(
      JSON.stringify({
        error: error.message,
      }),
      { status: 500, headers },
    );
  }
};

logger.info(`API Server starting on port ${PORT}`);
Deno.serve({ port: PORT }, handler);
