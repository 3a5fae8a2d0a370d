try {
  await exchange.createOrder(...);
  logger.info('Order success');
} catch (error) {
  logger.error('Order failed:', error);
  
  if (error.name === 'InsufficientFunds') {
    return; // Don't retry
  }
  
  throw error; // Let engine handle
}
