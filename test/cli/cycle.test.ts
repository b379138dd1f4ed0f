import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNifti } from '../../src/data/node/niftiFiles.js';
import { loadModel } from '../../src/networks/node/modelFiles.js';
import { TrainLog } from '../../src/training/node/index.js';
import { gendice, gendiceAsync } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-cycle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = join(dir, 'data');
const configPath = join(dir, 'config.json');
const iterations = 40;

function parseJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  expect(lines.length).toBeGreaterThan(0);
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function weights(modelDir: string): Promise<Float32Array[]> {
  const model = await loadModel(modelDir);
  const w = model.getWeights().map((t) => t.dataSync() as Float32Array);
  model.dispose();
  return w;
}

function latestIteration(run: string): number {
  const f = join(run, 'checkpoints', 'latest.json');
  if (!existsSync(f)) return 0;
  try {
    return (JSON.parse(readFileSync(f, 'utf8')) as { iteration: number }).iteration;
  } catch {
    return 0;
  }
}

describe('train -> checkpoint -> SIGKILL -> resume -> predict -> evaluate', () => {
  it('synthesises a dataset and writes the config', () => {
    const r = gendice(['synth', '--dims', '2', '--cases', '4', '--size', '32', '--foreground', '0.03', '--shape', 'blobs', '--seed', '5', '--out', data, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(data, 'dataset.json'))).toBe(true);
    writeFileSync(
      configPath,
      JSON.stringify({
        seed: 2,
        network: { name: 'unet2d', options: { depth: 2, baseFilters: 4 } },
        loss: { name: 'gdl' },
        optimizer: { learningRate: 0.01 },
        iterations,
        batchSize: 2,
        patchSize: [16, 16],
        data: { dataset: 'data', validationFraction: 0.25 },
        checkpoint: { every: 3, keep: 2 },
        scoreWindow: 10,
      }),
    );
  });

  it('a run killed with SIGKILL and resumed ends with the weights of an uninterrupted run', async () => {
    const a = gendice(['train', '--config', configPath, '--out', join(dir, 'runA'), '--json']);
    expect(a.status, a.stderr).toBe(0);
    const resultA = parseJson(a.stdout);
    expect(resultA.iterations).toBe(iterations);

    const runB = join(dir, 'runB');
    const child = gendiceAsync(['train', '--config', configPath, '--out', runB]);
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const started = Date.now();
    while (latestIteration(runB) < 6 && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 20));
    const killedAt = latestIteration(runB);
    child.kill('SIGKILL');
    await exited;
    expect(killedAt).toBeGreaterThanOrEqual(6);
    expect(killedAt).toBeLessThan(iterations);
    expect(existsSync(join(runB, 'result.json'))).toBe(false);

    const b = gendice(['resume', runB, '--json']);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/resuming .* at iteration \d+/);
    // Bit-identical: the same float32 weights, not merely close ones.
    const [wa, wb] = [await weights(join(dir, 'runA', 'model')), await weights(join(runB, 'model'))];
    expect(wb.map((w) => Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('hex'))).toEqual(
      wa.map((w) => Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('hex')),
    );
    expect(readFileSync(join(runB, 'model', 'weights.bin')).equals(readFileSync(join(dir, 'runA', 'model', 'weights.bin')))).toBe(true);
    // The log holds every iteration exactly once, as the uninterrupted run's does.
    const iters = new TrainLog(join(runB, 'log.jsonl')).read().filter((r) => r.type === 'train').map((r) => r.iteration);
    expect(iters).toEqual(Array.from({ length: iterations }, (_, i) => i + 1));
    const validations = new TrainLog(join(runB, 'log.jsonl')).read().filter((r) => r.type === 'validation').map((r) => r.iteration);
    expect(validations).toEqual([iterations]);
    const resultB = parseJson(b.stdout);
    for (const k of ['score', 'lastLoss', 'validationDice', 'testDice', 'foregroundFraction']) expect(resultB[k], k).toEqual(resultA[k]);
    expect(readdirSync(join(runB, 'checkpoints')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('predicts label maps in the source geometry and evaluates them', async () => {
    const pred = join(dir, 'pred');
    const p = gendice(['predict', '--model', join(dir, 'runA', 'model'), '--input', join(data, 'imagesTr'), '--out', pred, '--json']);
    expect(p.status, p.stderr).toBe(0);
    const cases = (parseJson(p.stdout).cases as Array<{ labels: string; input: string }>);
    expect(cases).toHaveLength(4);
    const image = await readNifti(cases[0]!.input);
    const labels = await readNifti(cases[0]!.labels);
    expect(labels.shape).toEqual(image.shape);
    expect(labels.affine).toEqual(image.affine);
    expect(labels.spacing).toEqual(image.spacing);
    const e = gendice(['evaluate', '--pred', pred, '--ref', join(data, 'labelsTr'), '--metrics', 'dice,hd95', '--out', join(dir, 'report.csv'), '--json']);
    expect(e.status, e.stderr).toBe(0);
    const report = parseJson(e.stdout) as { cases: Array<{ id: string; values: Record<string, Record<string, number>> }> };
    expect(report.cases).toHaveLength(4);
    expect(report.cases.every((c) => typeof c.values.dice?.['1'] === 'number')).toBe(true);
    expect(readFileSync(join(dir, 'report.csv'), 'utf8').split('\n')[0]).toBe('case,class,dice,hd95');
  });

  it('bad configurations and flags fail with a non-zero exit and a message naming the field or flag', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(readFileSync(configPath, 'utf8')), optimizer: { learningRate: 'fast' }, batchSize: 0 }));
    const r = gendice(['train', '--config', bad, '--out', join(dir, 'bad')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/bad\.json: invalid training configuration/);
    expect(r.stderr).toMatch(/optimizer\.learningRate: .*; got 'fast'/);
    expect(r.stderr).toMatch(/batchSize: .*; got 0/);
    expect(r.stdout).toBe('');
    const p = gendice(['predict', '--model', join(dir, 'runA', 'model'), '--input', data, '--out', join(dir, 'p2'), '--overlap', '1.5']);
    expect(p.status).not.toBe(0);
    expect(p.stderr).toMatch(/--overlap <fraction>' argument '1\.5' is invalid\. must be a finite number in \[0, 1\); got '1\.5'/);
    const ev = gendice(['evaluate', '--pred', join(dir, 'pred'), '--ref', join(data, 'labelsTr'), '--metrics', 'dice,hd59']);
    expect(ev.status).not.toBe(0);
    expect(ev.stderr).toMatch(/--metrics <list>' argument 'dice,hd59' is invalid\. each entry must be one of 'dice', .*; got 'hd59' \(did you mean 'hd95'\?\)/);
  });
});
