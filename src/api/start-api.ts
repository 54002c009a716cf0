import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RunningApi {
  /** The port bound (the free port chosen when asked for port 0). */
  port: number;
  /** Stops accepting connections and closes idle keep-alive ones; resolves when all are closed. */
  close(): Promise<void>;
}

/** Listens on host (default 127.0.0.1; the configuration asks for a token elsewhere) and port (0 picks a free one). */
export async function startApi(app: Express, options: { host?: string; port: number }): Promise<RunningApi> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
