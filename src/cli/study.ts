import type { Command } from 'commander';
import { getPreset, presetNames } from '../study/presets.js';
import { readStudyConfig } from '../study/grid.js';
import { runStudy } from '../study/runner.js';
import { choiceOption } from './flagParsers.js';
import { log, positiveInteger, printResult } from './output.js';

/** Registers `gendice study (--preset NAME | --config FILE) --out DIR [--workers N]`. */
export function registerStudyCommand(program: Command): void {
  program
    .command('study')
    .description("run the paper's loss × learning-rate × patch-size × network (× seed) study; re-running resumes")
    .addOption(choiceOption('--preset <name>', 'built-in study', presetNames))
    .option('--config <file>', 'a study configuration (.json, .yaml)')
    .requiredOption('--out <dir>', 'study folder (results store, trial folders)')
    .option('--workers <n>', 'parallel worker processes (default: one per core)', positiveInteger('--workers'))
    .option('--json', 'print the summary as one JSON document')
    .action(async (flags: { preset?: string; config?: string; out: string; workers?: number; json?: boolean }) => {
      if ((flags.preset === undefined) === (flags.config === undefined)) throw new Error('study: give exactly one of --preset NAME or --config FILE');
      const config = flags.preset !== undefined ? getPreset(flags.preset) : readStudyConfig(flags.config!);
      const summary = await runStudy(config, flags.out, {
        ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
        onTrialStart: (id, i, n) => log(`study ${config.name}: start [${i + 1}/${n}] ${id}`),
        onTrialDone: (r, done, n) =>
          log(`study ${config.name}: ${done}/${n} ${r.id} ${r.status} score ${r.score === null ? '-' : r.score.toFixed(4)} fg ${r.foregroundFraction ? (r.foregroundFraction.median * 100).toFixed(3) + '%' : '-'} (${r.seconds.toFixed(0)} s)`),
      });
      printResult(
        flags.json,
        summary,
        `study ${config.name}: ${summary.total} trials (${summary.skipped} already done, ${summary.ran} run, ${summary.diverged} diverged, ${summary.failed} failed) in ${summary.seconds.toFixed(0)} s\nresults: ${summary.dir}\nreport: gendice report ${summary.dir}`,
      );
    });
}
