const nodeId = Stels.config.nid; // Current heterogen ID
const workerId = Stels.config.sid; // Current worker ID
