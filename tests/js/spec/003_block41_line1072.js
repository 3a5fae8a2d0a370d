// Используйте logger вместо console
logger.info("Starting balance check");

// Обрабатывайте ошибки
try {
  await checkBalances();
} catch (error) {
  logger.error("Balance check failed", error);
}

// Используйте Stels.sleep для задержек
await Stels.sleep(5000);
