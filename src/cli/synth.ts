import type { Command } from 'commander';
import { choiceOption, numberFlag } from './flagParsers.js';
import { ProgressBar } from './output.js';
import { SYNTH_LESION_SHAPES, type SynthLesionShape } from '../data/phantom.js';
import { writeSyntheticDataset } from '../data/node/synth.js';
import { runRealisticSynth } from './synthRealistic.js';

function integerIn(lo: number, hi: number): (value: string) => number {
  return numberFlag({ integer: true, min: lo, max: hi });
}

interface SynthFlags {
  dims: 2 | 3;
  cases: number;
  foreground: number;
  out: string;
  size?: number;
  seed: number;
  classes: number;
  channels: number;
  shape: SynthLesionShape;
  json?: boolean;
  realistic?: boolean;
}

/**
 * Registers `gendice synth`: writes a Decathlon-layout dataset of synthetic organ + lesion phantoms with a
 * chosen foreground fraction. Results on stdout (one JSON document with --json), progress on stderr.
 */
export function registerSynthCommand(program: Command): Command {
  return program
    .command('synth')
    .description('write a Decathlon-layout dataset of synthetic 2D/3D phantoms with a chosen lesion (foreground) fraction')
    .requiredOption('--out <dir>', 'output folder (imagesTr/, labelsTr/, dataset.json)')
    .option('--dims <n>', 'spatial dimensions: 2 or 3', integerIn(2, 3), 3)
    .option('--cases <n>', 'number of cases', integerIn(1, 100000), 40)
    .option('--foreground <fraction>', 'lesion share of the voxels per case, 0.0001..0.5 (e.g. 0.002 for 0.2 %)', numberFlag({ min: 1e-4, max: 0.5 }), 0.01)
    .option('--size <n>', 'extent per axis (default 128 in 2D, 64 in 3D)', integerIn(8, 1024))
    .option('--seed <s>', 'random seed', integerIn(0, 2 ** 32 - 1), 0)
    .option('--classes <k>', 'number of lesion classes', integerIn(1, 16), 1)
    .option('--channels <c>', 'image channels (modalities)', integerIn(1, 8), 1)
    .addOption(choiceOption('--shape <shape>', 'lesion shape', SYNTH_LESION_SHAPES).default('mixed'))
    .option('--json', 'print the result as one JSON document')
    .option('--realistic', 'realistic phantoms: per-case sizes, anisotropic spacings, non-RAS and oblique affines, bias fields, 2 modalities, 2 structures (uses --cases, --seed, --out)')
    .action(async (flags: SynthFlags) => {
      if (flags.realistic === true) return runRealisticSynth(flags);
      const size = flags.size ?? (flags.dims === 2 ? 128 : 64);
      const voxels = size ** flags.dims;
      if (Math.round(flags.foreground * voxels) < 1) {
        throw new Error(`synth: --foreground ${flags.foreground} of ${voxels} voxels (--size ${size}, --dims ${flags.dims}) is less than one voxel; raise --size`);
      }
      const started = performance.now();
      let bar: ProgressBar | undefined;
      const report = await writeSyntheticDataset({
        out: flags.out,
        dims: flags.dims,
        cases: flags.cases,
        foregroundFraction: flags.foreground,
        size,
        classes: flags.classes,
        channels: flags.channels,
        lesionShape: flags.shape,
        seed: flags.seed,
        onCase: (i, total) => {
          bar ??= new ProgressBar('synth: case', total);
          bar.update(i + 1);
        },
      });
      const seconds = (performance.now() - started) / 1000;
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify({ ...report, seconds })}\n`);
        return;
      }
      const lines = [
        `dataset      ${report.datasetJson}`,
        `cases        ${report.cases.length} (${flags.dims}D, ${size}^${flags.dims}, ${report.channels} channel(s), ${report.classes} lesion class(es), shape ${flags.shape})`,
        `foreground   requested ${report.requestedForegroundFraction}, mean obtained ${report.meanForegroundFraction.toPrecision(4)}`,
        `seed         ${report.seed}`,
        `time         ${seconds.toFixed(1)} s`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
