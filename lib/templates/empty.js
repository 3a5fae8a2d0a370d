/**
 * @title Empty
 * @category general
 * @executionMode parallel
 * @priority normal
 * @mode loop
 * @description A blank worker to start from.
 *
 * Produces: nothing (it only logs).  The script is the body of a function:
 * in loop mode it runs again after the priority's delay; `return` ends one run.
 */
logger.info(`Worker ${Stels.config.sid} running on ${Stels.config.nid}`);

await Stels.sleep(5000);
