import { writeRealisticDataset } from '../data/node/realisticDataset.js';

/** `gendice synth --realistic`: the realistic phantom set (results on stdout, progress on stderr). */
export async function runRealisticSynth(flags: { out: string; cases: number; seed: number; json?: boolean }): Promise<void> {
  const started = performance.now();
  const report = await writeRealisticDataset({
    out: flags.out,
    cases: flags.cases,
    seed: flags.seed,
    onCase: (i, total) => process.stderr.write(`synth: case ${i + 1}/${total}\r${i + 1 === total ? '\n' : ''}`),
  });
  const seconds = (performance.now() - started) / 1000;
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify({ ...report, seconds })}\n`);
    return;
  }
  const orientations = [...new Set(report.training.map((c) => c.orientation))].sort().join(', ');
  const spacings = report.training.map((c) => c.spacing.map((s) => s.toFixed(2)).join('×'));
  const lines = [
    `dataset      ${report.datasetJson}`,
    `cases        ${report.training.length} realistic (modalities ${report.modalities.join(', ')}; labels ${report.labels.join(', ')})`,
    `orientations ${orientations}`,
    `spacings     ${spacings.slice(0, 4).join(', ')}${spacings.length > 4 ? ', ...' : ''} mm`,
    `seed         ${report.seed}`,
    `time         ${seconds.toFixed(1)} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
