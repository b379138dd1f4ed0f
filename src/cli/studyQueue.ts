import type { StudyConfig } from '../study/grid.js';
import { runStudyOnQueue } from '../study/node/queue/coordinator.js';
import { parseRedisUrl } from '../study/node/queue/redisConnection.js';
import { log, printResult } from './output.js';

/**
 * `gendice study ... --queue redis://HOST:PORT`: the coordinator. Ctrl-C (or SIGTERM) stops waiting:
 * every record received is already in the folder, queued and running trials go on in the workers, and
 * the same command collects them later. Exit codes: 0 all trials recorded without failure, 1 a trial
 * failed, 130/143 stopped by SIGINT/SIGTERM.
 */
export async function runStudyCommandOnQueue(config: StudyConfig, flags: { out: string; queue: string; json?: boolean; allowMixedProtocols?: boolean }): Promise<void> {
  const url = parseRedisUrl('study: --queue', flags.queue);
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    stoppedBy = signal;
    log(`study ${config.name}: ${signal}: stopped waiting; queued and running trials go on in the workers, re-run this command to collect them`);
    controller.abort();
    // A command waiting on an unreachable Redis cannot return; nothing is lost by leaving (records are written whole).
    setTimeout(() => process.exit(signal === 'SIGINT' ? 130 : 143), 2000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const summary = await runStudyOnQueue(config, flags.out, {
      url,
      signal: controller.signal,
      ...(flags.allowMixedProtocols ? { allowMixedProtocols: true } : {}),
      log,
      onProgress: (p) => log(`study ${config.name}: ${p.done}/${p.total} done, ${p.running} running, ${p.queued} queued, ${p.failed} failed`),
      onTrialDone: (r, done, n) =>
        log(
          `study ${config.name}: ${done}/${n} ${r.id} ${r.status} score ${r.score === null ? '-' : r.score.toFixed(4)}${r.host !== undefined ? ` on ${r.host}` : ''} (${r.seconds.toFixed(0)} s)${r.error !== undefined ? `: ${r.error}` : ''}`,
        ),
    });
    printResult(
      flags.json,
      summary,
      `study ${config.name}: ${summary.total} trials (${summary.skipped} already recorded, ${summary.ran} recorded now, ${summary.diverged} diverged, ${summary.failed} failed${summary.reEnqueued > 0 ? `, ${summary.reEnqueued} re-enqueued after Redis lost them` : ''}${summary.interrupted ? `, ${summary.total - summary.skipped - summary.ran} still in the queue` : ''}) in ${summary.seconds.toFixed(0)} s\nresults: ${summary.dir}\nreport: gendice report ${summary.dir}`,
    );
    if (summary.failures.length > 0) {
      log(`study ${config.name}: ${summary.failures.length} trial(s) failed; they run again on the next 'gendice study' with the same --out:`);
      for (const f of summary.failures) log(`  ${f.id}: ${f.error}`);
    }
    if (stoppedBy !== undefined) process.exitCode = stoppedBy === 'SIGINT' ? 130 : 143;
    else if (summary.failed > 0) process.exitCode = 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
