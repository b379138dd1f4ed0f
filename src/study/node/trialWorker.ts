/**
 * A study worker process: receives `{ studyDir, id }` messages, runs that trial, answers with its record.
 * Forked by `runStudy` with `--single-threaded-gc`; it owns its own TF.js instance and engine. It exits
 * when the study process goes away (at the trial's next await, e.g. its next checkpoint). Whatever kills
 * it (a signal, running out of memory, an uncaught error) costs only its trial: `runStudy` retries it.
 */
import { expandGrid } from '../grid.js';
import { readStudyConfigFile } from './store.js';
import { runTrial } from './trial.js';
import type { TrialRecord } from '../types.js';

type Reply = { ok: true; record: TrialRecord } | { ok: false; id: string; error: string };

const send = process.send?.bind(process);
if (send === undefined) throw new Error('trialWorker: must run as a child process with an IPC channel (forked by runStudy)');
process.on('disconnect', () => process.exit(0));
process.on('message', (message: { studyDir: string; id: string }) => {
  void (async () => {
    let reply: Reply;
    try {
      const config = readStudyConfigFile(message.studyDir, 'trialWorker');
      const trial = expandGrid(config).find((t) => t.id === message.id);
      if (trial === undefined) throw new Error(`trialWorker: trial '${message.id}' is not in the study's grid`);
      reply = { ok: true, record: await runTrial(message.studyDir, config, trial.id, trial.parameters) };
    } catch (err) {
      reply = { ok: false, id: message.id, error: err instanceof Error ? err.message : String(err) };
    }
    send(reply);
  })();
});
