import { OptionError, formatValue, integer, numberList, oneOf } from '../common/options.js';
import { checkNetworkOptions, NETWORK_NAMES, networkInfo } from './registry.js';

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

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed model card and returns it typed. `source` names it in errors (the file's path or URL).
 * Every field is required: `network.name` one of the registry's networks, `network.options` options that
 * network's own checker accepts, `patchSize` as many positive integers as the network has dimensions,
 * `normalization` one of MODEL_CARD_NORMALIZATIONS, `classes` and `inputChannels` positive integers
 * (equal to `network.options.classes`/`inputChannels` where those are given), `loss` a non-empty string.
 * Fields it does not know are kept (a card written by a later gendice still reads). Every error is an
 * `OptionError` naming the source, the field and the value:
 * `parseModelCard: /m/gendice.json: normalization must be one of 'zscore', 'none'; got 'zscor' (did you mean 'zscore'?)`.
 */
export function parseModelCard(value: unknown, source: string = MODEL_CARD): ModelCard {
  const fn = `parseModelCard: ${source}`;
  if (!isRecord(value)) throw new OptionError(fn, 'the card', `must be a JSON object; got ${formatValue(value)}`);
  const { network, patchSize, normalization, classes, inputChannels, loss } = value;
  if (!isRecord(network)) throw new OptionError(fn, 'network', `must be an object { name, options }; got ${formatValue(network)}`);
  const name = oneOf(fn, 'network.name', network.name, NETWORK_NAMES);
  const options = network.options;
  if (!isRecord(options)) throw new OptionError(fn, 'network.options', `must be an object; got ${formatValue(options)}`);
  try {
    checkNetworkOptions(name, options);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    throw new OptionError(fn, `network.options.${err.option}`, err.problem, `${fn}: network.options: ${err.message}`);
  }
  const dims = networkInfo(name).dims;
  numberList(fn, 'patchSize', patchSize, { length: dims, integer: true, min: 1 });
  oneOf(fn, 'normalization', normalization, MODEL_CARD_NORMALIZATIONS);
  for (const [key, given] of [['classes', classes], ['inputChannels', inputChannels]] as const) {
    integer(fn, key, given, { min: 1 });
    if (options[key] !== undefined && options[key] !== given) {
      throw new OptionError(fn, key, `must equal network.options.${key} (${formatValue(options[key])}); got ${formatValue(given)}`);
    }
  }
  if (typeof loss !== 'string' || loss.length === 0) throw new OptionError(fn, 'loss', `must be a non-empty string; got ${formatValue(loss)}`);
  return value as unknown as ModelCard;
}

/** The card as gendice.json holds it: pretty-printed JSON with a final newline. */
export function modelCardJson(card: ModelCard): string {
  return `${JSON.stringify(card, null, 2)}\n`;
}
