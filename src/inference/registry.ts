import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { parseManifest, type ModelManifest } from './manifest.js';

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
  return { manifest, folder: path.resolve(folder), onnxPath };
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
  return {
    ids: () => [...models.keys()].sort(),
    getModel(id) {
      const entry = models.get(id);
      if (!entry) throw new ConfigError(`unknown model ${id}; known models: ${[...models.keys()].sort().join(', ') || '(none)'}`);
      return entry;
    },
  };
}
