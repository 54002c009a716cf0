import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, UnavailableError } from '../errors.js';
import { encodePart10, EXPLICIT_VR_LITTLE_ENDIAN, PIXEL_DATA_TAG, readPart10 } from '../dicom/file/dcmjs.js';
import { huToStored } from '../imaging/hounsfield.js';
import { pixelFormatOf } from '../dicom/file/pixel-format.js';
import type { LoadedSeries } from '../imaging/load-series.js';
import type { SliceSource } from '../imaging/slice-source.js';
import { nearestSourceSlices } from './delivered-source.js';
import { buildDerivedDataset, type DerivedSeriesFacts } from './derived-dataset.js';
import { checkUidRoot, deterministicUid } from './derived-uids.js';
import { fitText, VR_LIMIT } from './dicom-values.js';

export interface DerivedStepRecord {
  readonly label: string;
  readonly derivation: string;
  readonly generated: boolean;
}

export interface DerivedSeriesInput {
  readonly source: LoadedSeries;
  readonly output: SliceSource;
  readonly outputDir: string;
  /** Root of every UID we make; '2.25' gives UUID-derived UIDs. */
  readonly uidRoot: string;
  readonly clock: () => Date;
  readonly steps: readonly DerivedStepRecord[];
  /** Default: the source's SeriesNumber + 1000. */
  readonly seriesNumber?: number;
  /** Written as Manufacturer and SoftwareVersions of the derived images. */
  readonly nodeName?: string;
  /** Added to ImageComments (the job's quality report). */
  readonly comments?: string;
  /** Told after each file is written and read back. */
  readonly onSliceWritten?: (written: number, total: number) => Promise<void>;
}

export interface DerivedSeries {
  readonly seriesInstanceUid: string;
  readonly files: string[];
  readonly sopInstanceUids: string[];
}

const DEFAULT_NODE_NAME = 'ct-preprocessing-node';
/** Identifies the writer in the file meta; under the UID root so that it is ours. */
const IMPLEMENTATION_VERSION = 'CTPREP_0_1';

/**
 * Writes the output slices as a new derived CT series of the source's study, one Part 10 file per
 * slice (Explicit VR Little Endian) in outputDir, each flushed to disk and parsed back.
 */
export async function writeDerivedSeries(input: DerivedSeriesInput): Promise<DerivedSeries> {
  checkUidRoot(input.uidRoot);
  if (input.source.instances.length === 0) throw new InvalidInputError('source series has no instances');
  if (input.steps.length === 0) throw new InvalidInputError('a derived series needs at least one step');
  const series = seriesFacts(input);
  const sourceIndexOf = nearestSourceSlices(input.source.instances, input.output.geometry);
  const files: string[] = [];
  const sopInstanceUids: string[] = [];
  const madeFrom = new Map<number, number>();
  for (let index = 0; index < input.output.sliceCount; index++) {
    const source = input.source.instances[sourceIndexOf[index]];
    // Named by its source instance (frame) and which of the slices made from it this is, not by its
    // place in the volume: a slice keeps its UID when the series around it grows.
    const fromSource = madeFrom.get(sourceIndexOf[index]) ?? 0;
    madeFrom.set(sourceIndexOf[index], fromSource + 1);
    const sopInstanceUid = deterministicUid(
      input.uidRoot,
      'instance',
      series.seriesInstanceUid,
      source.sopInstanceUid,
      String(source.frameNumber ?? 1),
      String(fromSource),
    );
    const pixelFormat = pixelFormatOf(source.header, source.path);
    const storedPixels = huToStored(await input.output.readSlice(index), pixelFormat);
    const dataset = buildDerivedDataset({ index, sopInstanceUid, source, pixelFormat, storedPixels }, series);
    const path = join(input.outputDir, `${sopInstanceUid}.dcm`);
    const bytes = encodePart10(dataset, fileMetaIdentity(input.uidRoot));
    checkParses(bytes, path, sopInstanceUid);
    await writeDurably(path, bytes);
    await checkReadsBack(path, bytes);
    files.push(path);
    sopInstanceUids.push(sopInstanceUid);
    await input.onSliceWritten?.(files.length, input.output.sliceCount);
  }
  await syncDirectory(input.outputDir);
  return { seriesInstanceUid: series.seriesInstanceUid, files, sopInstanceUids };
}

function seriesFacts(input: DerivedSeriesInput): DerivedSeriesFacts {
  const header = input.source.instances[0].header;
  const labels = input.steps.map((step) => step.label).join('+');
  const derivations = input.steps.map((step) => step.derivation).join('; ');
  const nodeName = input.nodeName ?? DEFAULT_NODE_NAME;
  const generated = input.steps.some((step) => step.generated);
  // A new derived series for every set of source instances: when the source series grows, its
  // derived series is a new one that supersedes the old, never a mix of both.
  const sources = input.source.instances.map((instance) => `${instance.sopInstanceUid}#${instance.frameNumber ?? 1}`).sort();
  return {
    seriesInstanceUid: deterministicUid(input.uidRoot, 'series', String(header.SeriesInstanceUID), derivations, ...sources),
    seriesNumber: input.seriesNumber ?? (Number(header.SeriesNumber) || 0) + 1000,
    seriesDescription: derivedSeriesDescription(typeof header.SeriesDescription === 'string' ? header.SeriesDescription : '', labels),
    // Names the node first: how a PACS rule (see config/orthanc-forward-to-node.lua) and the node's
    // own routing recognise its output.
    derivationDescription: fitText(`${nodeName}: ${derivations}`, VR_LIMIT.ST),
    imageComments: fitText(
      `Derived by ${nodeName}: ${labels}. ${generated ? 'Made by a trained image generator. ' : ''}` +
        'For automated analysis, not for primary diagnosis.' +
        (input.comments ? ` ${input.comments}` : ''),
      VR_LIMIT.LT,
    ),
    nodeName,
    created: input.clock(),
    geometry: input.output.geometry,
  };
}

/** "<source description> [<labels>]" within LO's 64 characters, keeping the labels visible. */
export function derivedSeriesDescription(sourceDescription: string, labels: string): string {
  const suffix = fitText(`[${labels}]`, VR_LIMIT.LO);
  const room = VR_LIMIT.LO - suffix.length - 1;
  const base = sourceDescription.trim();
  if (base === '' || room < 4) return suffix;
  return `${base.length <= room ? base : `${base.slice(0, room - 1)}~`} ${suffix}`;
}

function fileMetaIdentity(uidRoot: string) {
  return {
    transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
    implementationClassUid: deterministicUid(uidRoot, 'implementation', IMPLEMENTATION_VERSION),
    implementationVersionName: IMPLEMENTATION_VERSION,
  };
}

/** Writes to a temporary name, flushes, then renames, so a crash never leaves half a file under the real name. */
async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.partial`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    throw new UnavailableError(`cannot write ${path}: ${(error as Error).message}`, error);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** What we are about to write parses as DICOM up to its pixels and names the instance it should. */
function checkParses(bytes: Uint8Array, path: string, sopInstanceUid: string): void {
  const dict = readPart10(bytes.buffer as ArrayBuffer, { untilTag: PIXEL_DATA_TAG });
  const written = dict.dict['00080018']?.Value?.[0];
  if (written !== sopInstanceUid) throw new Error(`${path} parses with SOPInstanceUID ${String(written)}, expected ${sopInstanceUid}`);
}

/** The file on disk holds exactly the bytes written. */
async function checkReadsBack(path: string, bytes: Uint8Array): Promise<void> {
  const onDisk = await readFile(path);
  if (!onDisk.equals(bytes)) throw new Error(`${path} reads back ${onDisk.length} bytes that differ from the ${bytes.length} written`);
}
