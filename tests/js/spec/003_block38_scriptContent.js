        // Этот скрипт выполнится только на одном узле
        logger.info('I am the leader!');

        const { config, net } = Stels;
        logger.info('Leader node:', config.nid);

        // Выполняем глобальную задачу
        await performGlobalTask();

        async function performGlobalTask() {
          logger.info('Performing global task...');
          await Stels.sleep(5000);
          logger.info('Global task complete');
        }
      
