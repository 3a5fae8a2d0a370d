await Stels.sleep(milliseconds);
