// BAD: Infinite loop without delay
while (true) {
  await doWork(); // CPU intensive!
}

// GOOD: Add delays
while (true) {
  await doWork();
  await Stels.sleep(1000); // Give CPU a break
}
