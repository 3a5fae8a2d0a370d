// Save state
await Stels.net.set(["worker", "state", Stels.config.sid], {
  lastProcessedTime: Date.now(),
  counters: { trades: 123, signals: 456 },
});

// Restore state on restart
const savedState = await Stels.net.get(["worker", "state", Stels.config.sid]);
if (savedState) {
  const { lastProcessedTime, counters } = savedState.value.raw;
  logger.info("State restored:", counters);
}
