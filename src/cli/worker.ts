import type { Command } from 'commander';
import { DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS, startQueueWorker } from '../study/node/queue/queueWorker.js';
import { parseRedisUrl } from '../study/node/queue/redisConnection.js';
import { log, positiveInteger } from './output.js';

/**
 * Registers `gendice worker --queue redis://HOST:PORT [--concurrency N] [--artifacts DIR] [--work DIR]`:
 * runs study trials from the queue until SIGTERM or SIGINT, which hand the running trials back to the
 * queue (another worker takes them) and exit 0.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run study trials from a Redis queue (`gendice study --queue`) until SIGTERM/SIGINT, which hand the running trials back')
    .requiredOption('--queue <url>', 'the Redis of the study (redis://HOST:PORT)')
    .option('--concurrency <n>', 'trials at once, each in its own process (default: one per core)', positiveInteger('--concurrency'))
    .option('--work <dir>', 'where trials train (checkpoints, models), one folder per study', 'gendice-work')
    .option('--artifacts <dir>', 'a shared folder to train in instead of --work, so models and checkpoints reach every host')
    .option('--lock-duration <ms>', `how long a trial stays claimed without a sign of life from its worker (default ${DEFAULT_LOCK_DURATION_MS})`, positiveInteger('--lock-duration'))
    .option('--stalled-interval <ms>', `how often this worker looks for trials whose worker vanished (default ${DEFAULT_STALLED_INTERVAL_MS})`, positiveInteger('--stalled-interval'))
    .action(async (flags: { queue: string; concurrency?: number; work: string; artifacts?: string; lockDuration?: number; stalledInterval?: number }) => {
      const worker = await startQueueWorker({
        url: parseRedisUrl('worker: --queue', flags.queue),
        workDir: flags.work,
        log,
        ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
        ...(flags.artifacts !== undefined ? { artifactsDir: flags.artifacts } : {}),
        ...(flags.lockDuration !== undefined ? { lockDuration: flags.lockDuration } : {}),
        ...(flags.stalledInterval !== undefined ? { stalledInterval: flags.stalledInterval } : {}),
      });
      const stop = (signal: NodeJS.Signals): void => {
        log(`worker ${worker.name}: ${signal}: handing the running trials back and stopping`);
        void worker.stop().then((ids) => log(`worker ${worker.name}: stopped${ids.length > 0 ? `; handed back ${ids.join(', ')}` : ''}`));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await worker.closed;
    });
}
