/**
 * Ingest benchmark: the 269-slice TCGA-THCA series sent by dcmtk storescu to the node's DICOM
 * listener and, in the same run, to dcmtk storescp (default options), alternating, a few rounds
 * each; prints MB/s (10^6 bytes of files per second of storescu wall time) per run, the medians
 * and their ratio, and as its last line one JSON object { node_MBps, storescp_MBps, ratio }.
 *
 *   npm run bench:ingest            (BENCH_ROUNDS=5 for more rounds)
 *
 * The node side is the real node: every instance is renamed into the spool, fsynced (file and
 * folder) and indexed in the database before the C-STORE is answered. storescp's defaults do not
 * fsync.
 */
import { readdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/log.js';
import { startNode } from '../src/node/start-node.js';
import { runDcmtk, startDcmtkServer } from '../test/helpers/dcmtk.js';
import { median } from './median.js';

/**
 * The node as `npm start` runs it, less its processing workers: listener, durable spool, index in
 * the database (embedded Postgres, or PostgreSQL when BENCH_DATABASE_URL is set) and series
 * completion. received() counts the instances the index holds.
 */
export async function startNodeReceiver(workDir: string): Promise<Receiver> {
  const config = parseConfig({
    dicom: { aeTitle: 'NODE', port: 0, callers: [{ aeTitle: 'STORESCU' }] },
    api: { port: 0 },
    dataDir: workDir,
    rulesFile: path.join(workDir, 'no-rules.json'),
    databaseUrl: process.env.BENCH_DATABASE_URL,
    databaseSchema: process.env.BENCH_DATABASE_URL ? `bench_${process.pid}_${Date.now()}` : undefined,
  });
  const node = await startNode(config, { log: silentLogger(), runWorkers: false });
  return {
    port: node.dicomPort,
    settled: () => node.whenIndexed(),
    async received() {
      const { rows } = await node.db.query<{ count: number }>('SELECT count(*)::int AS count FROM instances');
      return rows[0]?.count ?? 0;
    },
    close: () => node.stop(),
  };
}

interface Receiver {
  port: number;
  /** Resolves when what was received is fully taken in (for the node: indexed in the database). */
  settled(): Promise<void>;
  received(): Promise<number>;
  close(): Promise<void>;
}

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/tcga-thca-DE-A4MA-siemens-B30f');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

type Target = 'node' | 'storescp';

interface Run {
  target: Target;
  seconds: number;
  /** Bytes per second of storescu's wall time: what the sender sees. */
  mbps: number;
  /** Until everything received was also indexed (storescp: same as mbps). */
  settledMbps: number;
}

async function seriesBytes(): Promise<{ count: number; bytes: number }> {
  const names = await readdir(SERIES);
  const sizes = await Promise.all(names.map(async (name) => (await stat(path.join(SERIES, name))).size));
  return { count: names.length, bytes: sizes.reduce((sum, size) => sum + size, 0) };
}

/** dcmtk's storescp with its default options, writing into workDir. */
async function startStorescp(workDir: string): Promise<Receiver> {
  const server = await startDcmtkServer('storescp', (port) => ['-od', workDir, '-aet', 'STORESCP', String(port)]);
  return { port: server.port, settled: async () => undefined, received: async () => (await readdir(workDir)).length, close: server.stop };
}

/** Starts the receiver, times storescu sending the whole series, checks that every file arrived. */
async function timeOneRun(target: Target, series: { count: number; bytes: number }): Promise<Run> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), `bench-ingest-${target}-`));
  try {
    const receiver = target === 'node' ? await startNodeReceiver(workDir) : await startStorescp(workDir);
    const calledAe = target === 'node' ? 'NODE' : 'STORESCP';
    const started = performance.now();
    const sent = await runDcmtk('storescu', ['-aec', calledAe, '+sd', '127.0.0.1', String(receiver.port), SERIES], {
      timeoutMs: 300_000,
    });
    const seconds = (performance.now() - started) / 1000;
    await receiver.settled();
    const settledSeconds = (performance.now() - started) / 1000;
    const received = await receiver.received();
    await receiver.close();
    if (sent.code !== 0 || received !== series.count) {
      throw new Error(`${target}: storescu exit ${sent.code}, ${received}/${series.count} files received\n${sent.stderr}`);
    }
    return { target, seconds, mbps: series.bytes / 1e6 / seconds, settledMbps: series.bytes / 1e6 / settledSeconds };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const series = await seriesBytes();
  const load = () => os.loadavg().map((value) => value.toFixed(2)).join(' ');
  console.log(`series: ${series.count} files, ${(series.bytes / 1e6).toFixed(1)} MB; ${os.cpus().length} CPUs; load ${load()}`);
  await timeOneRun('node', series); // warm-up: page cache, JIT
  await timeOneRun('storescp', series);
  const runs: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order: Target[] = round % 2 === 0 ? ['node', 'storescp'] : ['storescp', 'node'];
    for (const target of order) {
      const run = await timeOneRun(target, series);
      runs.push(run);
      const settled = target === 'node' ? `  (${run.settledMbps.toFixed(1)} MB/s until all indexed)` : '';
      console.log(`round ${round + 1} ${target.padEnd(8)} ${run.seconds.toFixed(3)} s  ${run.mbps.toFixed(1)} MB/s${settled}`);
    }
  }
  const nodeMbps = median(runs.filter((r) => r.target === 'node').map((r) => r.mbps));
  const storescpMbps = median(runs.filter((r) => r.target === 'storescp').map((r) => r.mbps));
  const ratio = nodeMbps / storescpMbps;
  const indexedMbps = median(runs.filter((r) => r.target === 'node').map((r) => r.settledMbps));
  console.log(`median: node ${nodeMbps.toFixed(1)} MB/s, storescp ${storescpMbps.toFixed(1)} MB/s, ratio ${ratio.toFixed(2)}; load ${load()}`);
  console.log(`node until every instance is indexed: ${indexedMbps.toFixed(1)} MB/s (ratio ${(indexedMbps / storescpMbps).toFixed(2)})`);
  console.log(
    JSON.stringify({
      node_MBps: Number(nodeMbps.toFixed(1)),
      storescp_MBps: Number(storescpMbps.toFixed(1)),
      ratio: Number(ratio.toFixed(3)),
      node_indexed_MBps: Number(indexedMbps.toFixed(1)),
    }),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
