import { describe, expect, it } from 'vitest';
import { computeFindings } from '../../src/study/findings/index.js';
import { studyMarkdown } from '../../src/study/report/markdown.js';
import { makeStudy, UNET2D } from './reportFixture.js';

describe('studyMarkdown', () => {
  it('tabulates mean scores per patch and loss × rate, marks pending cells, and lists the findings', () => {
    const results = makeStudy({
      networks: [UNET2D],
      losses: ['wce', 'gdl'],
      rates: [1e-3, 1e-4],
      seeds: [1, 2],
      noise: 0,
      testCases: 3,
      outcome: (p, patch) => (p.loss === 'wce' && p.learningRate === 1e-3 && patch === 2 ? 'pending' : p.loss === 'gdl' ? 0.8 : 0.5),
    });
    const md = studyMarkdown(results, computeFindings(results));
    expect(md).toMatch(/^Study \*\*.*\*\* on .*: 22 of 24 trials run \(seeds 1, 2\)/);
    expect(md).toContain('| patch · foreground | wce 1e-3 | wce 1e-4 | gdl 1e-3 | gdl 1e-4 |');
    const rows = md.split('\n').filter((l) => /^\| \d+x\d+ · /.test(l));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/\| 0\.50 \| 0\.50 \| 0\.80 \| 0\.80 \|$/);
    expect(rows[2]).toMatch(/\| · \| 0\.50 \| 0\.80 \| 0\.80 \|$/);
    expect(md).toMatch(/\| gdl \| 12 \| 0\.\d{3} \|/);
    expect(md.split('\n').filter((l) => /^\| [1-6] \| /.test(l))).toHaveLength(6);
  });
});
