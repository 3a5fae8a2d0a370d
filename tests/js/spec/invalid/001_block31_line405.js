// � BAD: Creates duplicate orders on failover
await exchange.createOrder(...);

// ✅ GOOD: Checks existing state first
const orders = await exchange.fetchOpenOrders(symbol);
if (orders.length === 0) {
  await exchange.createOrder(...);
}
