import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * What a reliability case counted beyond pass or fail, appended to a file that
 * `npm run test:reliability` (scripts/reliability-report.ts) sums into its last line.
 */
export interface Tally {
  readonly case: string;
  readonly badInputsTried?: number;
  readonly badInputsHandled?: number;
  readonly instancesLost?: number;
  readonly wrongImagesDelivered?: number;
}

export const TALLY_FILE = path.resolve(process.cwd(), 'test-output/reliability/tally.jsonl');

export async function recordTally(tally: Tally): Promise<void> {
  await mkdir(path.dirname(TALLY_FILE), { recursive: true });
  await appendFile(TALLY_FILE, `${JSON.stringify(tally)}\n`);
}
