import { parentPort, workerData } from 'node:worker_threads';
import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { EmbeddedReply, EmbeddedRequest } from './embedded-protocol.js';

/**
 * Embedded Postgres in its own thread: PGlite runs its WebAssembly and its file system calls
 * synchronously, which would otherwise stall the DICOM listener and the API for every statement.
 */
const port = parentPort!;
const { dataDir } = workerData as { dataDir: string };
await mkdir(dataDir, { recursive: true });
const pglite = new PGlite(dataDir);
await pglite.waitReady;

interface OpenTransaction {
  tx: Transaction;
  end(commit: boolean): void;
  done: Promise<void>;
}
const transactions = new Map<number, OpenTransaction>();
let nextTransaction = 1;
const rollback = Symbol('rollback');

function reply(message: EmbeddedReply) {
  port.postMessage(message);
}

async function handle(request: EmbeddedRequest): Promise<unknown> {
  switch (request.op) {
    case 'query': {
      const target = request.tx ? transactionFor(request.tx).tx : pglite;
      const result = await target.query(request.text, request.params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    }
    case 'exec': {
      const target = request.tx ? transactionFor(request.tx).tx : pglite;
      const results = await target.exec(request.script);
      return results.at(-1)?.rows ?? [];
    }
    case 'begin':
      return begin();
    case 'end': {
      const open = transactionFor(request.tx);
      open.end(request.commit);
      await open.done;
      return null;
    }
    case 'close':
      await pglite.close();
      return null;
  }
}

/** Opens a PGlite transaction that stays open until the node sends 'end' for it. */
function begin(): Promise<number> {
  const id = nextTransaction++;
  return new Promise((resolveBegun, rejectBegun) => {
    let end!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => (end = resolve));
    const done = pglite
      .transaction(async (tx) => {
        transactions.set(id, { tx, end, done });
        resolveBegun(id);
        if (!(await decided)) throw rollback;
      })
      .then(
        () => undefined,
        (error: unknown) => {
          if (error !== rollback) throw error;
        },
      )
      .finally(() => transactions.delete(id));
    done.catch(rejectBegun);
  });
}

function transactionFor(id: number): OpenTransaction {
  const open = transactions.get(id);
  if (!open) throw new Error(`no open transaction ${id}`);
  return open;
}

port.on('message', (request: EmbeddedRequest) => {
  handle(request).then(
    (value) => reply({ id: request.id, ok: true, value }),
    (error: unknown) => {
      const { message, code } = error as { message?: string; code?: string };
      reply({ id: request.id, ok: false, message: message ?? String(error), code });
    },
  );
});
port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies EmbeddedReply);
