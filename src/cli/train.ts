import { type Command, InvalidArgumentError } from 'commander';
import { basename, join, resolve } from 'node:path';
import { readJsonOrYaml } from '../common/node/configFile.js';
import { parseTrainingConfig } from '../training/config.js';
import { applyPlan, networkAcceptsOptions, readPlanFile } from '../training/node/planData.js';
import { resume, train, type TrainingProgress, type TrainingResult } from '../training/node/trainer.js';
import { configDirectory } from '../training/node/trainingData.js';
import { selectionSummaryLines } from '../training/node/modelSelection.js';
import { log, printResult, ProgressBar } from './output.js';

function perStructureLine(what: string, scores: Record<string, number>): string[] {
  const entries = Object.entries(scores);
  if (entries.length < 2) return [];
  return [`${what} Dice per structure: ${entries.map(([name, v]) => `${name} ${Number.isFinite(v) ? v.toFixed(4) : 'n/a'}`).join(', ')}`];
}

function summary(r: TrainingResult): string {
  return [
    `trained ${r.iterations} iterations on the ${r.engine} engine in ${r.seconds.toFixed(1)} s`,
    `score (median Dice of the last ${r.scoreIterations} iterations): ${r.score.toFixed(4)}`,
    `validation Dice: ${Number.isFinite(r.validationDice) ? r.validationDice.toFixed(4) : 'n/a (no validation cases)'}`,
    ...perStructureLine('validation', r.validationDicePerStructure),
    ...perStructureLine('test', r.testDicePerStructure),
    `sampled patches' foreground fraction: mean ${(r.foregroundFraction.mean * 100).toFixed(3)}%, median ${(r.foregroundFraction.median * 100).toFixed(3)}%`,
    `model: ${r.modelDir}`,
    ...selectionSummaryLines(r.selection, r.outDir),
    `log: ${join(r.outDir, 'log.jsonl')}`,
  ].join('\n');
}

function progress(): { onProgress: (p: TrainingProgress) => void; onEvent: (m: string) => void } {
  let bar: ProgressBar | undefined;
  return {
    onProgress: (p) => {
      bar ??= new ProgressBar('train', p.iterations);
      bar.update(p.iteration, `loss ${p.loss.toFixed(4)} dice ${Number.isFinite(p.dice) ? p.dice.toFixed(3) : '-'}`);
    },
    onEvent: (m) => log(m),
  };
}

/** `--fold k`: data.fold = k, and data.folds = 5 (nnU-Net) unless the config sets it. */
function withFold(raw: unknown, fold: number | undefined): unknown {
  if (fold === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const r = raw as { data?: Record<string, unknown> };
  return { ...r, data: { folds: 5, ...(r.data ?? {}), fold } };
}

/** The raw config completed from `--plan` (or the config's own `plan`, relative to the config file); notes on stderr. */
function withPlan(raw: unknown, configPath: string, planFlag: string | undefined): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const own = (raw as { plan?: unknown }).plan;
  const planPath = planFlag ?? (typeof own === 'string' ? resolve(configDirectory(configPath), own) : undefined);
  if (planPath === undefined) return raw;
  const { config, notes } = applyPlan(raw as Record<string, unknown>, planPath, readPlanFile(planPath), networkAcceptsOptions);
  for (const n of notes) log(`plan: ${n}`);
  return config;
}

/** Registers `gendice train --config FILE` and `gendice resume DIR`. */
export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description('train a network as a JSON or YAML configuration says; checkpoints are resumable')
    .requiredOption('--config <file>', 'training configuration (.json, .yaml or .yml)')
    .option('--plan <file>', 'plan.json of gendice plan: target spacing, normalisation, patch, batch and network settings (the config wins where it sets a field)')
    .option('--fold <k>', 'validation fold k of data.folds (default 5) seeded folds', (v) => {
      const k = Number(v);
      if (!Number.isInteger(k) || k < 0) throw new InvalidArgumentError(`--fold must be a non-negative integer, got '${v}'.`);
      return k;
    })
    .option('--out <dir>', 'output folder (default: runs/<config name>)')
    .option('--json', 'print the result as one JSON document')
    .action(async (flags: { config: string; plan?: string; fold?: number; out?: string; json?: boolean }) => {
      const raw = withFold(readJsonOrYaml(flags.config), flags.fold);
      const config = parseTrainingConfig(withPlan(raw, flags.config, flags.plan), flags.config);
      const outDir = flags.out ?? join('runs', basename(flags.config).replace(/\.(json|ya?ml)$/i, ''));
      const result = await train(config, { outDir, configDir: configDirectory(flags.config), ...progress() });
      printResult(flags.json, result, summary(result));
    });
  program
    .command('resume')
    .description('continue a training run from its newest checkpoint')
    .argument('<dir>', 'the output folder of a gendice train run')
    .option('--json', 'print the result as one JSON document')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const result = await resume(dir, progress());
      printResult(flags.json, result, summary(result));
    });
}
