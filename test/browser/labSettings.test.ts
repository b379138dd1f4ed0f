import { describe, expect, it } from 'vitest';
import { DEFAULT_LAB_SETTINGS, parseLabSettings } from '../../src/web/lab/labSettings.js';

// The lab page's settings (URL query or form): defaults, and every bad value named with the setting.
describe('parseLabSettings', () => {
  it('keeps the defaults for absent keys and reads the given ones', () => {
    expect(parseLabSettings([])).toEqual(DEFAULT_LAB_SETTINGS);
    const s = parseLabSettings(new URLSearchParams('lossA=ss&lossB=wce&foreground=0.02&network=twoPathCnn&size=32&steps=10&learningRate=0.001&seed=7&autostart=1'));
    expect(s).toEqual({ ...DEFAULT_LAB_SETTINGS, lossA: 'ss', lossB: 'wce', foreground: 0.02, network: 'twoPathCnn', size: 32, steps: 10, learningRate: 0.001, seed: 7, autostart: true });
  });

  it.each([
    ['lossB=dl3', /^lab: lossB must be one of 'gdl', .*; got 'dl3' \(did you mean 'dl2'\?\)$/],
    ['foreground=0.0001', /^lab: foreground must be a finite number in \[0\.005, 0\.5\]; got 0\.0001$/],
    ['foreground=', /^lab: foreground must be a finite number in \[0\.005, 0\.5\]; got NaN$/],
    ['size=36', /^lab: size must be a multiple of 8; got 36$/],
    ['steps=2.5', /^lab: steps must be an integer in \[1, 5000\]; got 2\.5$/],
    ['network=unet3d', /^lab: network must be one of 'unet2d', 'unet2d-small', 'twoPathCnn'; got 'unet3d'/],
    ['lossa=gdl', /^lab: setting must be one of .*; got 'lossa' \(did you mean 'lossA'\?\)$/],
  ])('refuses %s', (query, message) => {
    expect(() => parseLabSettings(new URLSearchParams(query))).toThrow(message);
  });
});
