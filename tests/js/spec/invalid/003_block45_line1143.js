// Всегда указывайте зависимости
{
  dependencies: ['gliesereum'],  // Blockchain SDK
  version: '1.19.2'
}
