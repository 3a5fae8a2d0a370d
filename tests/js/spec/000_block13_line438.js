await Stels.webfix({
  brain: Stels.net,
  method: "set",
  channel: ["trading", "orders"],
  module: "trading",
  raw: orderData,
  timestamp: Date.now(),
});
