import type { Command } from 'commander';
import { choiceOption } from './flagParsers.js';
import { ENGINE_NAMES, selectEngine, type EngineName } from '../engine/node/index.js';
import { runSelfBenchmark } from '../engine/selfBenchmark.js';

interface EngineFlags {
  json?: boolean;
  engine?: EngineName;
  bench: boolean;
}

/**
 * Registers `gendice engine`: selects the engine as training would (or the one given with --engine),
 * prints it, why it was chosen, the kernels it replaced and a short convolution self-benchmark.
 * With --json, exactly one JSON document on stdout.
 */
export function registerEngineCommand(program: Command): Command {
  return program
    .command('engine')
    .description('show the training engine (native oneDNN, wasm fallback or stock cpu), its replaced kernels and a short self-benchmark')
    .addOption(choiceOption('--engine <name>', 'force an engine (default: $GENDICE_ENGINE, else native when the addon loads, else wasm)', ENGINE_NAMES))
    .option('--no-bench', 'skip the self-benchmark')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: EngineFlags) => {
      const info = await selectEngine(flags.engine !== undefined ? { engine: flags.engine } : {});
      if (flags.bench) process.stderr.write('gendice engine: running the self-benchmark...\n');
      const benchmark = flags.bench ? runSelfBenchmark() : [];
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify({ ...info, benchmark })}\n`);
        return;
      }
      const lines = [
        `engine: ${info.engine ?? 'none'} (TF.js backend '${info.backend}')`,
        `why: ${info.reason}`,
        ...(info.dnnlVersion !== undefined ? [`oneDNN: ${info.dnnlVersion}`] : []),
        ...(info.addon !== undefined ? [`addon: ${info.addon.path} (${info.addon.loaded ? 'loaded' : `not loaded: ${info.addon.error ?? ''}`})`] : []),
        `replaced kernels (${info.replacedKernels.length}):${info.replacedKernels.length === 0 ? ' none' : ''}`,
        ...info.replacedKernels.map((k) => `  ${k.kernelName} on ${k.backendName} (${k.source})`),
      ];
      if (benchmark.length > 0) {
        lines.push('self-benchmark (median of 3):');
        for (const r of benchmark) lines.push(`  ${r.name.padEnd(52)} ${r.ms.toFixed(1).padStart(8)} ms ${r.gflops.toFixed(1).padStart(7)} GFLOP/s`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
