import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../common/atomicWrite.js';
import { median } from '../common/stats.js';

/** One line of `log.jsonl`: a training iteration or a validation pass. */
export type LogRecord =
  | {
      type: 'train';
      iteration: number;
      loss: number;
      /** Soft Dice of the foreground classes on the batch (probabilities, pooled over the batch). */
      diceSoft: number;
      /** Dice of the argmax/threshold segmentation's foreground on the batch (pooled); NaN if both empty. */
      dice: number;
      learningRate: number;
      foregroundFraction: number;
      ms: number;
    }
  | { type: 'validation'; iteration: number; dice: number; dicePerClass: number[]; cases: number };

/** JSON has no NaN or Infinity: they are written as strings and read back as numbers. */
function encode(record: LogRecord): string {
  return `${JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}\n`;
}

/** Appends records to a JSON-lines file, one object per line. */
export class TrainLog {
  constructor(readonly path: string) {}

  append(record: LogRecord): void {
    appendFileSync(this.path, encode(record));
  }

  /** All records; a torn last line (a crash mid-write) is ignored. */
  read(): LogRecord[] {
    if (!existsSync(this.path)) return [];
    const out: LogRecord[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line, (_k, v: unknown) => (v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as LogRecord);
      } catch {
        break;
      }
    }
    return out;
  }

  /** Keeps the records up to and including `iteration` (after a resume from that checkpoint). */
  truncateAfter(iteration: number): void {
    const kept = this.read().filter((r) => r.iteration <= iteration);
    writeFileAtomic(this.path, kept.map(encode).join(''));
  }
}

/** The paper's score: the median training Dice over the last `window` iterations of the log. */
export function paperScore(records: readonly LogRecord[], window: number): { score: number; iterations: number } {
  const train = records.filter((r): r is Extract<LogRecord, { type: 'train' }> => r.type === 'train').slice(-window);
  return { score: median(train.map((r) => r.dice)), iterations: train.length };
}
