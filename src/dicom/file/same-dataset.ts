import { readFile } from 'node:fs/promises';
import { parsePart10Header } from './part10.js';

/**
 * Whether two Part 10 files hold the same dataset bytes (their file meta may differ: it names the
 * AE that sent each). A resend of the very instance is then harmless.
 */
export async function sameDataset(a: string, b: string): Promise<boolean> {
  const [first, second] = await Promise.all([readFile(a), readFile(b)]);
  const datasetOf = (bytes: Buffer, name: string) => bytes.subarray(parsePart10Header(bytes, name).datasetOffset);
  return datasetOf(first, a).equals(datasetOf(second, b));
}
