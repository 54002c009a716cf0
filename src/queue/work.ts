import type PgBoss from 'pg-boss';
import type { Attempt } from './retry-policy.js';

export interface Working {
  stop(): Promise<void>;
}

/**
 * Subscribes `concurrency` workers of this process to a queue; each hands one queued item at a
 * time to `handle` (a thrown error is the queue's to retry, see retry-policy.ts).
 */
export async function workOn<Data extends object>(
  boss: PgBoss,
  queue: string,
  settings: { concurrency: number; pollingIntervalSeconds: number },
  handle: (data: Data, attempt: Attempt) => Promise<void>,
): Promise<Working> {
  const options = { includeMetadata: true as const, batchSize: 1, pollingIntervalSeconds: settings.pollingIntervalSeconds };
  const ids: string[] = [];
  for (let i = 0; i < settings.concurrency; i++) ids.push(await boss.work<Data>(queue, options, async ([item]) => handle(item.data, item)));
  return { stop: async () => void (await Promise.all(ids.map((id) => boss.offWork({ id })))) };
}
