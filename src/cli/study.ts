import type { Command } from 'commander';
import { getPreset, presetNames } from '../study/presets.js';
import { readStudyConfig } from '../study/node/studyConfigFile.js';
import { runStudy } from '../study/node/runner.js';
import { choiceOption } from './flagParsers.js';
import { log, positiveInteger, printResult } from './output.js';
import { runStudyCommandOnQueue } from './studyQueue.js';

interface StudyFlags {
  preset?: string;
  config?: string;
  out: string;
  workers?: number;
  queue?: string;
  json?: boolean;
  allowMixedProtocols?: boolean;
}

/**
 * Registers `gendice study (--preset NAME | --config FILE) --out DIR [--workers N] [--allow-mixed-protocols]`.
 * Exits 1 when any trial failed (an error or a dead worker process, not a diverged loss, which is a
 * result), after printing the summary and each failure's cause on stderr.
 */
export function registerStudyCommand(program: Command): void {
  program
    .command('study')
    .description("run the paper's loss × learning-rate × patch-size × network (× seed) study; re-running resumes")
    .addOption(choiceOption('--preset <name>', 'built-in study', presetNames))
    .option('--config <file>', 'a study configuration (.json, .yaml)')
    .requiredOption('--out <dir>', 'study folder (results store, trial folders)')
    .option('--workers <n>', 'parallel worker processes (default: one per core)', positiveInteger('--workers'))
    .option('--allow-mixed-protocols', 'run even when the stored records were measured under another protocol version than the trials to run')
    .option('--queue <url>', 'coordinate the trials through Redis (redis://HOST:PORT); `gendice worker` runs them')
    .option('--json', 'print the summary as one JSON document')
    .action(async (flags: StudyFlags) => {
      if ((flags.preset === undefined) === (flags.config === undefined)) throw new Error('study: give exactly one of --preset NAME or --config FILE');
      if (flags.queue !== undefined && flags.workers !== undefined) throw new Error('study: --workers is for local runs; with --queue, start `gendice worker --concurrency N` on each machine');
      const config = flags.preset !== undefined ? getPreset(flags.preset) : readStudyConfig(flags.config!);
      if (flags.queue !== undefined) {
        return runStudyCommandOnQueue(config, { out: flags.out, queue: flags.queue, ...(flags.json ? { json: true } : {}), ...(flags.allowMixedProtocols ? { allowMixedProtocols: true } : {}) });
      }
      const name = `study ${config.name}`;
      const summary = await runStudy(config, flags.out, {
        ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
        ...(flags.allowMixedProtocols ? { allowMixedProtocols: true } : {}),
        onTrialStart: (id, i, n, worker) =>
          log(`${name}: ${worker.attempt > 1 ? 'retry' : 'start'} [${i + 1}/${n}] ${id} (worker pid ${String(worker.pid)}${worker.attempt > 1 ? `, attempt ${worker.attempt}` : ''})`),
        onTrialCrash: (id, cause, retry) => log(`${name}: trial ${id}: ${cause}\n  ${retry ? 'running it again in a fresh worker' : 'recorded as failed'}`),
        onRecordSetAside: (problem, aside) => log(`${name}: ${problem}\n  set aside as ${aside}; the trial runs again`),
        onTrialDone: (r, done, n) =>
          log(`${name}: ${done}/${n} ${r.id} ${r.status} score ${r.score === null ? '-' : r.score.toFixed(4)} fg ${r.foregroundFraction ? (r.foregroundFraction.median * 100).toFixed(3) + '%' : '-'} (${r.seconds.toFixed(0)} s)${r.status === 'failed' ? `: ${r.error ?? 'no cause recorded'}` : ''}`),
      });
      printResult(
        flags.json,
        summary,
        `${name}: ${summary.total} trials (${summary.skipped} already done, ${summary.ran} run, ${summary.diverged} diverged, ${summary.failed} failed) in ${summary.seconds.toFixed(0)} s\nresults: ${summary.dir}\nreport: gendice report ${summary.dir}`,
      );
      if (summary.failures.length > 0) {
        log(`${name}: ${summary.failures.length} trial(s) failed; they run again on the next 'gendice study' with the same --out:`);
        for (const f of summary.failures) log(`  ${f.id}: ${f.error}`);
        process.exitCode = 1;
      }
    });
}
