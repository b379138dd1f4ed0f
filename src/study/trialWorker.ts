/**
 * A study worker thread: receives `{ studyDir, id }` messages, runs that trial, answers with its
 * record. Started by `runStudy`; it owns its own TF.js instance and engine.
 */
import { parentPort } from 'node:worker_threads';
import { expandGrid } from './grid.js';
import { readStudy } from './store.js';
import { runTrial } from './trial.js';

if (parentPort === null) throw new Error('trialWorker: must run as a worker thread (started by runStudy)');
const port = parentPort;
port.on('message', (message: { studyDir: string; id: string }) => {
  void (async () => {
    try {
      const { config } = readStudy(message.studyDir);
      const trial = expandGrid(config).find((t) => t.id === message.id);
      if (trial === undefined) throw new Error(`trialWorker: trial '${message.id}' is not in the study's grid`);
      const record = await runTrial(message.studyDir, config, trial.id, trial.parameters);
      port.postMessage({ ok: true, record });
    } catch (err) {
      port.postMessage({ ok: false, id: message.id, error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
