import { appendFileSync, closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../common/node/atomicWrite.js';
import { median } from '../../common/stats.js';

/** How much of a log a checkpoint covers: its length in bytes and its number of records. */
export interface LogCoverage {
  bytes: number;
  records: number;
}

/** One line of `log.jsonl`: a training iteration, a validation pass or an early stop. */
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
  | { type: 'validation'; iteration: number; dice: number; dicePerClass: number[]; cases: number }
  /** The run stopped before its `iterations` (early stopping), and why. */
  | { type: 'stop'; iteration: number; reason: string };

/** JSON has no NaN or Infinity: they are written as strings and read back as numbers. */
function encode(record: LogRecord): string {
  return `${JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}\n`;
}

function parseLine(line: string): LogRecord {
  return JSON.parse(line, (_k, v: unknown) => (v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as LogRecord;
}

/**
 * Appends records to a JSON-lines file, one object per line. A checkpoint records the log's coverage
 * (`commit`: flushed to the disk first), and a resume cuts the log back to exactly that (`cutTo`), so
 * that every record appears once whatever the moment a run was killed.
 */
export class TrainLog {
  private records = 0;

  constructor(readonly path: string) {}

  append(record: LogRecord): void {
    appendFileSync(this.path, encode(record));
    this.records++;
  }

  /** Empties the log (a new run). */
  reset(): void {
    writeFileAtomic(this.path, '');
    this.records = 0;
  }

  /** Flushes the log to the disk and returns what it holds, for a checkpoint to record. */
  commit(): LogCoverage {
    const fd = openSync(this.path, 'a');
    try {
      fsyncSync(fd);
      return { bytes: fstatSync(fd).size, records: this.records };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Cuts the log back to `coverage` (what a checkpoint recorded), dropping the records of work done
   * after that checkpoint, which the resumed run redoes. Throws, naming the file, when the log is shorter
   * than the checkpoint says or does not end a record there.
   */
  cutTo(coverage: LogCoverage): void {
    const bytes = existsSync(this.path) ? readFileSync(this.path) : Buffer.alloc(0);
    const kept = bytes.subarray(0, coverage.bytes);
    const lines = kept.toString('utf8').split('\n');
    const complete = kept.length === coverage.bytes && (coverage.bytes === 0 || kept[coverage.bytes - 1] === 0x0a);
    if (!complete || lines.length - 1 !== coverage.records) {
      throw new Error(
        `TrainLog.cutTo: ${this.path} holds ${bytes.length} bytes, ${lines.length - 1} complete records in the first ${kept.length}; ` +
          `the checkpoint covers ${coverage.bytes} bytes and ${coverage.records} records (the log was damaged or replaced)`,
      );
    }
    const fd = openSync(this.path, 'r+');
    try {
      ftruncateSync(fd, coverage.bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.records = coverage.records;
  }

  /** All records; a torn last line (a crash mid-write) is ignored. */
  read(): LogRecord[] {
    if (!existsSync(this.path)) return [];
    const out: LogRecord[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(parseLine(line));
      } catch {
        break;
      }
    }
    return out;
  }

  /**
   * Keeps the records up to and including `iteration`: the resume of a checkpoint that did not record
   * its coverage (written by an older gendice).
   */
  truncateAfter(iteration: number): void {
    const kept = this.read().filter((r) => r.iteration <= iteration);
    writeFileAtomic(this.path, kept.map(encode).join(''));
    this.records = kept.length;
  }
}

/** The paper's score: the median training Dice over the last `window` iterations of the log. */
export function paperScore(records: readonly LogRecord[], window: number): { score: number; iterations: number } {
  const train = records.filter((r): r is Extract<LogRecord, { type: 'train' }> => r.type === 'train').slice(-window);
  return { score: median(train.map((r) => r.dice)), iterations: train.length };
}
