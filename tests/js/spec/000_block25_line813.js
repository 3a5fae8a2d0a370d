// GOOD: Clear hierarchy
await Stels.net.set(["trading", "orders", "buy", Date.now()], order);

// BAD: Flat structure
await Stels.net.set(["order123"], order);
