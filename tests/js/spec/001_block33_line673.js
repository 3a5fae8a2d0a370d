// Node Information
Stels.config.nid; // "s-0001"
Stels.config.network; // "localnet" | "testnet" | "mainnet"

// Distributed KV
Stels.net.get(key);
Stels.net.set(key, value);
Stels.net.delete(key);
Stels.net.list({ prefix });

// Local KV
Stels.local.get(key);
Stels.local.set(key, value);

// CCXT Pro
new Stels.runtime.cex.binance({ apiKey, secret });
new Stels.runtime.cex.bybit({ apiKey, secret });
// ... other exchanges

// Utilities
Stels.sleep(ms);
Stels.webfix({ brain, method, channel, module, raw, timestamp });

// Logging
logger.info(message, ...args);
logger.error(message, ...args);
logger.warn(message, ...args);
logger.debug(message, ...args);
