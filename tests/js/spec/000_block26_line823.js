// Listen for stop signals
Deno.addSignalListener("SIGTERM", () => {
  logger.info("Worker stopping...");
  // Cleanup resources
  closeConnections();
  Deno.exit(0);
});
