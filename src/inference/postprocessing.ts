import { formatValue, isOneOf, quoteList } from '../common/options.js';
import { dice } from '../metrics/dice.js';
import { CONNECTIVITIES, keepLargestComponent, type Connectivity } from './connectedComponents.js';

/** The file name of the post-processing decision in a model folder. */
export const POSTPROCESSING_FILE = 'postprocessing.json';
export const POSTPROCESSING_FORMAT = 'gendice-postprocessing/1';

/** The decision for one structure (foreground label). */
export interface StructurePostprocessing {
  label: number;
  /** Mean Dice of the structure over the validation cases, as predicted and after keeping its largest component (NaN: no case counted). */
  diceBefore: number;
  diceAfter: number;
  /** Whether predict keeps only the largest connected component of this structure. */
  largestComponent: boolean;
}

/** What `postprocessing.json` holds: per structure, whether to keep only its largest connected component. */
export interface PostprocessingPlan {
  format: typeof POSTPROCESSING_FORMAT;
  connectivity: Connectivity;
  /** Validation cases the decision was measured on. */
  cases: number;
  structures: StructurePostprocessing[];
}

/** One validation case: predicted and reference label maps on a row-major grid of `shape`. */
export interface PostprocessingCase {
  predicted: Int32Array | Uint8Array;
  reference: Int32Array | Uint8Array;
  shape: readonly number[];
}

/** Mean of the finite values (NaN when there is none): the validation's own averaging. */
function finiteMean(values: readonly number[]): number {
  const f = values.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : Number.NaN;
}

/** Per-case Dice of each foreground label 1..structures (NaN where the label is in neither map). */
function structureDice(predicted: ArrayLike<number>, reference: ArrayLike<number>, shape: readonly number[], classes: number): number[] {
  const full = [1, ...shape, 1];
  const r = dice({ data: Int32Array.from(predicted), shape: full }, { data: Int32Array.from(reference), shape: full }, { numClasses: Math.max(classes, 2), includeBackground: false });
  return r.values[0]!;
}

/**
 * Collects, case by case, each structure's Dice as predicted and after keeping its largest connected
 * component, so that the decision needs no case kept in memory (`plan()`; `decidePostprocessing` for
 * cases at hand). `classes` counts the background (a one-channel model has 1 class and one structure, label 1).
 */
export class PostprocessingEvidence {
  private readonly before: number[][] = [];
  private readonly after: number[][] = [];

  constructor(
    readonly classes: number,
    readonly connectivity: Connectivity = 'face',
  ) {}

  add(c: PostprocessingCase): void {
    const structures = Math.max(this.classes - 1, 1);
    this.before.push(structureDice(c.predicted, c.reference, c.shape, this.classes));
    const after: number[] = [];
    for (let label = 1; label <= structures; label++) {
      after.push(structureDice(keepLargestComponent(c.predicted, c.shape, label, this.connectivity), c.reference, c.shape, this.classes)[label - 1]!);
    }
    this.after.push(after);
  }

  /**
   * nnU-Net's rule, structure by structure: keep only the largest component if the structure's mean
   * Dice over the cases does not decrease (after ≥ before); off when no case has the structure in its
   * prediction or reference. Removing components of one structure changes the Dice of that structure
   * only, so the structures are decided independently.
   */
  plan(): PostprocessingPlan {
    const structures = Math.max(this.classes - 1, 1);
    const decisions: StructurePostprocessing[] = [];
    for (let label = 1; label <= structures; label++) {
      const diceBefore = finiteMean(this.before.map((row) => row[label - 1]!));
      const diceAfter = finiteMean(this.after.map((row) => row[label - 1]!));
      decisions.push({ label, diceBefore, diceAfter, largestComponent: Number.isFinite(diceBefore) && Number.isFinite(diceAfter) && diceAfter >= diceBefore });
    }
    return { format: POSTPROCESSING_FORMAT, connectivity: this.connectivity, cases: this.before.length, structures: decisions };
  }
}

/** The post-processing decision (`PostprocessingEvidence.plan`, nnU-Net's rule) for validation cases at hand. */
export function decidePostprocessing(cases: readonly PostprocessingCase[], classes: number, connectivity: Connectivity = 'face'): PostprocessingPlan {
  const evidence = new PostprocessingEvidence(classes, connectivity);
  for (const c of cases) evidence.add(c);
  return evidence.plan();
}

/** The label map with the plan applied: structures switched on keep only their largest component (the rest becomes background). */
export function applyPostprocessing<T extends Int32Array | Uint8Array>(labels: T, shape: readonly number[], plan: PostprocessingPlan): T {
  let out = labels;
  for (const s of plan.structures) if (s.largestComponent) out = keepLargestComponent(out, shape, s.label, plan.connectivity);
  return out === labels ? (labels.slice() as T) : out;
}

/** The structures a plan switches on (labels). */
export function postprocessedLabels(plan: PostprocessingPlan): number[] {
  return plan.structures.filter((s) => s.largestComponent).map((s) => s.label);
}

/** JSON for `postprocessing.json` (NaN Dice written as null). */
export function postprocessingJson(plan: PostprocessingPlan): string {
  return `${JSON.stringify(plan, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

/** Checks a parsed `postprocessing.json`; `source` (the file) and the bad field are named in errors. */
export function parsePostprocessing(value: unknown, source: string = POSTPROCESSING_FILE): PostprocessingPlan {
  const fail = (field: string, rule: string, got: unknown): never => {
    throw new Error(`parsePostprocessing: ${source}: ${field} must be ${rule}; got ${formatValue(got)}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('the file', 'a JSON object', value);
  const v = value as Record<string, unknown>;
  if (v.format !== POSTPROCESSING_FORMAT) fail('format', `'${POSTPROCESSING_FORMAT}'`, v.format);
  if (!isOneOf(v.connectivity, CONNECTIVITIES)) fail('connectivity', `one of ${quoteList(CONNECTIVITIES)}`, v.connectivity);
  if (!Array.isArray(v.structures)) return fail('structures', 'a list', v.structures);
  const structures = v.structures.map((s: unknown, i): StructurePostprocessing => {
    const e = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    if (!(typeof e.label === 'number' && Number.isInteger(e.label) && e.label >= 1)) fail(`structures[${i}].label`, 'an integer ≥ 1', e.label);
    if (typeof e.largestComponent !== 'boolean') fail(`structures[${i}].largestComponent`, 'true or false', e.largestComponent);
    const score = (x: unknown): number => (typeof x === 'number' ? x : Number.NaN);
    return { label: e.label as number, diceBefore: score(e.diceBefore), diceAfter: score(e.diceAfter), largestComponent: e.largestComponent as boolean };
  });
  return { format: POSTPROCESSING_FORMAT, connectivity: v.connectivity as Connectivity, cases: typeof v.cases === 'number' ? v.cases : 0, structures };
}

/**
 * The post-processing of an ensemble: a structure keeps only its largest component when every model's
 * plan switches it on (gendice has no validation predictions of the ensemble itself to decide on).
 * Undefined when a model has no plan or the plans' connectivities differ.
 */
export function combinePostprocessing(plans: ReadonlyArray<PostprocessingPlan | undefined>): PostprocessingPlan | undefined {
  if (plans.length === 0 || plans.some((p) => p === undefined)) return undefined;
  const all = plans as PostprocessingPlan[];
  const { connectivity } = all[0]!;
  if (all.some((p) => p.connectivity !== connectivity)) return undefined;
  if (all.length === 1) return all[0];
  const on = (label: number): boolean => all.every((p) => p.structures.some((s) => s.label === label && s.largestComponent));
  const structures = all[0]!.structures.map((s) => ({ label: s.label, diceBefore: Number.NaN, diceAfter: Number.NaN, largestComponent: on(s.label) }));
  return { format: POSTPROCESSING_FORMAT, connectivity, cases: 0, structures };
}
