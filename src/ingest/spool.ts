import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { isReceivedUid } from '../validation.js';

/**
 * The durable spool. The DICOM listener writes each instance into incoming/ and fsyncs it before
 * the node answers Success; the ingest queue then indexes it and moves it to
 * series/<SeriesInstanceUID>/<SOPInstanceUID>.dcm (a rename: atomic on one file system). A file
 * still in incoming/ is acknowledged but not yet indexed, and is indexed again after a restart.
 * Files that cannot be indexed go to rejected/ with a .reason.txt beside them; the later copy of an
 * instance sent again with other content, when the first is kept, goes to conflicts/.
 */
export interface Spool {
  readonly root: string;
  readonly incomingDir: string;
  seriesDir(seriesInstanceUid: string): string;
  /** Where an instance lives once indexed. */
  placeFor(ids: { seriesInstanceUid: string; sopInstanceUid: string }): string;
  /** Renames files to their places (a resend replaces the older file), then fsyncs their folders. */
  moveIn(moves: readonly { from: string; to: string }[]): Promise<void>;
  reject(file: string, reason: string): Promise<string>;
  /** Keeps the later copy of an instance sent again with other content; returns its new name. */
  setAsideConflict(file: string, sopInstanceUid: string): Promise<string>;
  /** Deletes a received file that adds nothing (an identical resend). */
  discard(file: string): Promise<void>;
  /** Acknowledged files not yet indexed (left by a stop or crash), oldest name first. */
  unindexedFiles(): Promise<string[]>;
}


export async function openSpool(root: string): Promise<Spool> {
  const incomingDir = path.join(root, 'incoming');
  const seriesRoot = path.join(root, 'series');
  const rejectedDir = path.join(root, 'rejected');
  const conflictsDir = path.join(root, 'conflicts');
  for (const dir of [incomingDir, seriesRoot, rejectedDir, conflictsDir]) await mkdir(dir, { recursive: true });
  const knownDirs = new Set<string>();

  const seriesDir = (seriesInstanceUid: string) => {
    // UIDs become file names: anything but digits and dots could escape the spool.
    if (!isReceivedUid(seriesInstanceUid)) throw new InvalidInputError(`SeriesInstanceUID is not a valid UID: ${JSON.stringify(seriesInstanceUid)}`);
    return path.join(seriesRoot, seriesInstanceUid);
  };

  return {
    root,
    incomingDir,
    seriesDir,
    placeFor(ids) {
      if (!isReceivedUid(ids.sopInstanceUid)) throw new InvalidInputError(`SOPInstanceUID is not a valid UID: ${JSON.stringify(ids.sopInstanceUid)}`);
      return path.join(seriesDir(ids.seriesInstanceUid), `${ids.sopInstanceUid}.dcm`);
    },
    async moveIn(moves) {
      const dirs = new Set(moves.map((move) => path.dirname(move.to)));
      for (const dir of dirs) {
        if (knownDirs.has(dir)) continue;
        await mkdir(dir, { recursive: true });
        await fsyncPath(seriesRoot);
        knownDirs.add(dir);
      }
      for (const move of moves) await rename(move.from, move.to);
      // One fsync per folder for the whole batch; until it returns, a crash leaves a file in
      // incoming/ (indexed again at start-up) or under its new name: never lost.
      await Promise.all([...dirs].map((dir) => fsyncPath(dir)));
    },
    async reject(file, reason) {
      const target = path.join(rejectedDir, path.basename(file));
      await rename(file, target);
      await writeFile(`${target}.reason.txt`, `${reason}\n`);
      return target;
    },
    async setAsideConflict(file, sopInstanceUid) {
      if (!isReceivedUid(sopInstanceUid)) throw new InvalidInputError(`SOPInstanceUID is not a valid UID: ${JSON.stringify(sopInstanceUid)}`);
      const name = `${sopInstanceUid}.${path.basename(file)}`;
      await rename(file, path.join(conflictsDir, name));
      await fsyncPath(conflictsDir);
      return name;
    },
    async discard(file) {
      await rm(file, { force: true });
    },
    async unindexedFiles() {
      const names = await readdir(incomingDir);
      // .part files were never acknowledged (the sender will send them again).
      for (const name of names.filter((n) => n.endsWith('.part'))) await rm(path.join(incomingDir, name), { force: true });
      return names.filter((name) => name.endsWith('.dcm')).sort().map((name) => path.join(incomingDir, name));
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
