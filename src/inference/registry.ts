import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CalibrationKey } from '../calibrate/calibration.js';
import { ConfigError } from '../errors.js';
import { inputChannels, parseManifest, type ModelManifest } from './manifest.js';
import { analyseGraph, type GraphAnalysis } from './onnx-analysis.js';
import { readOnnxGraph } from './onnx-graph.js';

/** One model folder: its manifest (validated) and where its ONNX file lies. */
export interface ModelEntry {
  readonly manifest: ModelManifest;
  readonly folder: string;
  readonly onnxPath: string;
}

export interface ModelRegistry {
  /** Every model id, sorted. */
  ids(): string[];
  /** Throws a ConfigError naming the known ids when there is no such model. */
  getModel(id: string): ModelEntry;
  /** The trained model whose manifest says it was trained for this scanner and kernel pair, if one is installed. */
  forCalibration(key: CalibrationKey & { readonly targetKernel: string }): ModelEntry | undefined;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`model manifest ${file} cannot be read: ${(error as Error).message}`, error);
  }
}

/** Loads and checks one model folder (<folder>/manifest.json and the ONNX file it names). */
export async function loadModelFolder(folder: string): Promise<ModelEntry> {
  const manifestPath = path.join(folder, 'manifest.json');
  const manifest = parseManifest(await readJson(manifestPath), manifestPath);
  if (manifest.id !== path.basename(folder)) {
    throw new ConfigError(`model manifest ${manifestPath}: id ${manifest.id} differs from its folder name`);
  }
  const onnxPath = path.resolve(folder, manifest.file);
  const info = await stat(onnxPath).catch(() => undefined);
  if (!info?.isFile()) throw new ConfigError(`model ${manifest.id}: ONNX file ${onnxPath} is missing`);
  checkAgainstGraph(manifest, await readFile(onnxPath));
  return { manifest, folder: path.resolve(folder), onnxPath };
}

const PROBE_EDGE = 32;
const PROBE_DEPTH = 8;

function analyse(manifest: ModelManifest, bytes: Uint8Array): GraphAnalysis | undefined {
  const shape = [1, inputChannels(manifest), ...(manifest.dimensionality === '3d' ? [PROBE_DEPTH] : []), PROBE_EDGE, PROBE_EDGE];
  try {
    return analyseGraph(readOnnxGraph(bytes), shape);
  } catch {
    // A graph with ops the analyser does not know: the manifest's declarations stand alone.
    return undefined;
  }
}

/**
 * Checks the manifest against the ONNX graph: the receptive field the graph really has (so an
 * understated one cannot pass) and the output scale.
 */
function checkAgainstGraph(manifest: ModelManifest, bytes: Uint8Array): void {
  const analysis = analyse(manifest, bytes);
  if (!analysis) return;
  const fail = (message: string) => {
    throw new ConfigError(`model ${manifest.id}: ${message}`);
  };
  const field = analysis.receptiveField;
  const inPlane = Math.max(field[field.length - 1], field[field.length - 2]);
  const z = manifest.dimensionality === '3d' ? field[0] : 0;
  if (inPlane > manifest.receptiveField.inPlane || z > manifest.receptiveField.z) {
    fail(`its graph has a receptive field of ${inPlane} px in-plane, ${z} in z; the manifest declares ${manifest.receptiveField.inPlane}, ${manifest.receptiveField.z}`);
  }
  const { inPlane: s, z: sz } = manifest.output.scale;
  const expected = [1, 1, ...(manifest.dimensionality === '3d' ? [PROBE_DEPTH * sz] : []), PROBE_EDGE * s, PROBE_EDGE * s];
  if (analysis.outputShape.join('x') !== expected.join('x')) {
    fail(`its graph maps ${PROBE_EDGE}px tiles to ${analysis.outputShape.join('x')}, the manifest's scale expects ${expected.join('x')}`);
  }
}

async function modelFolders(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch((error: unknown) => {
    throw new ConfigError(`models folder ${root} cannot be listed: ${(error as Error).message}`, error);
  });
  const folders: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const folder = path.join(root, entry.name);
    if (await stat(path.join(folder, 'manifest.json')).catch(() => undefined)) folders.push(folder);
  }
  return folders;
}

/**
 * Scans each root for <root>/<id>/manifest.json and validates every manifest at once, so that a
 * bad model (a halo smaller than its receptive field, say) stops the node at start-up. The ONNX
 * bytes are read later, by the backend that runs the model.
 */
export async function openModelRegistry(roots: readonly string[]): Promise<ModelRegistry> {
  const models = new Map<string, ModelEntry>();
  for (const root of roots) {
    for (const folder of await modelFolders(root)) {
      const entry = await loadModelFolder(folder);
      const previous = models.get(entry.manifest.id);
      if (previous) throw new ConfigError(`model id ${entry.manifest.id} is in both ${previous.folder} and ${entry.folder}`);
      models.set(entry.manifest.id, entry);
    }
  }
  const byCalibration = new Map<string, ModelEntry>();
  for (const entry of models.values()) {
    const { calibration, status, id } = entry.manifest;
    if (!calibration || status !== 'trained') continue;
    const key = calibrationKeyText(calibration);
    const other = byCalibration.get(key);
    if (other) throw new ConfigError(`models ${other.manifest.id} and ${id} are both trained for the calibration ${key}: keep one`);
    byCalibration.set(key, entry);
  }
  return {
    ids: () => [...models.keys()].sort(),
    forCalibration: (key) => byCalibration.get(calibrationKeyText(key)),
    getModel(id) {
      const entry = models.get(id);
      if (!entry) throw new ConfigError(`unknown model ${id}; known models: ${[...models.keys()].sort().join(', ') || '(none)'}`);
      return entry;
    },
  };
}

function calibrationKeyText(key: CalibrationKey & { readonly targetKernel: string }): string {
  return `${key.manufacturer.trim()} ${key.modelName.trim()} ${key.sourceKernel}->${key.targetKernel}`;
}
