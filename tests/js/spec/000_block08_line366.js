await Stels.net.set(channel, data);
