import * as tf from '@tensorflow/tfjs';

/** A kernel function as TF.js calls it: named inputs, the backend object, the op's attributes. */
export type KernelFunction = tf.KernelFunc;
/** The one argument of a kernel function: `{ inputs, backend, attrs }`. */
export type KernelArgs = Parameters<KernelFunction>[0];

/** Where a replaced kernel comes from, as listed by `engineInfo().replacedKernels`. */
export type KernelSource = 'oneDNN' | 'js' | 'wasm-composed';

/** One kernel that the engine registered in place of TF.js's own. */
export interface ReplacedKernel {
  kernelName: string;
  backendName: string;
  source: KernelSource;
}

interface Replacement extends ReplacedKernel {
  original: tf.KernelConfig | undefined;
}

const replacements = new Map<string, Replacement>();

const key = (kernelName: string, backendName: string): string => `${kernelName}@${backendName}`;

/**
 * Registers `make(original)` as `kernelName` on `backendName`, remembering TF.js's kernel so that
 * `restoreKernels()` can put it back and the replacement can delegate cases it does not handle.
 * The original's setupFunc is kept: wasm kernels bind their native functions there.
 */
export function replaceKernel(
  kernelName: string,
  backendName: string,
  source: KernelSource,
  make: (original: KernelFunction | undefined) => KernelFunction,
): void {
  const k = key(kernelName, backendName);
  const previous = replacements.get(k);
  const original = previous !== undefined ? previous.original : tf.getKernel(kernelName, backendName);
  if (previous !== undefined || original !== undefined) tf.unregisterKernel(kernelName, backendName);
  const config: tf.KernelConfig = { kernelName, backendName, kernelFunc: make(original?.kernelFunc) };
  if (original?.setupFunc !== undefined) config.setupFunc = original.setupFunc;
  tf.registerKernel(config);
  replacements.set(k, { kernelName, backendName, source, original });
}

/** Puts TF.js's own kernels back (or leaves the name unregistered where TF.js had none). */
export function restoreKernels(): void {
  for (const r of replacements.values()) {
    tf.unregisterKernel(r.kernelName, r.backendName);
    if (r.original !== undefined) tf.registerKernel(r.original);
  }
  replacements.clear();
}

/** The kernels currently replaced, sorted by backend then name. */
export function replacedKernels(): ReplacedKernel[] {
  return [...replacements.values()]
    .map(({ kernelName, backendName, source }) => ({ kernelName, backendName, source }))
    .sort((a, b) => a.backendName.localeCompare(b.backendName) || a.kernelName.localeCompare(b.kernelName));
}

/** Throws a named error when a kernel meets a case it cannot delegate. */
export function callOriginal(
  name: string,
  original: KernelFunction | undefined,
  args: KernelArgs,
): ReturnType<KernelFunction> {
  if (original === undefined) throw new Error(`${name}: case not supported by the engine and TF.js has no kernel to fall back to`);
  return original(args);
}
