import { closestName } from '../common/didYouMean.js';
import { NETWORK_NAMES } from './registry.js';

/** The intensity normalisations a model can have been trained with (applied again before inference). */
export const MODEL_CARD_NORMALIZATIONS = ['zscore', 'none'] as const;
export type ModelCardNormalization = (typeof MODEL_CARD_NORMALIZATIONS)[number];

/**
 * What gendice stores beside a trained model (`gendice.json` in the model folder) so that inference
 * can use the model alone: training writes it, `predictVolume`/`predictFiles` read it.
 */
export interface ModelCard {
  network: { name: string; options: Record<string, unknown> };
  /** The training patch size; the default inference window derives from it (`inferenceWindow`). */
  patchSize: number[];
  normalization: ModelCardNormalization;
  /** Output classes, background included. */
  classes: number;
  inputChannels: number;
  /** Registry name of the loss the model was trained with (informative). */
  loss: string;
}

/** The model card's file name in a model folder. */
export const MODEL_CARD = 'gendice.json';

function shown(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || value === undefined) return String(value);
  return JSON.stringify(value);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/**
 * Checks a parsed model card and returns it typed. `source` names it in errors (the file's path).
 * Every field is required: `network.name` one of the registry's networks, `network.options` an
 * object, `patchSize` 2 or 3 positive integers, `normalization` one of MODEL_CARD_NORMALIZATIONS,
 * `classes` and `inputChannels` positive integers, `loss` a non-empty string. Fields it does not
 * know are kept (a card written by a later gendice still reads). Errors name the field and the value:
 * `parseModelCard: /m/gendice.json: normalization must be one of 'zscore', 'none'; got 'zscor' (did you mean 'zscore'?)`.
 */
export function parseModelCard(value: unknown, source: string = MODEL_CARD): ModelCard {
  const fail = (field: string, rule: string, got: unknown, names?: readonly string[]): never => {
    const near = names !== undefined && typeof got === 'string' ? closestName(got, names) : undefined;
    throw new Error(`parseModelCard: ${source}: ${field} must be ${rule}; got ${shown(got)}${near === undefined ? '' : ` (did you mean '${near}'?)`}`);
  };
  const oneOf = (names: readonly string[]): string => `one of ${names.map((n) => `'${n}'`).join(', ')}`;
  if (!isRecord(value)) return fail('the card', 'a JSON object', value);
  const { network, patchSize, normalization, classes, inputChannels, loss } = value;
  if (!isRecord(network)) return fail('network', 'an object { name, options }', network);
  if (typeof network.name !== 'string' || !(NETWORK_NAMES as readonly string[]).includes(network.name)) fail('network.name', oneOf(NETWORK_NAMES), network.name, NETWORK_NAMES);
  if (!isRecord(network.options)) fail('network.options', 'an object', network.options);
  if (!Array.isArray(patchSize) || (patchSize.length !== 2 && patchSize.length !== 3) || !patchSize.every(isPositiveInteger)) {
    fail('patchSize', '2 or 3 positive integers', patchSize);
  }
  if (typeof normalization !== 'string' || !(MODEL_CARD_NORMALIZATIONS as readonly string[]).includes(normalization)) {
    fail('normalization', oneOf(MODEL_CARD_NORMALIZATIONS), normalization, MODEL_CARD_NORMALIZATIONS);
  }
  if (!isPositiveInteger(classes)) fail('classes', 'a positive integer', classes);
  if (!isPositiveInteger(inputChannels)) fail('inputChannels', 'a positive integer', inputChannels);
  if (typeof loss !== 'string' || loss.length === 0) fail('loss', 'a non-empty string', loss);
  return value as unknown as ModelCard;
}

/** The card as gendice.json holds it: pretty-printed JSON with a final newline. */
export function modelCardJson(card: ModelCard): string {
  return `${JSON.stringify(card, null, 2)}\n`;
}
