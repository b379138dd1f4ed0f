/**
 * What the viewer page shows, as the server hands it over (`/view.json`): the volumes with their
 * roles, and the voxel to centre the crosshair on. Shared by the page (`viewer.ts`) and the server
 * (`node/viewServer.ts`).
 */

export const VIEW_ROLES = ['image', 'reference', 'prediction'] as const;
export type ViewRole = (typeof VIEW_ROLES)[number];

/** One volume of the page, served from the page's own origin. */
export interface ViewVolume {
  role: ViewRole;
  /** Same-origin path with the file's extension (`/volumes/reference.nii.gz`: niivue reads the format from it). */
  url: string;
  /** The file name shown in the legend. */
  name: string;
}

export interface ViewConfig {
  volumes: ViewVolume[];
  /** 2 or 3: a 2D file is shown as one axial slice, a 3D file in the three planes. */
  dims: 2 | 3;
  /** Voxel [i, j, k] the crosshair starts at (the largest reference cross-section), or null for the centre. */
  focus: [number, number, number] | null;
}

/** Colour map (niivue's names), opacity and legend colour of each role. */
export const VIEW_STYLE: Record<ViewRole, { colormap: string; opacity: number; legend: string }> = {
  image: { colormap: 'gray', opacity: 1, legend: '#808080' },
  reference: { colormap: 'green', opacity: 0.6, legend: '#00ff00' },
  prediction: { colormap: 'red', opacity: 0.5, legend: '#ff0000' },
};
