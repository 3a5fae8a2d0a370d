// ✅ Используйте адаптивные задержки
const { config } = Stels;
const delay = config.workers > 10 ? 1000 : 500;
await Stels.sleep(delay);

// ✅ Логируйте только важные события
if (iteration % 100 === 0) {
  logger.info(`Processed ${iteration} iterations`);
}

// ❌ НЕ логируйте на каждой итерации
logger.info("Iteration", iteration); // Слишком много логов!
