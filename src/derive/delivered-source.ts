import { pixelFormatOf } from '../dicom/file/pixel-format.js';
import { dot, sliceNormal, type SeriesGeometry } from '../imaging/geometry.js';
import { storedHu } from '../imaging/hounsfield.js';
import type { LoadedSeries, SourceInstance } from '../imaging/load-series.js';
import type { SliceSource } from '../imaging/slice-source.js';

/** For each output slice, the source slice closest to it along the normal (the same one when z is kept). */
export function nearestSourceSlices(instances: readonly SourceInstance[], output: SeriesGeometry): number[] {
  const normal = sliceNormal(output);
  const sourceAlong = instances.map((instance) => dot(instance.position, normal));
  return output.positions.map((position) => {
    const along = dot(position, normal);
    let best = 0;
    sourceAlong.forEach((value, i) => {
      if (Math.abs(value - along) < Math.abs(sourceAlong[best] - along)) best = i;
    });
    return best;
  });
}

/**
 * The output as its derived series will hold it: each slice rounded and clamped in the pixel format
 * of its nearest source slice, as the writer stores it. What the job measures of its own output
 * (the quality report) is then what a reader of the PACS measures: the source and the reference
 * hold whole stored values, and against them a fraction-of-a-HU output counts differently at a
 * threshold such as LAA-950's (-950.4 is below -950, its stored -950 is not).
 */
export function deliveredSource(source: LoadedSeries, output: SliceSource): SliceSource {
  const formats = nearestSourceSlices(source.instances, output.geometry).map((i) => {
    const instance = source.instances[i];
    return pixelFormatOf(instance.header, instance.path);
  });
  return {
    geometry: output.geometry,
    sliceCount: output.sliceCount,
    readSlice: async (index) => storedHu(await output.readSlice(index), formats[index]),
  };
}
