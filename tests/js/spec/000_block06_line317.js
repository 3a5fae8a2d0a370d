const result = await Stels.net.get(channel);
