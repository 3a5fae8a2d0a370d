// Check if this node is the leader
const leaderInfo = await Stels.net.get(["leader", "info", Stels.config.sid]);
const isLeader = leaderInfo.value.raw.nid === Stels.config.nid;

if (isLeader) {
  logger.info("This node is the leader");
} else {
  logger.info("This node is a follower");
}
