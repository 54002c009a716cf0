import { InvalidInputError } from '../errors.js';
import type { SeriesGeometry } from '../imaging/geometry.js';
import { classifyKernel } from '../route/kernel-taxonomy.js';
import type { ModelManifest } from './manifest.js';
import type { KernelFamily } from '../route/kernel-taxonomy.js';

/** The series tags a model's manifest is checked against (the SliceSource carries geometry only). */
export interface SeriesDescriptor {
  readonly modality: string;
  readonly manufacturer?: string;
  /** ManufacturerModelName. */
  readonly modelName?: string;
  readonly convolutionKernel: readonly string[];
  /** When absent, classified from manufacturer and kernel by route/kernel-taxonomy. */
  readonly kernelFamily?: KernelFamily;
}

export function kernelFamilyOf(series: SeriesDescriptor): KernelFamily {
  return series.kernelFamily ?? classifyKernel(series.manufacturer, series.convolutionKernel).family;
}

function kernelRefusal(manifest: ModelManifest, series: SeriesDescriptor): string | undefined {
  const { kernelFamilies, kernels } = manifest.accepts;
  if (!kernelFamilies && !kernels) return undefined;
  const family = kernelFamilyOf(series);
  if (kernelFamilies?.includes(family)) return undefined;
  const listed = (kernels ?? []).map((k) => k.toLowerCase());
  if (series.convolutionKernel.some((k) => listed.includes(k.toLowerCase()))) return undefined;
  const wanted = [...(kernelFamilies ?? []).map((f) => `family ${f}`), ...(kernels ?? [])].join(', ');
  const kernel = series.convolutionKernel.join('\\') || '(none)';
  return `kernel ${kernel} (${series.manufacturer ?? 'unknown manufacturer'}, family ${family}) is not one it accepts (${wanted})`;
}

function geometryRefusal(manifest: ModelManifest, geometry: SeriesGeometry): string | undefined {
  const { matrixSizes, pixelSpacingMm } = manifest.accepts;
  const { rows, columns, pixelSpacing } = geometry;
  if (matrixSizes && !matrixSizes.some(([r, c]) => r === rows && c === columns)) {
    const accepted = matrixSizes.map(([r, c]) => `${r}x${c}`).join(', ');
    return `matrix ${rows}x${columns} is not one it accepts (${accepted})`;
  }
  if (pixelSpacingMm) {
    const [low, high] = pixelSpacingMm;
    if (pixelSpacing.some((s) => !(s >= low && s <= high))) {
      return `pixel spacing ${pixelSpacing.join('\\')} mm is outside the accepted ${low}-${high} mm`;
    }
  }
  return undefined;
}

/** Why the model must not run on this series, or undefined when its manifest accepts it. */
export function refusalReason(
  manifest: ModelManifest,
  series: SeriesDescriptor,
  geometry: SeriesGeometry,
): string | undefined {
  const modality = series.modality.trim().toUpperCase();
  if (!manifest.accepts.modalities.map((m) => m.toUpperCase()).includes(modality)) {
    return `modality ${series.modality || '(none)'} is not one it accepts (${manifest.accepts.modalities.join(', ')})`;
  }
  return kernelRefusal(manifest, series) ?? geometryRefusal(manifest, geometry);
}

/** Throws an InvalidInputError naming the model and the reason when the manifest refuses the series. */
export function assertAccepts(manifest: ModelManifest, series: SeriesDescriptor, geometry: SeriesGeometry): void {
  const reason = refusalReason(manifest, series, geometry);
  if (reason) throw new InvalidInputError(`model ${manifest.id}@${manifest.version} refuses this series: ${reason}`);
}

/** A descriptor from routing's SeriesTags (or any object with the same optional fields). */
export function describeSeries(tags: {
  readonly modality?: string;
  readonly manufacturer?: string;
  readonly modelName?: string;
  readonly convolutionKernel?: readonly string[];
}): SeriesDescriptor {
  return { modality: tags.modality ?? '', manufacturer: tags.manufacturer, modelName: tags.modelName, convolutionKernel: tags.convolutionKernel ?? [] };
}
