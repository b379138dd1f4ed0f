import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNifti } from '../../src/data/node/niftiFiles.js';
import { createVolume } from '../../src/data/volume.js';
import { gendice, gendiceAsync } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-view-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const image = join(dir, 'case_image.nii.gz');
const label = join(dir, 'case_label.nii');
const other = join(dir, 'other_label.nii.gz');

beforeAll(async () => {
  await writeNifti(image, createVolume(Float32Array.from({ length: 16 * 12 * 6 }, (_, i) => i), [16, 12, 6]));
  const l = new Uint8Array(16 * 12 * 6);
  l[3 + 16 * (4 + 12 * 2)] = 1;
  l[4 + 16 * (4 + 12 * 2)] = 1;
  await writeNifti(label, createVolume(l, [16, 12, 6]));
  await writeNifti(other, createVolume(new Uint8Array(8 * 8), [8, 8]));
});

describe('gendice view', () => {
  it('serves the page, its script, its config and the files on 127.0.0.1 until SIGTERM', async () => {
    const child = gendiceAsync(['view', '--image', image, '--label', label, '--json']);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const t0 = Date.now();
    while (!stdout.includes('\n') && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
    const printed = JSON.parse(stdout) as { url: string; dims: number; focus: number[]; volumes: Array<{ role: string; url: string; name: string }> };
    expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(printed).toMatchObject({ dims: 3, focus: [4, 4, 2] });
    expect(printed.volumes).toEqual([
      { role: 'image', url: '/volumes/image.nii.gz', name: 'case_image.nii.gz' },
      { role: 'reference', url: '/volumes/reference.nii', name: 'case_label.nii' },
    ]);
    const page = await fetch(printed.url);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/view.js"></script>');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect((await fetch(new URL('/view.js', printed.url))).status).toBe(200);
    expect((await (await fetch(new URL('/view.json', printed.url))).json()).volumes).toHaveLength(2);
    expect((await fetch(new URL('/volumes/reference.nii', printed.url))).status).toBe(200);
    expect((await fetch(new URL('/etc/passwd', printed.url))).status).toBe(404);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);

  it('refuses a label map on another grid, a missing file and a bad port, naming the flag', () => {
    const grid = gendice(['view', '--image', image, '--pred', other]);
    expect(grid.status).not.toBe(0);
    expect(grid.stderr).toContain(`--pred '${other}' has shape [8, 8], the image [16, 12, 6]`);
    const missing = gendice(['view', '--image', join(dir, 'nope.nii.gz')]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/--image '.*nope\.nii\.gz'/);
    const port = gendice(['view', '--image', image, '--port', '70000']);
    expect(port.status).not.toBe(0);
    expect(port.stderr).toContain("--port <n>' argument '70000' is invalid");
  }, 90_000);
});
