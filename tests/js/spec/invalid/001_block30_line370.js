✅ Stels.config          // Node configuration
✅ Stels.net             // Distributed KV
✅ Stels.local           // Local KV
✅ Stels.runtime.cex     // CCXT Pro (exchanges)
✅ Stels.blockchain      // Gliesereum
✅ Stels.wallet          // Node wallet
✅ Stels.webfix()        // KV operations
✅ Stels.sleep()         // Sleep function
✅ logger                // Worker-specific logger

� File system (restricted)
� Network (except CCXT)
� Environment variables
