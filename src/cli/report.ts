import type { Command } from 'commander';
import { studyMarkdown } from '../study/report/markdown.js';
import { writeReport } from '../study/report/node/writeReport.js';
import type { StudyResults } from '../study/types.js';
import { log, printResult } from './output.js';

interface ReportFlags {
  json?: boolean;
  allowMixedProtocols?: boolean;
  markdown?: boolean;
  singleSeed?: 'inconclusive' | 'point-estimate';
}

/** How the command reads a study folder; tests pass their own, the default is the results store's `readStudy`. */
export type StudyReader = (dir: string, options: { allowMixedProtocols: boolean }) => StudyResults | Promise<StudyResults>;

/** The store's `readStudy`; an invalid record is named on stderr and its trial shown as pending. */
async function defaultReader(dir: string, options: { allowMixedProtocols: boolean }): Promise<StudyResults> {
  // Loaded on use so that the report command does not load the study runner's modules for --help.
  const { readStudy } = await import('../study/node/store.js');
  return readStudy(dir, { ...options, onInvalidRecord: (_path, problem) => log(`gendice report: ${problem}
  not trusted: its trial is shown as pending`) });
}

function parseSingleSeed(value: string): 'inconclusive' | 'point-estimate' {
  if (value === 'inconclusive' || value === 'point-estimate') return value;
  throw new Error(`--single-seed must be 'inconclusive' or 'point-estimate', got '${value}'`);
}

/**
 * Registers `gendice report DIR [--json]`: reads the study folder, computes the paper's six findings
 * and writes DIR/report/index.html with its SVG and PNG figures. Prints the paths and the findings
 * (`--json`: one document `{ html, figures, findings }`); logs go to stderr; failures exit non-zero
 * (the error propagates to main).
 */
export function registerReportCommand(program: Command, read: StudyReader = defaultReader): Command {
  return program
    .command('report')
    .description('write the HTML report of a study folder (findings, heatmaps, test box plots, learning curves) to DIR/report/')
    .argument('<dir>', 'the study folder (written by gendice study)')
    .option('--single-seed <policy>', "with one seed (no interval): 'inconclusive' or 'point-estimate'", parseSingleSeed, 'inconclusive')
    .option('--allow-mixed-protocols', 'report records measured under different protocol versions together')
    .option('--json', 'print one JSON document {html, figures, findings} on stdout')
    .option('--markdown', 'print the results as Markdown tables (score grid, test Dice, findings) on stdout')
    .action(async (dir: string, flags: ReportFlags) => {
      const results = await read(dir, { allowMixedProtocols: flags.allowMixedProtocols === true });
      const pending = results.trials.filter((t) => t.record === undefined).length;
      const invalid = results.trials.filter((t) => t.problem !== undefined).length;
      const untrusted = invalid > 0 ? `, ${invalid} of them with an invalid record` : '';
      log(`gendice report: ${results.trials.length} trials in '${results.name}'${pending > 0 ? ` (${pending} not run yet${untrusted}, shown as pending)` : ''}; rendering figures...`);
      const report = await writeReport(dir, results, { findings: { singleSeed: flags.singleSeed ?? 'inconclusive' } });
      const lines = [
        `report: ${report.html}`,
        `figures: ${report.figures.length} files`,
        `held-out pictures: ${report.pictures.pictures.length}${report.pictures.note === null ? '' : ` (${report.pictures.note})`}`,
        ...report.findings.map((f) => `finding ${f.id} [${f.holds}]: ${f.statement}\n  ${f.measured}`),
      ];
      if (flags.markdown && !flags.json) {
        process.stdout.write(studyMarkdown(results, report.findings, report.pictures));
        return;
      }
      printResult(flags.json, { html: report.html, figures: report.figures, findings: report.findings }, lines.join('\n'));
    });
}
