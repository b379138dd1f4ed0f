/**
 * Output arrays for kernels that write every element of their output, and their reuse after TF.js
 * disposes the tensors that held them.
 *
 * `new Float32Array(n)` zero-fills: for the 540 MB of outputs of one 2D U-Net training step that is a
 * single-threaded memset of every byte before the kernel overwrites it (calloc must clear memory it reuses
 * from the heap). In Node, `Buffer.allocUnsafeSlow` takes the same malloc'd memory without clearing it.
 * Only a kernel that provably writes all of its output may take such an array: a missed element would be
 * whatever the memory held before, and results would stop being reproducible. Elsewhere (a browser, or a
 * runtime without Buffer) this is an ordinary zeroed Float32Array.
 *
 * **The pool** (`installOutputPool(backend)`, the native engine installs it on TF.js's cpu backend). Every
 * new ArrayBuffer counts as external memory for V8, and V8 runs a full garbage collection whenever enough
 * of it accumulates: about 7 mark-compacts per 2D U-Net step, 20 ms. With the pool, the buffer of an array
 * this module handed out goes back to the pool when the last tensor that holds it (or a view of it) is
 * disposed, and the next request of the same byte length gets it again: a training loop stops allocating
 * after its first steps. A buffer is never reused once anything outside the kernels may hold it:
 * `readSync`/`read` (so `dataSync()`, `data()`, `array()`, `bufferSync()`, moving a tensor to another
 * backend) mark it as escaped. Tensors are tracked through the backend's data storage, so a view of a
 * buffer that another kernel stores as its output (TF.js's simple `Slice` makes such subarrays) keeps it in
 * use too. Idle buffers are capped at `GENDICE_OUTPUT_POOL_MB` MiB (default 1024; the least recently freed go first);
 * a tensor that is never disposed simply leaves its buffer to V8's collector, as before.
 *
 * `GENDICE_POISON_OUTPUTS=1` in the environment fills every such array (fresh or reused) with NaN, so that a
 * kernel that misses an element shows it in any test that compares its output (`npm run test:poison` runs
 * the engine suite so).
 */

interface BufferLike {
  allocUnsafeSlow(size: number): Uint8Array;
}

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
const nodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
const poison = env?.GENDICE_POISON_OUTPUTS === '1';
const unsafeSlow = typeof nodeBuffer?.allocUnsafeSlow === 'function' ? nodeBuffer.allocUnsafeSlow.bind(nodeBuffer) : undefined;

/** Below this many bytes a zeroed array costs no more (V8 allocates small arrays on its own heap). */
const MIN_UNINITIALISED_BYTES = 1 << 16;

/** `GENDICE_OUTPUT_POOL_MB`: the cap on idle pooled bytes, in MiB (0 switches the pool off; default 1024). */
export const OUTPUT_POOL_ENV = 'GENDICE_OUTPUT_POOL_MB';

function idleCap(): number {
  if (outputArrayTuning.maxIdleBytes !== undefined) return outputArrayTuning.maxIdleBytes;
  const text = env?.[OUTPUT_POOL_ENV]?.trim();
  if (text === undefined || text === '') return 1024 * 2 ** 20;
  const mb = Number(text);
  if (!Number.isFinite(mb) || mb < 0) throw new Error(`installOutputPool: ${OUTPUT_POOL_ENV} must be a number of MiB ≥ 0, got '${env?.[OUTPUT_POOL_ENV]}'`);
  return Math.floor(mb * 2 ** 20);
}

/**
 * Switches for benchmarks and tests in one process: `uninitialised` (on by default; off gives zeroed
 * arrays and no reuse), `maxIdleBytes` (idle pooled bytes at most; undefined: `GENDICE_OUTPUT_POOL_MB`,
 * read when the pool is installed).
 */
export const outputArrayTuning: { uninitialised: boolean; maxIdleBytes: number | undefined } = { uninitialised: true, maxIdleBytes: undefined };

/** Whether arrays of this many bytes come uninitialised from Buffer (and so from the pool, where installed). */
const unpooled = (bytes: number): boolean => unsafeSlow === undefined || !outputArrayTuning.uninitialised || bytes < MIN_UNINITIALISED_BYTES;

/** An idle pooled buffer of `n` floats, else a fresh uninitialised one (tracked by the pool, where installed). */
function reusedOrFresh(n: number): Float32Array {
  const reused = pool?.take(n * 4);
  if (reused !== undefined) return new Float32Array(reused);
  const b = unsafeSlow!(n * 4);
  const a = new Float32Array(b.buffer, b.byteOffset, n);
  pool?.track(a.buffer);
  return a;
}

/** A float32 array of `n` elements whose contents are unspecified (zero outside Node): the caller must write every element. */
export function uninitialisedFloat32(n: number): Float32Array {
  const a = unpooled(n * 4) ? new Float32Array(n) : reusedOrFresh(n);
  return poison ? a.fill(Number.NaN) : a;
}

/**
 * A zero-filled float32 array of `n` elements for kernels that accumulate into their output: from the pool
 * (cleared) where it is installed, an ordinary Float32Array elsewhere.
 */
export function zeroedFloat32(n: number): Float32Array {
  return pool === undefined || unpooled(n * 4) ? new Float32Array(n) : reusedOrFresh(n).fill(0);
}

/** The part of TF.js's cpu backend the pool hooks: its data storage and its reads. */
export interface PoolableBackend {
  data: {
    has(dataId: object): boolean;
    get(dataId: object): { values?: unknown } | undefined;
    set(dataId: object, value: { values?: unknown }): void;
    delete(dataId: object): boolean;
  };
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
}

/** What the pool holds and has handed out, for tests and benchmarks. */
export interface OutputPoolStatistics {
  installed: boolean;
  /** Arrays handed out from idle buffers. */
  reused: number;
  /** Arrays handed out as fresh buffers (tracked). */
  fresh: number;
  /** Buffers that went back to the pool on disposal. */
  returned: number;
  /** Buffers not reused because a read let them escape. */
  escaped: number;
  idleBuffers: number;
  idleBytes: number;
}

interface Use {
  /** Data-storage entries whose values are this buffer or a view of it. */
  refs: number;
  escaped: boolean;
}

class OutputPool {
  private readonly uses = new WeakMap<ArrayBufferLike, Use>();
  /** Idle buffers by byte length, and all of them in the order they were freed (the oldest go first). */
  private readonly bySize = new Map<number, ArrayBuffer[]>();
  private readonly order = new Set<ArrayBuffer>();
  private idleBytes = 0;
  readonly counts = { reused: 0, fresh: 0, returned: 0, escaped: 0 };

  constructor(private readonly cap: number) {}

  track(buffer: ArrayBufferLike): void {
    this.uses.set(buffer, { refs: 0, escaped: false });
    this.counts.fresh++;
  }

  take(bytes: number): ArrayBuffer | undefined {
    const list = this.bySize.get(bytes);
    const buffer = list?.pop();
    if (buffer === undefined) return undefined;
    if (list!.length === 0) this.bySize.delete(bytes);
    this.order.delete(buffer);
    this.idleBytes -= bytes;
    this.uses.set(buffer, { refs: 0, escaped: false });
    this.counts.reused++;
    return buffer;
  }

  ref(values: unknown): void {
    const use = this.useOf(values);
    if (use !== undefined) use.refs++;
  }

  unref(values: unknown): void {
    const buffer = bufferOf(values);
    const use = buffer && this.uses.get(buffer);
    if (use === undefined || --use.refs > 0) return;
    this.uses.delete(buffer!);
    if (use.escaped) {
      this.counts.escaped++;
      return;
    }
    this.give(buffer as ArrayBuffer);
  }

  escape(values: unknown): void {
    const use = this.useOf(values);
    if (use !== undefined) use.escaped = true;
  }

  clear(): void {
    this.bySize.clear();
    this.order.clear();
    this.idleBytes = 0;
  }

  statistics(): Omit<OutputPoolStatistics, 'installed'> {
    return { ...this.counts, idleBuffers: this.order.size, idleBytes: this.idleBytes };
  }

  private useOf(values: unknown): Use | undefined {
    const buffer = bufferOf(values);
    return buffer === undefined ? undefined : this.uses.get(buffer);
  }

  private give(buffer: ArrayBuffer): void {
    const cap = this.cap;
    if (buffer.byteLength > cap) return;
    while (this.idleBytes + buffer.byteLength > cap) {
      const oldest = this.order.values().next().value as ArrayBuffer;
      this.order.delete(oldest);
      const list = this.bySize.get(oldest.byteLength)!;
      list.splice(list.indexOf(oldest), 1);
      if (list.length === 0) this.bySize.delete(oldest.byteLength);
      this.idleBytes -= oldest.byteLength;
    }
    const list = this.bySize.get(buffer.byteLength);
    if (list === undefined) this.bySize.set(buffer.byteLength, [buffer]);
    else list.push(buffer);
    this.order.add(buffer);
    this.idleBytes += buffer.byteLength;
    this.counts.returned++;
  }
}

function bufferOf(values: unknown): ArrayBufferLike | undefined {
  return ArrayBuffer.isView(values) ? values.buffer : undefined;
}

let pool: OutputPool | undefined;
let uninstall: (() => void) | undefined;

/**
 * Reuses this module's arrays on `backend` (TF.js's cpu backend) after their tensors are disposed (above).
 * Replaces any earlier installation. A no-op where arrays are not uninitialised (outside Node) or when
 * `GENDICE_OUTPUT_POOL_MB=0`.
 */
export function installOutputPool(backend: PoolableBackend): void {
  uninstallOutputPool();
  const cap = idleCap();
  if (unsafeSlow === undefined || cap === 0) return;
  const active = new OutputPool(cap);
  const data = backend.data;
  const own = { set: Object.hasOwn(data, 'set'), delete: Object.hasOwn(data, 'delete'), readSync: Object.hasOwn(backend, 'readSync'), read: Object.hasOwn(backend, 'read') };
  const { set, delete: remove } = data;
  const { readSync, read } = backend;
  data.set = function (dataId, value) {
    const before = data.has(dataId) ? data.get(dataId)?.values : undefined;
    set.call(this, dataId, value);
    active.ref(value?.values);
    if (before !== undefined) active.unref(before);
  };
  data.delete = function (dataId) {
    const values = data.has(dataId) ? data.get(dataId)?.values : undefined;
    const removed = remove.call(this, dataId);
    if (values !== undefined) active.unref(values);
    return removed;
  };
  backend.readSync = function (dataId) {
    if (data.has(dataId)) active.escape(data.get(dataId)?.values);
    return readSync.call(this, dataId);
  };
  backend.read = function (dataId) {
    if (data.has(dataId)) active.escape(data.get(dataId)?.values);
    return read.call(this, dataId);
  };
  pool = active;
  uninstall = () => {
    const restore = (target: object, name: string, had: boolean, original: unknown) => {
      if (had) (target as Record<string, unknown>)[name] = original;
      else delete (target as Record<string, unknown>)[name];
    };
    restore(data, 'set', own.set, set);
    restore(data, 'delete', own.delete, remove);
    restore(backend, 'readSync', own.readSync, readSync);
    restore(backend, 'read', own.read, read);
    active.clear();
  };
}

/** Takes the pool's hooks off the backend and drops its idle buffers (buffers in use are left to V8). */
export function uninstallOutputPool(): void {
  uninstall?.();
  uninstall = undefined;
  pool = undefined;
}

/** The pool's counters since it was installed. */
export function outputPoolStatistics(): OutputPoolStatistics {
  return pool === undefined
    ? { installed: false, reused: 0, fresh: 0, returned: 0, escaped: 0, idleBuffers: 0, idleBytes: 0 }
    : { installed: true, ...pool.statistics() };
}
