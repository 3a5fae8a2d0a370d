while (true) {
  await doWork();
  await Stels.sleep(5000); // Wait 5 seconds
}
