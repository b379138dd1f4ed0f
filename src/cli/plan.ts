import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { writeFileAtomic } from '../common/node/atomicWrite.js';
import { loadCase, loadDecathlon } from '../data/node/dataset.js';
import {
  caseFingerprint,
  datasetFingerprint,
  INTENSITY_SCHEMES,
  planFromFingerprint,
  type DatasetFingerprint,
  type IntensityScheme,
  type Plan,
  type PlanOptions,
} from '../data/index.js';
import { printResult } from './output.js';
import { trainingConfigYaml } from './planConfig.js';

function numberList(flag: string, integer: boolean): (value: string) => number[] {
  return (value) => {
    const parts = value.split(/[,x×]/).map((s) => s.trim());
    const numbers = parts.map(Number);
    if (parts.some((s) => s === '') || !numbers.every((n) => Number.isFinite(n) && n > 0 && (!integer || Number.isInteger(n)))) {
      throw new InvalidArgumentError(`${flag} must be ${integer ? 'positive integers' : 'positive numbers'} separated by commas (e.g. 1,1,3), got '${value}'.`);
    }
    return numbers;
  };
}

function schemeList(value: string): IntensityScheme[] {
  return value.split(',').map((s) => {
    const scheme = s.trim();
    if (!(INTENSITY_SCHEMES as readonly string[]).includes(scheme)) {
      throw new InvalidArgumentError(`--normalization: each entry must be one of ${INTENSITY_SCHEMES.join(', ')}, got '${scheme}'.`);
    }
    return scheme as IntensityScheme;
  });
}

interface PlanFlags {
  out?: string;
  memory?: number;
  targetSpacing?: number[];
  patch?: number[];
  batch?: number;
  normalization?: IntensityScheme[];
  samples?: number;
  json?: boolean;
}

const fmt = (values: readonly number[], digits = 2): string => values.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(digits))).join('×');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** The fingerprint and plan as the text `gendice plan` prints. */
export function describePlan(fp: DatasetFingerprint, plan: Plan, written: string[]): string {
  const number = (v: number): string => (Number.isNaN(v) ? 'NaN' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  const cases = table([
    ['case', 'orientation', 'shape', 'spacing (mm, RAS)', 'crop'],
    ...fp.cases.map((c) => [c.id, c.orientation, fmt(c.shape), fmt(c.spacing), c.relativeSizeAfterCrop.toFixed(2)]),
    ['median', '', fmt(fp.medianShape), fmt(fp.medianSpacing), fp.medianRelativeSizeAfterCrop.toFixed(2)],
  ]);
  const intensities = table([
    ['modality', 'foreground voxels', 'mean', 'sd', 'median', 'p0.5', 'p99.5'],
    ...fp.intensities.map((s) => [s.name, String(s.samples), number(s.mean), number(s.sd), number(s.median), number(s.percentile00_5), number(s.percentile99_5)]),
  ]);
  const labels = table([
    ['label', 'name', 'voxels', 'share', 'cases'],
    ...fp.labels.map((l) => [String(l.value), l.name, String(l.voxels), `${(100 * l.share).toPrecision(3)} %`, String(l.cases)]),
  ]);
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const planText = table([
    ['target spacing', `${fmt(plan.targetSpacing, 3)} mm`],
    ['median shape', fmt(plan.medianShape)],
    ['patch', fmt(plan.patchSize)],
    ['batch', String(plan.batchSize)],
    ['network', `${plan.network.name}, depth ${plan.network.depth}, strides ${plan.network.strides.map((s) => s.join('')).join(' ')}`],
    ['normalisation', plan.normalization.map((n) => `${n.modality}: ${n.scheme}`).join(', ')],
    ['memory', `${mib(plan.memory.estimatedBytes)} estimated of ${mib(plan.memory.budgetBytes)}`],
  ]);
  return [
    `dataset  ${fp.name}: ${fp.cases.length} cases, ${fp.dims}D, modalities ${fp.modalities.join(', ')}`,
    '',
    cases,
    '',
    intensities,
    '',
    labels,
    '',
    planText,
    '',
    ...written.map((w) => `wrote    ${w}`),
  ].join('\n');
}

/**
 * Registers `gendice plan DATASET`: the dataset fingerprint (printed as tables) and the plan derived
 * from it, both written as JSON (fingerprint.json, plan.json) with a commented training config (train.yaml) into --out (default: the dataset folder).
 */
export function registerPlanCommand(program: Command): Command {
  return program
    .command('plan')
    .description('fingerprint a Decathlon-layout dataset and derive a training plan (target spacing, patch, batch, U-Net topology, normalisation)')
    .argument('<dataset>', 'folder with dataset.json')
    .option('--out <dir>', 'where fingerprint.json and plan.json go (default: the dataset folder)')
    .addOption(new Option('--memory <MiB>', 'memory budget of a training step').argParser((v) => numberList('--memory', false)(v)[0]!).default(1024))
    .option('--target-spacing <mm>', 'override the target spacing, RAS axis order (e.g. 1,1,3)', numberList('--target-spacing', false))
    .option('--patch <voxels>', 'override the patch size (e.g. 96,96,32)', numberList('--patch', true))
    .option('--batch <n>', 'override the batch size', (v) => numberList('--batch', true)(v)[0]!)
    .option('--normalization <schemes>', `override the scheme per modality, comma-separated (${INTENSITY_SCHEMES.join(', ')})`, schemeList)
    .option('--samples <n>', 'foreground intensities sampled per case', (v) => numberList('--samples', true)(v)[0]!)
    .option('--json', 'print {fingerprint, plan} as one JSON document')
    .action(async (dataset: string, flags: PlanFlags) => {
      const description = loadDecathlon(dataset);
      const labels = description.labels.size > 0 ? [...description.labels.keys()] : undefined;
      const cases = [];
      for (const [i, entry] of description.training.entries()) {
        const loaded = await loadCase(entry, labels === undefined ? {} : { labels });
        if (loaded.label === undefined) throw new Error(`plan: ${entry.id}: no label file`);
        cases.push(caseFingerprint(entry.id, loaded.image, loaded.label, flags.samples === undefined ? {} : { samples: flags.samples }));
        process.stderr.write(`plan: case ${i + 1}/${description.training.length}\r${i + 1 === description.training.length ? '\n' : ''}`);
      }
      const fingerprint = datasetFingerprint(cases, { name: description.name, modalities: description.modalities, labels: description.labels });
      const options: PlanOptions = { memoryBudgetMiB: flags.memory ?? 1024 };
      if (flags.targetSpacing !== undefined) options.targetSpacing = flags.targetSpacing;
      if (flags.patch !== undefined) options.patchSize = flags.patch;
      if (flags.batch !== undefined) options.batchSize = flags.batch;
      if (flags.normalization !== undefined) options.normalization = flags.normalization;
      const plan = planFromFingerprint(fingerprint, options);
      const out = resolve(flags.out ?? dataset);
      const files = [join(out, 'fingerprint.json'), join(out, 'plan.json'), join(out, 'train.yaml')];
      writeFileAtomic(files[0]!, `${JSON.stringify(fingerprint, null, 2)}\n`);
      writeFileAtomic(files[1]!, `${JSON.stringify(plan, null, 2)}\n`);
      writeFileAtomic(files[2]!, trainingConfigYaml(plan, files[1]!, resolve(dataset), out));
      printResult(flags.json, { fingerprint, plan, files }, describePlan(fingerprint, plan, files));
    });
}
