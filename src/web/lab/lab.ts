/**
 * The page of `gendice lab` (bundled into lab.js by scripts/build-lab.mjs): reads the settings from the
 * form (filled from the URL query), trains both losses one step at a time on the engine `selectEngine`
 * picks (WebGPU, WebGL, else cpu), and redraws the curves and overlays between steps. The state is on
 * `globalThis.gendiceLab` for tests and the curious.
 */
import { selectEngine, tf } from '../../browser.js';
import { LOSS_NAMES } from '../../losses/registry.js';
import { drawCurves, drawOverlay, RUN_COLOURS } from './labDrawing.js';
import { LAB_FOREGROUND_LEVELS, LAB_NETWORKS, parseLabSettings, type LabSettings } from './labSettings.js';
import { LabExperiment, type LossRun, type ShownPhantom } from './labTraining.js';

export interface LabState {
  status: 'loading' | 'idle' | 'training' | 'done' | 'stopped' | 'error';
  error?: string;
  engine?: string;
  settings?: LabSettings;
  step: number;
  runs: LossRun[];
  shown?: ShownPhantom;
  /** Milliseconds of the last completed run. */
  ms?: number;
}

const state: LabState = { status: 'loading', step: 0, runs: [] };
(globalThis as { gendiceLab?: LabState }).gendiceLab = state;

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const form = byId<HTMLFormElement>('settings');
const statusLine = byId<HTMLDivElement>('status');
const stopButton = byId<HTMLButtonElement>('stop');
const trainButton = byId<HTMLButtonElement>('train');
let stopRequested = false;

function say(text: string, error = false): void {
  statusLine.textContent = text;
  statusLine.className = error ? 'error' : '';
}

function fillSelect(id: string, values: readonly (string | number)[], label: (v: string | number) => string = String): void {
  const select = byId<HTMLSelectElement>(id);
  for (const v of values) select.add(new Option(label(v), String(v)));
}

function fillForm(s: LabSettings): void {
  for (const [key, value] of Object.entries(s)) {
    const field = form.elements.namedItem(key) as HTMLInputElement | HTMLSelectElement | null;
    if (field === null) continue;
    if (field instanceof HTMLSelectElement && !Array.from(field.options).some((o) => o.value === String(value))) field.add(new Option(String(value), String(value)));
    field.value = String(value);
  }
}

function draw(experiment: LabExperiment): void {
  const { runs, shown, settings } = experiment;
  runs.forEach((run, i) => {
    const which = i === 0 ? 'A' : 'B';
    drawOverlay(byId(`overlay${which}`), shown.size, shown.image, run.prediction, shown.label);
    const last = run.dice[run.dice.length - 1];
    byId(`caption${which}`).textContent = `${run.loss}: held-out Dice ${last === undefined ? '–' : last.toFixed(3)}`;
  });
  const curves = (key: 'losses' | 'dice') => runs.map((r, i) => ({ label: r.loss, colour: RUN_COLOURS[i]!, values: r[key] }));
  drawCurves(byId('lossCurve'), 'training loss', curves('losses'), settings.steps);
  drawCurves(byId('diceCurve'), 'held-out Dice (lesion)', curves('dice'), settings.steps, [0, 1]);
}

async function run(settings: LabSettings): Promise<void> {
  state.status = 'training';
  state.settings = settings;
  state.step = 0;
  stopRequested = false;
  trainButton.disabled = true;
  stopButton.disabled = false;
  const experiment = new LabExperiment(settings);
  state.runs = experiment.runs;
  state.shown = experiment.shown;
  const t0 = performance.now();
  try {
    draw(experiment);
    while (experiment.step < settings.steps && !stopRequested) {
      await experiment.trainStep();
      state.step = experiment.step;
      draw(experiment);
      say(`step ${experiment.step}/${settings.steps} on ${state.engine}`);
      await tf.nextFrame();
    }
    state.ms = performance.now() - t0;
    state.status = stopRequested ? 'stopped' : 'done';
    say(`${state.status} after ${experiment.step} steps in ${(state.ms / 1000).toFixed(1)} s on ${state.engine}`);
  } finally {
    experiment.dispose();
    trainButton.disabled = false;
    stopButton.disabled = true;
  }
}

function fail(err: unknown): void {
  state.status = 'error';
  state.error = err instanceof Error ? err.message : String(err);
  say(state.error, true);
}

async function start(): Promise<void> {
  fillSelect('lossA', LOSS_NAMES);
  fillSelect('lossB', LOSS_NAMES);
  fillSelect('foreground', LAB_FOREGROUND_LEVELS, (v) => `${Number(v) * 100}%`);
  fillSelect('network', LAB_NETWORKS);
  const query = [...new URLSearchParams(location.search)];
  const initial = parseLabSettings(query);
  fillForm(initial);
  const info = await selectEngine({ quiet: true });
  state.engine = info.engine ?? info.backend;
  state.status = 'idle';
  say(`ready on the ${info.engine} engine (${info.reason})`);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const entries = Array.from(form.elements)
      .filter((e): e is HTMLInputElement | HTMLSelectElement => (e instanceof HTMLInputElement || e instanceof HTMLSelectElement) && e.name !== '')
      .map((e) => [e.name, e.value] as [string, string]);
    let settings: LabSettings;
    try {
      settings = parseLabSettings(entries);
    } catch (err) {
      fail(err);
      return;
    }
    run(settings).catch(fail);
  });
  stopButton.addEventListener('click', () => {
    stopRequested = true;
  });
  if (initial.autostart) await run(initial);
}

start().catch(fail);
