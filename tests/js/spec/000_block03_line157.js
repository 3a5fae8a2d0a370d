// API endpoint (assigned to specific node with public IP)
const PORT = 8080;

const handler = async (req) => {
  const url = new URL(req.url);

  if (url.pathname === "/api/price") {
    const symbol = url.searchParams.get("symbol");
    const ticker = await Stels.net.get(["ticker", symbol]);

    return new Response(
      JSON.stringify({
        success: true,
        price: ticker.value.raw.last,
        node: Stels.config.nid,
      }),
      {
        headers: { "Content-Type": "application/json" },
      },
    );
  }

  return new Response("Not Found", { status: 404 });
};

logger.info(`API server started on node ${Stels.config.nid}:${PORT}`);
Deno.serve({ port: PORT }, handler);
