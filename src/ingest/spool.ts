import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';

/**
 * The durable spool: one folder per series, one file per SOP instance, named by UIDs. A file
 * reaches its final name by rename (atomic on one file system), and the folder is fsync'ed so the
 * name survives a crash. Resending an instance replaces its file.
 */
export interface Spool {
  readonly root: string;
  readonly incomingDir: string;
  /** Moves a complete, fsync'ed file from incomingDir into the spool and returns its final path. */
  accept(tempPath: string, ids: { seriesInstanceUid: string; sopInstanceUid: string }): Promise<string>;
  seriesDir(seriesInstanceUid: string): string;
}

const uidPattern = /^[0-9.]{1,64}$/;

export async function openSpool(root: string): Promise<Spool> {
  const incomingDir = path.join(root, 'incoming');
  const seriesRoot = path.join(root, 'series');
  await mkdir(incomingDir, { recursive: true });
  await mkdir(seriesRoot, { recursive: true });
  const knownDirs = new Set<string>();

  const seriesDir = (seriesInstanceUid: string) => {
    // UIDs become file names: anything but digits and dots could escape the spool.
    if (!uidPattern.test(seriesInstanceUid)) throw new InvalidInputError(`SeriesInstanceUID is not a valid UID: ${JSON.stringify(seriesInstanceUid)}`);
    return path.join(seriesRoot, seriesInstanceUid);
  };

  return {
    root,
    incomingDir,
    seriesDir,
    async accept(tempPath, ids) {
      if (!uidPattern.test(ids.sopInstanceUid)) throw new InvalidInputError(`SOPInstanceUID is not a valid UID: ${JSON.stringify(ids.sopInstanceUid)}`);
      const dir = seriesDir(ids.seriesInstanceUid);
      if (!knownDirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        await fsyncPath(seriesRoot);
        knownDirs.add(dir);
      }
      const finalPath = path.join(dir, `${ids.sopInstanceUid}.dcm`);
      await rename(tempPath, finalPath);
      await fsyncPath(dir);
      return finalPath;
    },
  };
}

export async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function discard(file: string): Promise<void> {
  await rm(file, { force: true });
}
