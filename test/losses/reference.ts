/**
 * An independent float64 reference for every loss, in plain TypeScript loops (no TF.js), written
 * from the formulas in docs/losses.md. Inputs are flat `[B, S, C]` arrays: logits (or probabilities
 * with activation 'none') and one-hot / soft targets.
 */
export interface RefInput {
  B: number;
  S: number;
  C: number;
  logits: Float64Array;
  target: Float64Array;
}

export type RefActivation = 'softmax' | 'sigmoid' | 'none';
export type RefReduction = 'mean' | 'sum' | 'none';

export interface RefShared {
  activation: RefActivation;
  includeBackground: boolean;
  reduction: RefReduction;
  batch: boolean;
}

const at = (x: Float64Array, B: number, S: number, C: number) => (b: number, s: number, c: number): number => {
  void B;
  return x[(b * S + s) * C + c]!;
};

export function activate(inp: RefInput, act: RefActivation): Float64Array {
  const { B, S, C, logits } = inp;
  const out = new Float64Array(logits.length);
  for (let b = 0; b < B; b++)
    for (let s = 0; s < S; s++) {
      const base = (b * S + s) * C;
      if (act === 'softmax') {
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, logits[base + c]!);
        let z = 0;
        for (let c = 0; c < C; c++) z += Math.exp(logits[base + c]! - m);
        for (let c = 0; c < C; c++) out[base + c] = Math.exp(logits[base + c]! - m) / z;
      } else if (act === 'sigmoid') {
        for (let c = 0; c < C; c++) out[base + c] = 1 / (1 + Math.exp(-logits[base + c]!));
      } else {
        for (let c = 0; c < C; c++) out[base + c] = logits[base + c]!;
      }
    }
  return out;
}

function add(m: number[][], row: number, k: number, v: number): void {
  m[row]![k] = m[row]![k]! + v;
}

function reduceRef(values: number[], reduction: RefReduction): number[] {
  if (reduction === 'none') return values;
  const s = values.reduce((a, v) => a + v, 0);
  return [reduction === 'sum' ? s : s / values.length];
}

/** Per (row, class) sums where row is the image (or the whole batch). */
function sums(inp: RefInput, p: Float64Array, batch: boolean, classes: number[]) {
  const { B, S, C } = inp;
  const P = at(p, B, S, C);
  const R = at(inp.target, B, S, C);
  const rows = batch ? 1 : B;
  const mk = () => Array.from({ length: rows }, () => new Array<number>(classes.length).fill(0));
  const tp = mk(), sp = mk(), sr = mk(), sp2 = mk(), sr2 = mk(), ap = mk(), ar = mk(), ad = mk(), sq = mk(), sqr = mk();
  for (let b = 0; b < B; b++)
    for (let s = 0; s < S; s++)
      classes.forEach((c, k) => {
        const row = batch ? 0 : b;
        const pv = P(b, s, c), rv = R(b, s, c);
        add(tp, row, k, pv * rv);
        add(sp, row, k, pv);
        add(sr, row, k, rv);
        add(sp2, row, k, pv * pv);
        add(sr2, row, k, rv * rv);
        add(ap, row, k, Math.abs(pv));
        add(ar, row, k, Math.abs(rv));
        add(ad, row, k, Math.abs(pv - rv));
        add(sq, row, k, (pv - rv) ** 2);
        add(sqr, row, k, (pv - rv) ** 2 * rv);
      });
  return { tp, sp, sr, sp2, sr2, ap, ar, ad, sq, sqr, rows, n: (batch ? B : 1) * S };
}

const keptClasses = (C: number, includeBackground: boolean): number[] =>
  Array.from({ length: C }, (_, c) => c).filter((c) => includeBackground || c > 0);

export function gdlRef(
  inp: RefInput,
  o: RefShared & { weightType: 'square' | 'simple' | 'uniform'; emptyClassWeight: 'max' | 'zero' | number; smoothNr: number; smoothDr: number; softLabel: boolean },
): number[] {
  const p = activate(inp, o.activation);
  const cls = keptClasses(inp.C, o.includeBackground);
  const s = sums(inp, p, o.batch, cls);
  const out: number[] = [];
  for (let row = 0; row < s.rows; row++) {
    const w = cls.map((_, k) => {
      const g = s.sr[row]![k]!;
      return o.weightType === 'uniform' ? 1 : o.weightType === 'simple' ? 1 / g : 1 / (g * g);
    });
    const finite = w.filter((x) => Number.isFinite(x));
    const maxW = finite.length ? Math.max(...finite) : 0;
    const wf = w.map((x) => (Number.isFinite(x) ? x : o.emptyClassWeight === 'max' ? maxW : o.emptyClassWeight === 'zero' ? 0 : o.emptyClassWeight));
    let num = 0, den = 0;
    cls.forEach((_, k) => {
      const tp = o.softLabel ? (s.ap[row]![k]! + s.ar[row]![k]! - s.ad[row]![k]!) / 2 : s.tp[row]![k]!;
      const d = o.softLabel ? s.ap[row]![k]! + s.ar[row]![k]! : s.sp[row]![k]! + s.sr[row]![k]!;
      num += wf[k]! * tp;
      den += wf[k]! * d;
    });
    out.push(1 - (2 * num + o.smoothNr) / (den + o.smoothDr));
  }
  return reduceRef(out, o.reduction);
}

export function diceRef(
  inp: RefInput,
  o: RefShared & { squaredPred: boolean; jaccard: boolean; classWeights?: number[]; smoothNr: number; smoothDr: number; softLabel: boolean },
): number[] {
  return reduceRef(dicePerClass(inp, o).flat(), o.reduction);
}

export function dicePerClass(
  inp: RefInput,
  o: RefShared & { squaredPred: boolean; jaccard: boolean; classWeights?: number[]; smoothNr: number; smoothDr: number; softLabel: boolean },
): number[][] {
  const p = activate(inp, o.activation);
  const cls = keptClasses(inp.C, o.includeBackground);
  const s = sums(inp, p, o.batch, cls);
  const out: number[][] = [];
  for (let row = 0; row < s.rows; row++) {
    out.push(
      cls.map((_, k) => {
        let tp: number, fp: number, fn: number;
        if (o.squaredPred) {
          tp = s.tp[row]![k]!;
          fp = s.sp2[row]![k]! - tp;
          fn = s.sr2[row]![k]! - tp;
        } else if (o.softLabel) {
          tp = (s.ap[row]![k]! + s.ar[row]![k]! - s.ad[row]![k]!) / 2;
          fp = s.ap[row]![k]! - tp;
          fn = s.ar[row]![k]! - tp;
        } else {
          tp = s.tp[row]![k]!;
          fp = s.sp[row]![k]! - tp;
          fn = s.sr[row]![k]! - tp;
        }
        const den = o.jaccard ? 2 * (tp + fp + fn) : 2 * tp + fp + fn;
        const f = 1 - (2 * tp + o.smoothNr) / (den + o.smoothDr);
        return o.classWeights ? f * o.classWeights[k]! : f;
      }),
    );
  }
  return out;
}

export function tverskyRef(
  inp: RefInput,
  o: RefShared & { alpha: number; beta: number; smoothNr: number; smoothDr: number; softLabel: boolean },
): number[] {
  const p = activate(inp, o.activation);
  const cls = keptClasses(inp.C, o.includeBackground);
  const { B, S, C } = inp;
  const rows = o.batch ? 1 : B;
  const out: number[] = [];
  for (let row = 0; row < rows; row++)
    for (const c of cls) {
      let tp = 0, fp = 0, fn = 0, ap = 0, ar = 0, ad = 0;
      for (let b = 0; b < B; b++) {
        if (!o.batch && b !== row) continue;
        for (let s = 0; s < S; s++) {
          const pv = p[(b * S + s) * C + c]!, rv = inp.target[(b * S + s) * C + c]!;
          tp += pv * rv;
          fp += pv * (1 - rv);
          fn += (1 - pv) * rv;
          ap += Math.abs(pv);
          ar += Math.abs(rv);
          ad += Math.abs(pv - rv);
        }
      }
      if (o.softLabel) {
        tp = (ap + ar - ad) / 2;
        fp = ap - tp;
        fn = ar - tp;
      }
      out.push(1 - (tp + o.smoothNr) / (tp + o.alpha * fp + o.beta * fn + o.smoothDr));
    }
  return reduceRef(out, o.reduction);
}

export function dl2Ref(inp: RefInput, o: Omit<RefShared, 'includeBackground'> & { epsilon: number }): number[] {
  const p = activate(inp, o.activation);
  const { B, S, C } = inp;
  const fg = C - 1;
  const rows = o.batch ? 1 : B;
  const out: number[] = [];
  for (let row = 0; row < rows; row++) {
    let a = 0, b1 = 0, c1 = 0, d1 = 0;
    for (let b = 0; b < B; b++) {
      if (!o.batch && b !== row) continue;
      for (let s = 0; s < S; s++) {
        const pv = p[(b * S + s) * C + fg]!, rv = inp.target[(b * S + s) * C + fg]!;
        a += pv * rv;
        b1 += pv + rv;
        c1 += (1 - pv) * (1 - rv);
        d1 += 2 - pv - rv;
      }
    }
    const e = o.epsilon;
    out.push(1 - (a + e) / (b1 + e) - (c1 + e) / (d1 + e));
  }
  return reduceRef(out, o.reduction);
}

export function ssRef(inp: RefInput, o: RefShared & { lambda: number; epsilon: number; form: 'binary' | 'sum' }): number[] {
  const p = activate(inp, o.activation);
  const { B, S, C } = inp;
  const cls = o.form === 'binary' ? [C - 1] : keptClasses(C, o.includeBackground);
  const rows = o.batch ? 1 : B;
  const out: number[] = [];
  for (let row = 0; row < rows; row++) {
    let total = 0;
    for (const c of cls) {
      let sensNum = 0, sensDen = 0, specNum = 0, specDen = 0;
      for (let b = 0; b < B; b++) {
        if (!o.batch && b !== row) continue;
        for (let s = 0; s < S; s++) {
          const pv = p[(b * S + s) * C + c]!, rv = inp.target[(b * S + s) * C + c]!;
          sensNum += (rv - pv) ** 2 * rv;
          sensDen += rv;
          specNum += (rv - pv) ** 2 * (1 - rv);
          specDen += 1 - rv;
        }
      }
      total += (o.lambda * sensNum) / (sensDen + o.epsilon) + ((1 - o.lambda) * specNum) / (specDen + o.epsilon);
    }
    out.push(total);
  }
  return reduceRef(out, o.reduction);
}

/** Cross-entropy family: categorical when softmax (or 'none' with C > 1), else binary per channel. */
function ceFamily(
  inp: RefInput,
  o: RefShared & { gamma: number; epsilon: number; fromLogits: boolean },
  posWeight: (row: number, c: number) => number,
  negWeight: (row: number, c: number) => number,
  includeBackground: boolean,
): number[] {
  const p = activate(inp, o.activation);
  const { B, S, C, logits } = inp;
  const binary = o.activation === 'sigmoid' || C === 1;
  const cls = keptClasses(C, includeBackground);
  const perImage: number[] = [];
  for (let b = 0; b < B; b++) {
    const row = o.batch ? 0 : b;
    let total = 0;
    for (let s = 0; s < S; s++) {
      const base = (b * S + s) * C;
      let lse = 0;
      if (!binary && o.fromLogits) {
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, logits[base + c]!);
        let z = 0;
        for (let c = 0; c < C; c++) z += Math.exp(logits[base + c]! - m);
        lse = m + Math.log(z);
      }
      for (const c of cls) {
        const pv = p[base + c]!, rv = inp.target[base + c]!, x = logits[base + c]!;
        if (binary) {
          const logP = o.fromLogits ? -Math.log1p(Math.exp(-x)) : Math.log(Math.min(1, Math.max(o.epsilon, pv)));
          const log1mP = o.fromLogits ? -Math.log1p(Math.exp(x)) : Math.log(Math.min(1, Math.max(o.epsilon, 1 - pv)));
          total += posWeight(row, c) * (1 - pv) ** o.gamma * rv * logP + negWeight(row, c) * pv ** o.gamma * (1 - rv) * log1mP;
        } else {
          const logP = o.fromLogits ? x - lse : Math.log(Math.min(1, Math.max(o.epsilon, pv)));
          total += posWeight(row, c) * (1 - pv) ** o.gamma * rv * logP;
        }
      }
    }
    perImage.push(-total / (S * (binary ? cls.length : 1)));
  }
  const values = o.batch ? [perImage.reduce((a, v) => a + v, 0) / B] : perImage;
  return reduceRef(values, o.reduction);
}

export function wceRef(inp: RefInput, o: RefShared & { weightFrom: 'reference' | 'prediction'; epsilon: number; fromLogits: boolean }): number[] {
  const p = activate(inp, o.activation);
  const { B, S, C } = inp;
  const binary = o.activation === 'sigmoid' || C === 1;
  const rows = o.batch ? 1 : B;
  const n = (o.batch ? B : 1) * S;
  const vol = Array.from({ length: rows }, () => new Array<number>(C).fill(0));
  const src = o.weightFrom === 'reference' ? inp.target : p;
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) for (let c = 0; c < C; c++) add(vol, o.batch ? 0 : b, c, src[(b * S + s) * C + c]!);
  const w = (row: number, c: number) => (!binary && c === 0 ? 1 : (n - vol[row]![c]!) / Math.max(vol[row]![c]!, o.epsilon));
  return ceFamily(inp, { ...o, gamma: 0 }, w, () => 1, o.includeBackground);
}

export function focalRef(inp: RefInput, o: RefShared & { gamma: number; alpha?: number | number[]; epsilon: number; fromLogits: boolean }): number[] {
  const binary = o.activation === 'sigmoid' || inp.C === 1;
  const a = o.alpha;
  const pos = (_r: number, c: number) => (a === undefined ? 1 : Array.isArray(a) ? a[c]! : binary ? a : c === 0 ? 1 - a : a);
  const neg = () => (a === undefined || Array.isArray(a) ? 1 : 1 - a);
  return ceFamily(inp, o, pos, neg, o.includeBackground);
}

export function diceCeRef(
  inp: RefInput,
  o: RefShared & { lambdaDice: number; lambdaCe: number; squaredPred: boolean; jaccard: boolean; classWeights?: number[]; smoothNr: number; smoothDr: number; softLabel: boolean },
): number[] {
  const dice = dicePerClass(inp, o).map((row) => row.reduce((x, v) => x + v, 0) / row.length);
  const ce = ceFamily(inp, { ...o, gamma: 0, epsilon: 1e-7, fromLogits: o.activation !== 'none', reduction: 'none' }, () => 1, () => 1, true);
  const per = dice.map((d, i) => o.lambdaDice * d + o.lambdaCe * ce[i]!);
  return reduceRef(per, o.reduction);
}
