import fs from 'node:fs';

/**
 * The file-system calls the durable writer needs, on raw descriptors with callbacks wrapped in
 * promises: cheaper per call than FileHandle, and each one maps to one system call.
 */

/** Most iovecs one writev may take on Linux (IOV_MAX). */
const MAX_IOVECS = 1024;

export function openFile(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, 0o644, (e, fd) => (e ? reject(e) : resolve(fd))));
}

export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())));
}

export function renameFile(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => fs.rename(from, to, (e) => (e ? reject(e) : resolve())));
}

/** Removes a file; a file that is already gone is fine. */
export function removeFile(path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.unlink(path, (e) => (e && e.code !== 'ENOENT' ? reject(e) : resolve())),
  );
}

function writevAt(fd: number, buffers: Buffer[], position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.writev(fd, buffers, position, (e, written) => (e ? reject(e) : resolve(written))),
  );
}

/** Writes all buffers at position, in as few writev calls as the kernel allows (short writes resumed). */
export async function writeAllAt(fd: number, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const batch = rest.length > MAX_IOVECS ? rest.slice(0, MAX_IOVECS) : rest;
    const batchBytes = batch.reduce((sum, b) => sum + b.length, 0);
    const written = await writevAt(fd, batch, at);
    at += written;
    rest = written === batchBytes ? rest.slice(batch.length) : skipBytes(rest, written);
  }
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  let left = count;
  let index = 0;
  while (index < buffers.length && left >= buffers[index].length) left -= buffers[index++].length;
  const rest = buffers.slice(index);
  if (left > 0) rest[0] = rest[0].subarray(left);
  return rest;
}

/** fsync for a directory, so that a file created or renamed in it survives a crash. */
export async function openDirectoryForSync(directory: string): Promise<{ sync(): Promise<void>; close(): Promise<void> }> {
  const fd = await openFile(directory, 'r');
  return { sync: () => fsyncFd(fd), close: () => closeFd(fd) };
}
