import { aggregate } from './aggregate.js';
import type { Aggregate } from './aggregate.js';
import { oneOf } from '../common/options.js';
import { confusionCounts } from './confusionCounts.js';
import { normalizePair } from './maskPair.js';
import { checkOptionKeys, EMPTY_POLICIES, resolveSpacing } from './metricOptions.js';
import type { ConfusionCounts } from './confusionCounts.js';
import type { MaskInput } from './maskInput.js';
import type { EmptyPolicy, MaskOptions, SpacingOptions } from './metricOptions.js';
import type { Binarization, MetricResult } from './metricResult.js';
import { confusionMetricsFromCountTable } from './confusionMetrics.js';
import type { ConfusionMetricName } from './confusionMetrics.js';
import { diceFromCounts } from './dice.js';
import { GDS_WEIGHT_TYPES, generalizedDiceFromCounts } from './generalizedDiceScore.js';
import type { GdsWeightType } from './generalizedDiceScore.js';
import { jaccardFromCounts } from './jaccard.js';

/** Any metric function of this module that returns a {@link MetricResult}. */
export type MetricFunction<O> = (prediction: MaskInput, reference: MaskInput, options: O) => MetricResult;

/**
 * Streams any per-image metric over batches of whole images, keeping only the numbers:
 * `update` computes the batch's `[B][C]` values, `values()` returns all rows seen, `aggregate()` their
 * aggregation (equal to aggregating the one-shot result on the concatenated batches).
 */
export class MetricAccumulator<O> {
  private readonly rows: number[][] = [];
  private classes: number[] | undefined;
  private metric: string | undefined;

  constructor(
    private readonly metricFunction: MetricFunction<O>,
    private readonly options: O,
  ) {
    if (typeof metricFunction !== 'function') throw new Error(`MetricAccumulator: metricFunction must be a metric function, got ${String(metricFunction)}`);
  }

  /** Adds a batch of whole images; returns that batch's result. */
  update(prediction: MaskInput, reference: MaskInput): MetricResult {
    const result = this.metricFunction(prediction, reference, this.options);
    if (this.classes === undefined) {
      this.classes = [...result.classes];
      this.metric = result.metric;
    } else if (result.classes.join(',') !== this.classes.join(',')) {
      throw new Error(`MetricAccumulator: ${result.metric} scored classes [${result.classes.join(',')}] but earlier batches [${this.classes.join(',')}]; set numClasses`);
    }
    for (const row of result.values) this.rows.push([...row]);
    return result;
  }

  /** Number of images seen. */
  get count(): number {
    return this.rows.length;
  }

  values(): number[][] {
    return this.rows.map((r) => [...r]);
  }

  aggregate(): Aggregate {
    const out = aggregate(this.rows, this.classes ?? []);
    if (this.metric !== undefined) out.metric = this.metric;
    return out;
  }

  reset(): void {
    this.rows.length = 0;
    this.classes = undefined;
  }
}

export interface CountAccumulatorOptions extends MaskOptions, SpacingOptions {
  /** Weights of the generalised Dice score. Default 'square'. */
  weightType?: GdsWeightType;
}

/** Everything a {@link CountAccumulator} can tell from counts, per image and in aggregate. */
export interface CountAccumulatorResult {
  imageIds: string[];
  classes: number[];
  binarizations: Binarization[];
  emptyPolicy: EmptyPolicy;
  /** Counts per image and scored class. */
  counts: ConfusionCounts[][];
  dice: number[][];
  jaccard: number[][];
  /** One value per image. */
  generalizedDiceScore: number[][];
  confusion: Record<ConfusionMetricName, number[][]>;
  /** Counts summed over all images first, per class. */
  micro: Record<ConfusionMetricName | 'dice' | 'jaccard', number[]>;
  aggregates: { dice: Aggregate; jaccard: Aggregate; generalizedDiceScore: Aggregate };
}

interface ImageCounts {
  voxels: number;
  tp: number[];
  fp: number[];
  fn: number[];
}

/**
 * Streams the count-based metrics (Dice, Jaccard, generalised Dice score, confusion metrics) over
 * images, batches or patches, keeping only per-image, per-class counts. Patches of one image share an
 * image id and their counts add up, so the result equals the one-shot computation on whole images exactly.
 */
export class CountAccumulator {
  private readonly images = new Map<string, ImageCounts>();
  private readonly binarizations = new Set<Binarization>();
  private numClasses = 0;
  private nextId = 0;
  private rank = 0;
  private readonly emptyPolicy: EmptyPolicy;
  private readonly weightType: GdsWeightType;

  constructor(private readonly options: CountAccumulatorOptions = {}) {
    checkOptionKeys('CountAccumulator', options, ['spacing', 'weightType']);
    this.emptyPolicy = oneOf('CountAccumulator', 'emptyPolicy', options.emptyPolicy ?? 'nan', EMPTY_POLICIES);
    this.weightType = oneOf('CountAccumulator', 'weightType', options.weightType ?? 'square', GDS_WEIGHT_TYPES);
  }

  /**
   * Adds a batch. `imageIds[b]` names the image that batch row b belongs to (a patch adds to the image's
   * counts); without ids each row is a new image.
   */
  update(prediction: MaskInput, reference: MaskInput, meta: { imageIds?: readonly string[] } = {}): void {
    const { weightType: _w, spacing: _s, ...maskOptions } = this.options;
    const pair = normalizePair('CountAccumulator', prediction, reference, maskOptions, true);
    if (this.options.spacing !== undefined) resolveSpacing('CountAccumulator', this.options.spacing, pair.spatial, pair.shape);
    if (meta.imageIds !== undefined && meta.imageIds.length !== pair.batch) {
      throw new Error(`CountAccumulator: ${meta.imageIds.length} image ids for a batch of ${pair.batch}`);
    }
    if (this.rank !== 0 && this.rank !== pair.spatial.length) {
      throw new Error(`CountAccumulator: a ${pair.spatial.length}D batch after ${this.rank}D ones`);
    }
    this.rank = pair.spatial.length;
    this.binarizations.add(pair.binarization);
    this.numClasses = Math.max(this.numClasses, pair.numClasses);
    const counts = confusionCounts(pair);
    counts.forEach((row, b) => {
      const id = meta.imageIds?.[b] ?? `image-${this.nextId++}`;
      let image = this.images.get(id);
      if (image === undefined) {
        image = { voxels: 0, tp: [], fp: [], fn: [] };
        this.images.set(id, image);
      }
      image.voxels += pair.voxels;
      row.forEach((k, c) => {
        image.tp[c] = (image.tp[c] ?? 0) + k.tp;
        image.fp[c] = (image.fp[c] ?? 0) + k.fp;
        image.fn[c] = (image.fn[c] ?? 0) + k.fn;
      });
    });
  }

  /** Number of distinct images seen. */
  get count(): number {
    return this.images.size;
  }

  result(): CountAccumulatorResult {
    const includeBackground = this.options.includeBackground ?? true;
    const numClasses = this.options.numClasses ?? this.numClasses;
    const classes: number[] = [];
    for (let c = includeBackground ? 0 : 1; c < numClasses; c++) classes.push(c);
    const imageIds = [...this.images.keys()];
    const counts = [...this.images.values()].map((im) =>
      classes.map((c) => {
        const tp = im.tp[c] ?? 0;
        const fp = im.fp[c] ?? 0;
        const fn = im.fn[c] ?? 0;
        return { tp, fp, fn, tn: im.voxels - tp - fp - fn };
      }),
    );
    const policy = this.emptyPolicy;
    const dice = counts.map((row) => row.map((k) => diceFromCounts(k.tp, k.tp + k.fp, k.tp + k.fn, policy)));
    const jaccard = counts.map((row) => row.map((k) => jaccardFromCounts(k.tp, k.tp + k.fp, k.tp + k.fn, policy)));
    const generalizedDiceScore = counts.map((row) => [generalizedDiceFromCounts(row, this.weightType)]);
    const voxelVolume = this.voxelVolume();
    const { values: confusion, micro: confusionMicro } = confusionMetricsFromCountTable(counts, classes.length, voxelVolume, policy);
    const sums = classes.map((_, j) => {
      const s = { tp: 0, fp: 0, fn: 0 };
      for (const row of counts) {
        s.tp += row[j]!.tp;
        s.fp += row[j]!.fp;
        s.fn += row[j]!.fn;
      }
      return s;
    });
    const micro = {
      ...confusionMicro,
      dice: sums.map((s) => diceFromCounts(s.tp, s.tp + s.fp, s.tp + s.fn, policy)),
      jaccard: sums.map((s) => jaccardFromCounts(s.tp, s.tp + s.fp, s.tp + s.fn, policy)),
    };
    const named = (metric: string, a: Aggregate): Aggregate => ({ ...a, metric });
    return {
      imageIds,
      classes,
      binarizations: [...this.binarizations],
      emptyPolicy: policy,
      counts,
      dice,
      jaccard,
      generalizedDiceScore,
      confusion,
      micro,
      aggregates: {
        dice: named('dice', aggregate(dice, classes)),
        jaccard: named('jaccard', aggregate(jaccard, classes)),
        generalizedDiceScore: named('generalizedDiceScore', aggregate(generalizedDiceScore, [-1])),
      },
    };
  }

  reset(): void {
    this.images.clear();
    this.binarizations.clear();
    this.numClasses = 0;
    this.nextId = 0;
    this.rank = 0;
  }

  private voxelVolume(): number {
    const s = this.options.spacing;
    if (s === undefined) return 1;
    if (typeof s === 'number') return s ** this.rank;
    return s.reduce((a, b) => a * b, 1);
  }
}
