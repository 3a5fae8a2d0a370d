logger.info("Worker started");

// Your code here
