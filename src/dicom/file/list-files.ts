import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every regular file under a folder, recursively, in name order; hidden files are skipped. */
export async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}
