/**
 * The lab's settings: two losses, the imbalance level, the network, the phantom size and the training
 * length. They come from the page's form or its URL query (`?lossA=gdl&lossB=dl2&foreground=0.01&autostart=1`),
 * and are checked with the options vocabulary, so a bad value is named (`lab: lossA must be one of ...`).
 */
import { finiteNumber, integer, type NumberRange, OptionError, oneOf } from '../../common/options.js';
import { LOSS_NAMES, type LossName } from '../../losses/registry.js';

/** The networks the lab trains: small 2D settings that train in a minute in a software-rendered browser. */
export const LAB_NETWORKS = ['unet2d', 'unet2d-small', 'twoPathCnn'] as const;
export type LabNetwork = (typeof LAB_NETWORKS)[number];

/** The imbalance levels offered in the form (share of lesion pixels). */
export const LAB_FOREGROUND_LEVELS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2] as const;

export interface LabSettings {
  lossA: LossName;
  lossB: LossName;
  /** Share of lesion pixels of every phantom, in [0.005, 0.5]. */
  foreground: number;
  network: LabNetwork;
  /** Side of the square phantoms. */
  size: number;
  /** Training phantoms (one batch); a further phantom is held out and shown. */
  cases: number;
  /** Optimiser steps per loss. */
  steps: number;
  learningRate: number;
  seed: number;
  /** Start training when the page has loaded. */
  autostart: boolean;
}

export const DEFAULT_LAB_SETTINGS: LabSettings = {
  lossA: 'gdl',
  lossB: 'dl2',
  foreground: 0.01,
  network: 'unet2d',
  size: 64,
  cases: 4,
  steps: 150,
  learningRate: 0.01,
  seed: 1,
  autostart: false,
};

/** The range of each number setting. */
const NUMBER_RULES = {
  foreground: { min: 0.005, max: 0.5 },
  size: { min: 16, max: 128 },
  cases: { min: 1, max: 16, integer: true },
  steps: { min: 1, max: 5000, integer: true },
  learningRate: { min: 1e-6, max: 1 },
  seed: { min: 0, max: 2 ** 31 - 1, integer: true },
} as const satisfies Record<string, NumberRange>;

const KEYS = Object.keys(DEFAULT_LAB_SETTINGS) as (keyof LabSettings)[];

/**
 * Settings from text values (a URL query or form fields); absent keys keep their defaults, unknown keys
 * and bad values throw an `OptionError` naming the key and the value.
 */
export function parseLabSettings(values: Iterable<[string, string]>): LabSettings {
  const fn = 'lab';
  const s: LabSettings = { ...DEFAULT_LAB_SETTINGS };
  for (const [key, text] of values) {
    const k = oneOf(fn, 'setting', key, KEYS);
    const n = text.trim() === '' ? Number.NaN : Number(text);
    switch (k) {
      case 'lossA':
      case 'lossB':
        s[k] = oneOf(fn, k, text, LOSS_NAMES);
        break;
      case 'network':
        s.network = oneOf(fn, k, text, LAB_NETWORKS);
        break;
      case 'size':
        s.size = integer(fn, k, n, NUMBER_RULES.size);
        if (s.size % 8 !== 0) throw new OptionError(fn, k, `must be a multiple of 8; got ${s.size}`);
        break;
      case 'foreground':
      case 'cases':
      case 'steps':
      case 'learningRate':
      case 'seed':
        s[k] = finiteNumber(fn, k, n, NUMBER_RULES[k]);
        break;
      case 'autostart':
        s.autostart = text === '1' || text === 'true';
        break;
    }
  }
  return s;
}
