import { startWorker } from '../../runner.js';
import type { TrialRecord } from '../../types.js';

type Reply = { ok: true; record: TrialRecord } | { ok: false; id: string; error: string };

/**
 * Runs one trial of the study folder `studyDir` in a fresh trial process (the local runner's
 * `trialWorker`, with `--single-threaded-gc`), so that a crash, a leak or an out-of-memory kill takes
 * only that trial down. Resolves with the trial's record (which may say 'failed' or 'diverged': the
 * trial ran and its training failed); rejects when the process exits without one, naming the exit
 * code or signal. Aborting `signal` kills the process.
 */
export function runTrialProcess(studyDir: string, id: string, signal?: AbortSignal): Promise<TrialRecord> {
  return new Promise((resolveTrial, rejectTrial) => {
    const child = startWorker();
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      outcome();
    };
    const abort = (): void => {
      child.kill('SIGKILL');
      settle(() => rejectTrial(new Error(`trial ${id}: stopped (${String(signal?.reason ?? 'aborted')})`)));
    };
    if (signal?.aborted) {
      abort();
      return;
    }
    signal?.addEventListener('abort', abort, { once: true });
    child.on('message', (m: Reply) => {
      settle(() => (m.ok ? resolveTrial(m.record) : rejectTrial(new Error(`trial ${id} could not run: ${m.error}`))));
      if (child.connected) child.disconnect();
    });
    child.on('error', (err) => settle(() => rejectTrial(new Error(`trial ${id}: trial process failed: ${err.message}`))));
    child.on('exit', (code, exitSignal) =>
      settle(() => rejectTrial(new Error(`trial ${id}: trial process exited with ${code !== null ? `code ${code}` : `signal ${String(exitSignal)}`} before recording it`))),
    );
    child.send({ studyDir, id });
  });
}
