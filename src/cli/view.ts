import type { Command } from 'commander';
import { startViewServer } from '../web/view/node/viewServer.js';
import { numberFlag } from './flagParsers.js';
import { log, printResult } from './output.js';

interface ViewFlags {
  image: string;
  label?: string;
  pred?: string;
  port: number;
  json?: boolean;
}

/**
 * Registers `gendice view --image F [--label F] [--pred F] [--port N]`: serves the niivue viewer page
 * for a scan with its reference and prediction on 127.0.0.1, prints the URL (`--json`: one document
 * `{url, dims, focus, volumes}`) and serves until interrupted (SIGINT or SIGTERM: exit 0). It opens
 * no browser (there may be no desktop): open the URL, or forward the port over ssh.
 */
export function registerViewCommand(program: Command): Command {
  return program
    .command('view')
    .description('show a NIfTI scan with its reference and prediction overlays in the browser (niivue), served on 127.0.0.1')
    .requiredOption('--image <file>', 'the scan, .nii or .nii.gz, 2D or 3D')
    .option('--label <file>', 'the reference label map (drawn in green)')
    .option('--pred <file>', 'a predicted label map (drawn in red)')
    .option('--port <n>', 'port on 127.0.0.1 (0: a free one)', numberFlag({ min: 0, max: 65535, integer: true }), 0)
    .option('--json', 'print one JSON document {url, dims, focus, volumes} on stdout')
    .action(async (flags: ViewFlags) => {
      const view = await startViewServer({ image: flags.image, ...(flags.label ? { label: flags.label } : {}), ...(flags.pred ? { pred: flags.pred } : {}) }, { port: flags.port });
      const { dims, focus, volumes } = view.config;
      printResult(flags.json, { url: view.url, dims, focus, volumes }, view.url);
      log(`gendice view: ${dims}D, ${volumes.map((v) => `${v.role} ${v.name}`).join(', ')}; serving on ${view.url} until interrupted (Ctrl-C)`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void view.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
