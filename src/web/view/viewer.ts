/**
 * The viewer page's script (bundled with niivue by `node/viewerBundle.ts`): reads `/view.json`, draws
 * the image in grey with the reference and the prediction over it (niivue colour maps 'green' and
 * 'red', each with its opacity slider), one axial slice for 2D files and the three planes for 3D files
 * with the crosshair on the largest reference cross-section. Requests only its own origin.
 * Sets `globalThis.gendiceView` to `{ ready: true }` when drawn, or `{ error }` when it failed.
 */
import { Niivue } from '@niivue/niivue';
import { VIEW_STYLE, type ViewConfig } from './viewConfig.js';

interface ViewState {
  ready?: boolean;
  error?: string;
  niivue?: Niivue;
}

const state: ViewState = {};
(globalThis as { gendiceView?: ViewState }).gendiceView = state;

async function start(): Promise<void> {
  const response = await fetch('/view.json');
  if (!response.ok) throw new Error(`viewer: /view.json answered ${response.status}`);
  const config = (await response.json()) as ViewConfig;
  const canvas = document.getElementById('niivue') as HTMLCanvasElement | null;
  if (canvas === null) throw new Error('viewer: the page has no <canvas id="niivue">');
  // A blue crosshair: red and green are the label maps'.
  const nv = new Niivue({ backColor: [0, 0, 0, 1], crosshairColor: [0.25, 0.55, 1, 1], show3Dcrosshair: false, isColorbar: false });
  await nv.attachToCanvas(canvas);
  await nv.loadVolumes(
    config.volumes.map((v) => ({
      url: v.url,
      name: v.name,
      colormap: VIEW_STYLE[v.role].colormap,
      opacity: VIEW_STYLE[v.role].opacity,
      // Label maps: 0 stays transparent, every label above it takes the map's full colour.
      ...(v.role === 'image' ? {} : { cal_min: 0.5, cal_max: 1 }),
    })),
  );
  nv.setSliceType(config.dims === 2 ? nv.sliceTypeAxial : nv.sliceTypeMultiplanar);
  if (config.focus !== null) {
    nv.scene.crosshairPos = nv.vox2frac(config.focus);
    nv.updateGLVolume();
  }
  config.volumes.forEach((v, index) => {
    const slider = document.getElementById(`opacity-${v.role}`) as HTMLInputElement | null;
    slider?.addEventListener('input', () => nv.setOpacity(index, Number(slider.value)));
  });
  nv.drawScene();
  state.niivue = nv;
  state.ready = true;
}

start().catch((err: unknown) => {
  state.error = err instanceof Error ? err.message : String(err);
  const status = document.getElementById('status');
  if (status !== null) status.textContent = `The viewer failed: ${state.error}`;
});
