/**
 * Ingest benchmark: the 269-slice TCGA-THCA series sent by dcmtk storescu to the node's DICOM
 * listener and, in the same run, to dcmtk storescp (default options), alternating, a few rounds
 * each; prints MB/s (10^6 bytes of files per second of storescu wall time) per run, the medians
 * and their ratio, and as its last line one JSON object { node_MBps, storescp_MBps, ratio }.
 *
 *   npm run bench:ingest            (BENCH_ROUNDS=5 for more rounds)
 *
 * The node side is durable: every instance is fsynced (file and directory) before the handler
 * runs, and the handler renames it into a spool folder and fsyncs that folder before the C-STORE
 * is answered. storescp's defaults do not fsync.
 */
import { readdir, mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startDicomListener } from '../src/dicom/listener.js';
import { runDcmtk, startDcmtkServer } from '../test/helpers/dcmtk.js';

/** The node as a receiver; the integrator swaps in the full node (spool + database index) here. */
export async function startNodeReceiver(workDir: string): Promise<{ port: number; close(): Promise<void> }> {
  const spoolDir = path.join(workDir, 'spool');
  await mkdir(spoolDir, { recursive: true });
  const spool = await open(spoolDir, 'r');
  const quiet = () => undefined;
  const listener = await startDicomListener(
    {
      aeTitle: 'NODE',
      port: 0,
      incomingDir: path.join(workDir, 'incoming'),
      logger: { debug: quiet, info: quiet, warn: quiet, error: (fields, message) => console.error(message, fields) },
    },
    {
      async onInstance(received) {
        await rename(received.path, path.join(spoolDir, path.basename(received.path)));
        await spool.sync();
      },
    },
  );
  return {
    port: listener.port,
    close: async () => {
      await listener.close();
      await spool.close();
    },
  };
}

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/tcga-thca-DE-A4MA-siemens-B30f');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

type Target = 'node' | 'storescp';

interface Run {
  target: Target;
  seconds: number;
  mbps: number;
}

async function seriesBytes(): Promise<{ count: number; bytes: number }> {
  const names = await readdir(SERIES);
  const sizes = await Promise.all(names.map(async (name) => (await stat(path.join(SERIES, name))).size));
  return { count: names.length, bytes: sizes.reduce((sum, size) => sum + size, 0) };
}

async function countFiles(directory: string): Promise<number> {
  return (await readdir(directory)).length;
}

/** dcmtk's storescp with its default options, writing into workDir. */
async function startStorescp(workDir: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = await startDcmtkServer('storescp', (port) => ['-od', workDir, '-aet', 'STORESCP', String(port)]);
  return { port: server.port, close: server.stop };
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
    await receiver.close();
    const received = await countFiles(target === 'node' ? path.join(workDir, 'spool') : workDir);
    if (sent.code !== 0 || received !== series.count) {
      throw new Error(`${target}: storescu exit ${sent.code}, ${received}/${series.count} files received\n${sent.stderr}`);
    }
    return { target, seconds, mbps: series.bytes / 1e6 / seconds };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
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
      console.log(`round ${round + 1} ${target.padEnd(8)} ${run.seconds.toFixed(3)} s  ${run.mbps.toFixed(1)} MB/s`);
    }
  }
  const nodeMbps = median(runs.filter((r) => r.target === 'node').map((r) => r.mbps));
  const storescpMbps = median(runs.filter((r) => r.target === 'storescp').map((r) => r.mbps));
  const ratio = nodeMbps / storescpMbps;
  console.log(`median: node ${nodeMbps.toFixed(1)} MB/s, storescp ${storescpMbps.toFixed(1)} MB/s, ratio ${ratio.toFixed(2)}; load ${load()}`);
  console.log(
    JSON.stringify({
      node_MBps: Number(nodeMbps.toFixed(1)),
      storescp_MBps: Number(storescpMbps.toFixed(1)),
      ratio: Number(ratio.toFixed(3)),
    }),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
