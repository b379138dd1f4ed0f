import { z } from 'zod';
import { STUDY_PROTOCOL } from './protocol.js';
import type { TrialParameters, TrialRecord } from './types.js';

/**
 * A trial record on disk: its schema, its JSON form (NaN, Infinity and -Infinity, which JSON cannot
 * hold, are written as the strings 'NaN', 'Infinity', '-Infinity') and the identity checks that tie a
 * record to its trial. A record is trusted only when all of them pass.
 */

const finite = z.number(); // zod's number refuses NaN and ±Infinity
const unit = finite.min(0).max(1);
/** Values that may be undefined (a Dice of two empty masks) or blow up (a diverging loss). */
const anyNumber = z.custom<number>((v) => typeof v === 'number', { message: 'must be a number (NaN allowed)' });
const positiveInt = z.number().int().positive();

export const trialParametersSchema = z
  .object({
    network: z.string().min(1),
    networkOptions: z.record(z.string(), z.unknown()),
    loss: z.string().min(1),
    lossOptions: z.record(z.string(), z.unknown()),
    learningRate: finite.positive(),
    patchSize: z.array(positiveInt).min(2).max(3),
    batchSize: positiveInt,
    seed: z.number().int().min(0),
    iterations: positiveInt,
  })
  .strict();

export const trialRecordSchema = trialParametersSchema
  .extend({
    id: z.string().min(1),
    protocol: z.number().int().min(1).max(STUDY_PROTOCOL, { message: `must be a protocol version this gendice knows (1 to ${STUDY_PROTOCOL})` }).optional(),
    status: z.enum(['done', 'diverged', 'failed']),
    score: unit.nullable(),
    scoreWindow: positiveInt,
    foregroundFraction: z.object({ mean: unit, median: unit }).strict().nullable(),
    validationDice: unit.nullable(),
    testDice: z.array(anyNumber).nullable(),
    curve: z.array(z.object({ iteration: positiveInt, loss: anyNumber, dice: anyNumber }).strict()),
    seconds: finite.min(0),
    engine: z.string(),
    error: z.string().optional(),
    finishedAt: z.iso.datetime(),
    checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: "must be 'sha256:' and 64 hex digits" }).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const issue = (path: string, message: string): void => ctx.addIssue({ code: 'custom', path: [path], message });
    if (r.status === 'done' && r.score === null) issue('score', "must be a number when status is 'done'");
    if (r.status === 'done' && r.foregroundFraction === null) issue('foregroundFraction', "must be measured when status is 'done'");
    if (r.status === 'done' && r.error !== undefined) issue('error', "must be absent when status is 'done'");
    if (r.status === 'diverged' && r.score !== 0) issue('score', "must be 0 when status is 'diverged' (a diverged trial counts as Dice 0)");
    if (r.status === 'failed' && r.score !== null) issue('score', "must be null when status is 'failed'");
    if (r.status !== 'done' && r.error === undefined) issue('error', `must say why when status is '${r.status}'`);
    if (r.scoreWindow > r.iterations) issue('scoreWindow', `must be at most iterations (${r.iterations})`);
    for (const [i, point] of r.curve.entries()) {
      const previous = i > 0 ? r.curve[i - 1]!.iteration : 0;
      if (point.iteration <= previous || point.iteration > r.iterations) {
        issue('curve', `iterations must increase within 1..${r.iterations}; point ${i} is at ${point.iteration} after ${previous}`);
        break;
      }
    }
  });

const SPECIAL_NUMBERS: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** A record as JSON text, NaN and ±Infinity as strings. */
export function serializeTrialRecord(record: TrialRecord): string {
  return `${JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}

/** Parses a record's JSON text (the strings 'NaN', 'Infinity', '-Infinity' back to numbers); throws on bad JSON. */
export function deserializeTrialRecord(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && v in SPECIAL_NUMBERS ? SPECIAL_NUMBERS[v] : v));
}

/** JSON with object keys sorted and non-finite numbers as strings: equal values give equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v)
      ? String(v)
      : v !== null && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
        : v,
  );
}

/** The text a record's `checksum` hashes: the canonical JSON of every field but `checksum`. */
export function canonicalRecordText(record: object): string {
  return canonical(Object.fromEntries(Object.entries(record).filter(([k]) => k !== 'checksum')));
}

/**
 * Why a schema-valid record does not belong to its trial: an id other than its folder's (and the
 * grid's), or parameters other than those the grid gives that id. Undefined when it belongs.
 */
export function trialRecordMismatch(record: TrialRecord, expected: { id: string; parameters?: TrialParameters }): string | undefined {
  if (record.id !== expected.id) return `id is '${record.id}', not its folder's '${expected.id}'`;
  const p = expected.parameters;
  if (p === undefined) return undefined;
  const keys = Object.keys(trialParametersSchema.shape) as Array<keyof TrialParameters>;
  const differ = keys.filter((k) => canonical(record[k]) !== canonical(p[k]));
  if (differ.length === 0) return undefined;
  return `parameters differ from the grid's for this id: ${differ.map((k) => `${k} ${canonical(record[k])} (grid: ${canonical(p[k])})`).join(', ')}`;
}
