import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { latestCheckpointDir } from '../../training/node/checkpoint.js';
import { resume, train, TrainingDivergedError, type TrainingResult } from '../../training/node/trainer.js';
import { TrainLog, type LogRecord } from '../../training/node/trainLog.js';
import { loadTrainingData } from '../../training/node/trainingData.js';
import { parseTrainingConfig } from '../../training/config.js';
import { trialTrainingConfig, type StudyConfig } from '../grid.js';
import { STUDY_PROTOCOL } from '../protocol.js';
import { writeHeldOutPredictions } from './heldOutPredictions.js';
import { clearTrialFolder, trialDir, writeTrialRecord } from './store.js';
import type { CurvePoint, TrialParameters, TrialRecord } from '../types.js';

/** At most `points` curve points: every k-th iteration's loss and Dice, always including the last. */
export function downsampleCurve(records: readonly LogRecord[], points = 200): CurvePoint[] {
  const train = records.filter((r): r is Extract<LogRecord, { type: 'train' }> => r.type === 'train');
  const step = Math.max(1, Math.ceil(train.length / points));
  const out: CurvePoint[] = [];
  for (let i = step - 1; i < train.length; i += step) out.push({ iteration: train[i]!.iteration, loss: train[i]!.loss, dice: train[i]!.dice });
  const last = train[train.length - 1];
  if (last && out[out.length - 1]?.iteration !== last.iteration) out.push({ iteration: last.iteration, loss: last.loss, dice: last.dice });
  return out;
}

/** The learning curve logged so far in a trial folder (none when there is no readable log). */
function curveSoFar(outDir: string): CurvePoint[] {
  const path = join(outDir, 'log.jsonl');
  return existsSync(path) ? downsampleCurve(new TrainLog(path).read()) : [];
}

/** The fields every record of a trial starts with: its parameters, id, protocol and score window. */
function recordBase(study: StudyConfig, id: string, parameters: TrialParameters) {
  return { ...parameters, id, protocol: STUDY_PROTOCOL, scoreWindow: Math.min(study.scoreWindow, parameters.iterations) };
}

/**
 * The record of a trial that failed (`status: 'failed'`, no score) or diverged (score 0) with `error`,
 * holding the curve logged so far. Also used by `runStudy` for a trial whose worker process died.
 */
export function unfinishedTrialRecord(
  studyDir: string,
  study: StudyConfig,
  id: string,
  parameters: TrialParameters,
  outcome: { status: 'failed' | 'diverged'; error: string; seconds: number },
): TrialRecord {
  return {
    ...recordBase(study, id, parameters),
    status: outcome.status,
    score: outcome.status === 'diverged' ? 0 : null,
    foregroundFraction: null,
    validationDice: null,
    testDice: null,
    curve: curveSoFar(trialDir(studyDir, id)),
    seconds: outcome.seconds,
    engine: '',
    error: outcome.error,
    finishedAt: new Date().toISOString(),
  };
}

/**
 * Runs one trial of a study in this thread: trains (or resumes an interrupted trial from its
 * checkpoint), writes its held-out test cases' label maps (`predictions/`, `writeHeldOutPredictions`),
 * then its record. A diverged trial (non-finite loss) is recorded with status
 * 'diverged' and score 0: the network stopped producing usable segmentations. Any other error is
 * recorded as 'failed' with a null score.
 */
export async function runTrial(studyDir: string, study: StudyConfig, id: string, parameters: TrialParameters): Promise<TrialRecord> {
  const outDir = trialDir(studyDir, id);
  const started = performance.now();
  const base = recordBase(study, id, parameters);
  let record: TrialRecord;
  try {
    // The cases are loaded once, for training and for the held-out predictions after it.
    const config = parseTrainingConfig(trialTrainingConfig(study, parameters));
    const data = await loadTrainingData(config);
    let result: TrainingResult | undefined;
    if (latestCheckpointDir(outDir) !== undefined) {
      result = await resume(outDir, { data });
      // A checkpoint at the last iteration (the worker died during the final validation or test) resumes
      // without drawing a patch, so the sampler has no foreground fractions to report: train again.
      if (!Number.isFinite(result.foregroundFraction.median)) result = undefined;
    }
    if (result === undefined) {
      clearTrialFolder(studyDir, id);
      result = await train(config, { outDir, data });
    }
    await writeHeldOutPredictions(outDir, config, data.test);
    record = {
      ...base,
      status: 'done',
      score: Number.isFinite(result.score) ? result.score : 0,
      foregroundFraction: result.foregroundFraction,
      validationDice: Number.isFinite(result.validationDice) ? result.validationDice : null,
      testDice: result.testDice.length ? result.testDice : null,
      curve: downsampleCurve(new TrainLog(join(outDir, 'log.jsonl')).read()),
      seconds: (performance.now() - started) / 1000,
      engine: result.engine,
      finishedAt: new Date().toISOString(),
    };
  } catch (err) {
    const status = err instanceof TrainingDivergedError ? 'diverged' : 'failed';
    const error = err instanceof Error ? err.message : String(err);
    record = unfinishedTrialRecord(studyDir, study, id, parameters, { status, error, seconds: (performance.now() - started) / 1000 });
  }
  // One event-loop turn first: a worker whose study was killed exits there (on 'disconnect') instead of
  // writing a record that the study, resumed meanwhile, may already be re-running.
  await new Promise<void>((resolveTurn) => setImmediate(resolveTurn));
  writeTrialRecord(studyDir, record);
  return record;
}
