/**
 * The class weights of the Generalised Dice (Sudre et al. 2017), shared by the loss and the metric:
 * w_l = 1/V_l² ('square', the paper's), 1/V_l ('simple') or 1 ('uniform'), V_l the reference volume.
 */
export const WEIGHT_TYPES = ['square', 'simple', 'uniform'] as const;
export type WeightType = (typeof WEIGHT_TYPES)[number];
