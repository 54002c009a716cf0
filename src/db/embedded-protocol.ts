/** Messages between the node and the worker thread that runs embedded Postgres (PGlite). */
export type EmbeddedRequest =
  | { id: number; op: 'query'; text: string; params: unknown[]; tx?: number }
  | { id: number; op: 'exec'; script: string; tx?: number }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

export type EmbeddedReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; message: string; code?: string };
