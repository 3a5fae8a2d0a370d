// Worker A: Publisher
await Stels.net.set(["worker", "messages", "A"], {
  from: "workerA",
  message: "Hello Worker B",
  timestamp: Date.now(),
});

// Worker B: Subscriber
const sub = await Stels.net.subscribe(["worker", "messages", "A"]);
sub.on("update", (data) => {
  logger.info("Message received:", data.raw.message);
});
