import type { Extractor } from './types.js';

const identity: Extractor = (_ctx, inputs) => [inputs[0]];

/** Layers that only reshape or that are identities at inference time. */
export const coreLayers: Record<string, Extractor> = {
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  SpatialDropout3D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
};
