const subscription = await Stels.net.subscribe(channel);

subscription.on("update", (data) => {
  // Handle real-time updates
});
