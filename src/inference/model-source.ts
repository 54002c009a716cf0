import type { SliceSource } from '../imaging/slice-source.js';
import type { ModelManifest } from './manifest.js';
import { withOutsideWindow, type FullRangeSource } from './outside-window.js';
import { TiledSource, type SlabRunner } from './tiled-source.js';
import { tilingSpec } from './tiler.js';

/**
 * A model's output over a whole series, in HU over the full range: tiled through `runSlab` inside
 * its HU window, its classical counterpart beyond it. The model step and the evaluation both read
 * a model through this, so what is measured is what is delivered.
 */
export function modelOutputSource(manifest: ModelManifest, input: SliceSource, runSlab: SlabRunner): FullRangeSource {
  const spec = tilingSpec(manifest);
  return withOutsideWindow(input, new TiledSource(input, spec, runSlab), {
    window: spec.huWindow,
    counterpart: manifest.normalization.outsideWindow,
    scale: spec.scale,
  });
}
