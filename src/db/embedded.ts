import type { Database, Queryable, QueryResult } from './database.js';
import type { EmbeddedReply, EmbeddedRequest } from './embedded-protocol.js';
import { startModuleWorker } from '../worker-thread.js';
import { UnavailableError } from '../errors.js';

type Request = EmbeddedRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * Embedded Postgres (PGlite, Postgres compiled to WebAssembly) in a data folder, so that a first
 * run needs no database server. It runs in a worker thread (see embedded-worker.ts) and serves the
 * same migrations and the same pg-boss queue as PostgreSQL.
 */
export async function openEmbeddedDatabase(dataDir: string): Promise<Database> {
  const worker = startModuleWorker(import.meta.url, 'embedded-worker', { dataDir });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let failure: Error | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (reply: EmbeddedReply) => {
      if (reply.id === 0) return resolve();
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.ok) waiting?.resolve(reply.value);
      else waiting?.reject(Object.assign(new Error(reply.message), { code: reply.code }));
    });
    worker.on('error', (error) => {
      failure = new UnavailableError(`embedded database stopped: ${error.message}`, error);
      reject(failure);
      for (const waiting of pending.values()) waiting.reject(failure);
      pending.clear();
    });
  });
  await ready;

  const call = <T>(request: Request): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, id } as EmbeddedRequest);
    });
  };
  const queryable = (tx?: number): Queryable => ({
    query: <Row>(text: string, params?: readonly unknown[]) =>
      call<QueryResult<Row>>({ op: 'query', text, params: [...(params ?? [])], tx }),
  });

  return {
    kind: 'embedded',
    ...queryable(),
    exec: (script) => call<Record<string, unknown>[]>({ op: 'exec', script }),
    async transaction(work) {
      const tx = await call<number>({ op: 'begin' });
      let result;
      try {
        result = await work(queryable(tx));
      } catch (error) {
        await call({ op: 'end', tx, commit: false });
        throw error;
      }
      await call({ op: 'end', tx, commit: true });
      return result;
    },
    async close() {
      await call({ op: 'close' });
      await worker.terminate();
    },
  };
}
