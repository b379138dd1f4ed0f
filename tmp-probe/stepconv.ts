import * as tf from '@tensorflow/tfjs';
import { selectEngine } from '../src/engine/node/index.js';
import { ENGINE_MODELS, trainingStep } from '../bench/engine.js';
await selectEngine();
const spec = ENGINE_MODELS.find((m) => m.name === (process.argv[2] ?? 'unet2d'))!;
const { step } = trainingStep(spec);
const rec = new Map<string, number[]>();
let on = false;
const stepTimes: number[] = [];
let kernelSum = 0;
for (const k of tf.getKernelsForBackend(tf.getBackend())) {
  const f = k.kernelFunc;
  (k as any).kernelFunc = (args: any) => {
    const t0 = performance.now();
    const out = f(args);
    const ms = performance.now() - t0;
    if (on) {
      kernelSum += ms;
      const shapes = Object.values(args.inputs).map((t: any) => t?.shape?.join('x')).join(' ');
      const key = `${k.kernelName} ${shapes}`;
      const a = rec.get(key) ?? [];
      a.push(ms);
      rec.set(key, a);
    }
    return out;
  };
}
for (let i = 0; i < 3; i++) step();
const N = 6;
on = true;
for (let i = 0; i < N; i++) { const t0 = performance.now(); step(); stepTimes.push(performance.now() - t0); }
const med = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
console.log('steps', stepTimes.map((t) => t.toFixed(0)).join(' '), 'kernel ms/step', (kernelSum / N).toFixed(0));
const rows = [...rec.entries()].map(([k, a]) => [k, a.reduce((s, x) => s + x, 0) / N, a.length / N] as const).sort((a, b) => b[1] - a[1]);
for (const [k, ms, c] of rows.slice(0, Number(process.argv[3] ?? 40))) console.log(ms.toFixed(2).padStart(8), String(c).padStart(3), k);
const byName = new Map<string, number>();
for (const [k, a] of rec) { const n = k.split(' ')[0]; byName.set(n, (byName.get(n) ?? 0) + a.reduce((s, x) => s + x, 0) / N); }
console.log([...byName.entries()].sort((a, b) => b[1] - a[1]).map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join('\n'));
