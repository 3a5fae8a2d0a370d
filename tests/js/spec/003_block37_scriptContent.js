        logger.info('Worker started!');
        const { config } = Stels;
        logger.info('Node ID:', config.nid);
        await Stels.sleep(10000);
        logger.info('Worker iteration complete');
      
