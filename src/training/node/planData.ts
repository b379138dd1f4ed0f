import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plan } from '../../data/plan.js';
import { preprocessingFromPlan, preprocessToTarget, type TargetPreprocessing } from '../../data/targetPreprocessing.js';
import type { Volume } from '../../data/volume.js';
import type { ModelCardNormalization } from '../../networks/modelCard.js';
import { checkNetworkOptions } from '../../networks/registry.js';

/** Reads a `plan.json` written by `gendice plan`; names the file and the first missing field. */
export function readPlanFile(path: string): Plan {
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(path, 'utf8')) as Plan;
  } catch (err) {
    throw new Error(`readPlanFile: cannot read the plan ${path} (${err instanceof Error ? err.message : String(err)})`);
  }
  for (const field of ['targetSpacing', 'patchSize', 'batchSize', 'normalization', 'resampling', 'network'] as const) {
    if (plan?.[field] === undefined) throw new Error(`readPlanFile: ${path} is not a gendice plan (no '${field}')`);
  }
  if (plan.version !== 1) throw new Error(`readPlanFile: ${path}: plan version must be 1; got ${String(plan.version)}`);
  return plan;
}

/**
 * A case as the plan prepares it for training: RAS and the plan's target spacing (`toTargetGrid`:
 * images cubic, labels linear on one-hot masks, the thick-slice axis nearest), then every channel
 * normalised with the plan's scheme (CT with the plan's dataset statistics).
 */
export function planCase(image: Volume, label: Volume, plan: Plan): { image: Volume; label: Volume } {
  const grid = preprocessToTarget(image, label, preprocessingFromPlan(plan));
  return { image: grid.image, label: grid.label! };
}

/**
 * Completes a raw training configuration from a plan: `plan` (absolute path), and `patchSize`,
 * `batchSize` and the network's `depth`, `baseFilters`, `strides`, `convKernels` where the config does
 * not set them. A field the config sets wins; each such case is returned as a note.
 * `acceptsNetworkOption(key, value)` says whether the network takes an option (strides and
 * kernels per axis are left out with a note when it refuses them).
 */
export function applyPlan(
  raw: Record<string, unknown>,
  planPath: string,
  plan: Plan,
  acceptsNetworkOption: (name: string, options: Record<string, unknown>) => boolean,
): { config: Record<string, unknown>; notes: string[] } {
  const notes: string[] = [];
  const config: Record<string, unknown> = { ...raw, plan: resolve(planPath) };
  const fill = (key: 'patchSize' | 'batchSize', value: unknown): void => {
    if (config[key] === undefined) config[key] = value;
    else if (JSON.stringify(config[key]) !== JSON.stringify(value)) notes.push(`${key}: the config's ${JSON.stringify(config[key])} wins over the plan's ${JSON.stringify(value)}`);
  };
  fill('patchSize', plan.patchSize);
  fill('batchSize', plan.batchSize);
  const network = (config.network ?? { name: plan.network.name }) as { name: string; options?: Record<string, unknown> };
  const options: Record<string, unknown> = { ...(network.options ?? {}) };
  if (network.name === plan.network.name) {
    const planned: Record<string, unknown> = {
      depth: plan.network.depth,
      baseFilters: plan.network.baseFilters,
      strides: plan.network.strides,
      convKernels: plan.network.convKernels,
    };
    for (const [key, value] of Object.entries(planned)) {
      if (options[key] !== undefined) {
        if (JSON.stringify(options[key]) !== JSON.stringify(value)) notes.push(`network.options.${key}: the config's ${JSON.stringify(options[key])} wins over the plan's ${JSON.stringify(value)}`);
        continue;
      }
      const trial = { ...options, [key]: value };
      if (acceptsNetworkOption(network.name, trial)) options[key] = value;
      else notes.push(`network.options.${key}: ${network.name} does not accept the plan's ${JSON.stringify(value)}; left out`);
    }
  } else {
    notes.push(`network: the config's ${network.name} wins over the plan's ${plan.network.name}; the plan's network settings are not used`);
  }
  config.network = { ...network, options };
  return { config, notes };
}

/**
 * The model card fields of a run trained from a plan: `preprocessing` (target spacing, resampling,
 * normalisation per channel with CT statistics, label set), and `normalization: 'none'` because the
 * card's per-image z-score is replaced by it. Nothing for a run without a plan.
 */
export function planCardFields(planPath: string | undefined, normalization: ModelCardNormalization): { preprocessing?: TargetPreprocessing; normalization: ModelCardNormalization } {
  return planPath === undefined ? { normalization } : { preprocessing: preprocessingFromPlan(readPlanFile(planPath)), normalization: 'none' };
}

/** Whether the network takes these options as gendice trains it (logits out); for `applyPlan`. */
export function networkAcceptsOptions(name: string, options: Record<string, unknown>): boolean {
  try {
    checkNetworkOptions(name, { outputActivation: 'none', ...options });
    return true;
  } catch {
    return false;
  }
}
