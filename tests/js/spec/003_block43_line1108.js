// Различайте network и critical ошибки
try {
  const data = await fetchFromExchange();
} catch (error) {
  if (error.name === "RequestTimeout" || error.name === "RateLimitExceeded") {
    // Network error - система сделает retry автоматически
    throw error;
  } else {
    // Critical error - проблема в коде
    logger.error("Critical error in logic", error);
    throw error;
  }
}
