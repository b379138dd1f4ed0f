import type { TrialParameters } from '../types.js';

/** A loss as a study runs it: its registry name and its options (`{ name: 'gdl', options: {} }`). */
export interface StudyLoss {
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** The paper's four losses by registry name. */
export type PaperLossName = 'gdl' | 'wce' | 'dl2' | 'ss';

/** A trial's loss as a structured value. */
export function studyLoss(p: Pick<TrialParameters, 'loss' | 'lossOptions'>): StudyLoss {
  return { name: p.loss, options: p.lossOptions };
}

function sameOptionValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  return typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b);
}

/** Whether two losses are the same variant: the same name and the same options (in any key order). */
export function sameLoss(a: StudyLoss, b: StudyLoss): boolean {
  if (a.name !== b.name) return false;
  const keys = Object.keys(a.options);
  return keys.length === Object.keys(b.options).length && keys.every((k) => k in b.options && sameOptionValue(a.options[k], b.options[k]));
}

/**
 * The loss as the report shows it: the registry name, followed by its options when it has any
 * (`gdl(weightType=simple)`, lists and objects as JSON), so that two variants of one loss in one
 * study stay apart. For display only: nothing reads a label back.
 */
export function lossLabel(loss: StudyLoss): string {
  const keys = Object.keys(loss.options).sort();
  if (keys.length === 0) return loss.name;
  return `${loss.name}(${keys.map((k) => `${k}=${optionText(loss.options[k])}`).join(',')})`;
}

/** An option value in a label: strings and numbers as they are, lists and objects as JSON (`[1,2]`, `{"a":1}`). */
function optionText(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** The loss as a finding's words name it: its label in capitals (`GDL`, `WCE`). */
export function lossTitle(loss: StudyLoss): string {
  return lossLabel(loss).toUpperCase();
}

/**
 * The paper's loss `name` among a study's losses: the option-free variant when present; for GDL,
 * else the variant whose only option is the paper's `weightType: 'square'`; else the first variant.
 */
export function paperLoss(losses: readonly StudyLoss[], name: PaperLossName): StudyLoss | undefined {
  const variants = losses.filter((l) => l.name === name);
  const plain = variants.find((l) => Object.keys(l.options).length === 0);
  if (plain !== undefined) return plain;
  if (name === 'gdl') {
    const square = variants.find((l) => Object.keys(l.options).length === 1 && l.options['weightType'] === 'square');
    if (square !== undefined) return square;
  }
  return variants[0];
}
