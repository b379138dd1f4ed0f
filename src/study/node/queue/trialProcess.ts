import { TrialProcess } from '../runner.js';

/**
 * Runs one trial of the study folder `studyDir` in a fresh trial process (the local runner's
 * `TrialProcess`: `trialWorker` with `--single-threaded-gc`), so that a crash, a leak or an out-of-memory
 * kill takes only that trial down. Resolves when the trial wrote its record in `studyDir` (which may say
 * 'failed' or 'diverged': the trial ran and its training failed); rejects when the process dies without
 * one, with the cause (exit code or signal, last stderr lines). Aborting `signal` kills the process.
 */
export async function runTrialProcess(studyDir: string, id: string, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new Error(`trial ${id}: stopped (${String(signal.reason)})`);
  const child = new TrialProcess([]);
  const abort = (): void => child.kill();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const outcome = await child.run(studyDir, id);
    if (signal?.aborted) throw new Error(`trial ${id}: stopped (${String(signal.reason)})`);
    if (outcome.kind === 'crash') throw new Error(`trial ${id}: ${outcome.cause}`);
  } finally {
    signal?.removeEventListener('abort', abort);
    await child.stop();
  }
}
