// Runs once, migrates data, then stops
logger.info("Starting data migration");

const oldData = await Stels.net.get(["old", "data"]);
const transformed = transformData(oldData);

await Stels.net.set(["new", "data"], transformed);

logger.info("Migration complete");
// Worker stops automatically
