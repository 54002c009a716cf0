/**
 * npm run bench:bulk [-- --copies 68 --rounds 1]
 *
 * Slices per second through the job workers, 1 worker process against 2 (`ctprep worker`, one
 * inference thread each), on one batch of at least 2,000 slices: the shared Siemens A0002 B70f
 * series (30 slices) copied under new UIDs, harmonized by the shipped rules (the calibrated kernel
 * transfer, then the generator v3 shipped for that calibration) and delivered to a dcmtk storescp that discards what it receives. For each run a fresh
 * receiving node (`ctprep start --no-workers`, PostgreSQL) takes in the whole batch first; then the
 * workers start, and the time from the first job started to the last delivery done is measured, so
 * receiving does not compete with the workers. An even number of series, so two workers end
 * together. Also printed: the CPU seconds each kind of process used while the workers ran (with
 * two workers on two cores, what the node, the PACS and PostgreSQL use comes out of the workers'
 * share), and what every other process on the machine used meanwhile (a timing is only worth keeping
 * when that is near 0). With --rounds N, 1 worker and 2 workers run N times each, alternating, and
 * the medians are reported (this VM's speed drifts by about 10 % from one run to the next). Last
 * line: one JSON object.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectPostgres } from '../src/db/postgres.js';
import { copySeriesUnderNewUids } from '../test/helpers/copy-series.js';
import { runDcmtk, startDcmtkServer } from '../test/helpers/dcmtk.js';
import { receivingNodeArgs, startNodeProcess, workerArgs, workerNodeFlags } from '../test/helpers/node-process.js';
import { dropSchemas, testDatabaseUrl } from '../test/helpers/test-database.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { median } from './median.js';

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const SLICES_PER_SERIES = 30;
const { values } = parseArgs({ options: { copies: { type: 'string', default: '68' }, rounds: { type: 'string', default: '1' } } });
const copies = Number(values.copies);
const rounds = Number(values.rounds);

const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc; 0 once it is gone. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  const stat = pid ? await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '') : '';
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.length > 12 ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND : 0;
}

/** CPU seconds of every PostgreSQL process on this machine (its server runs beside the bench). */
async function postgresCpuSeconds(): Promise<number> {
  let total = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'postgres') total += await cpuSeconds(Number(pid));
  }
  return total;
}

/** CPU seconds the whole machine has been busy (every process, user + system + irq) since boot. */
async function machineBusySeconds(): Promise<number> {
  const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

interface RunResult {
  slicesPerSecond: number;
  seconds: number;
  steps: string[];
  /** CPU seconds used while the workers ran, by process kind: where the cores went. */
  cpu: { workers: number; node: number; pacs: number; postgres: number; others: number };
}

async function run(batch: string, workerCount: number): Promise<RunResult> {
  const pacs = await startDcmtkServer('storescp', (port) => ['--ignore', String(port)]);
  const config = {
    rulesFile: path.resolve('config/rules.json'),
    destinations: { pacs: { aeTitle: 'BENCHPACS', host: '127.0.0.1', port: pacs.port } },
    jobs: { concurrency: 1, retryLimit: 1, retryDelaySeconds: 1 },
    inference: { modelsDir: path.resolve('models'), threads: 1, workers: 1 },
  };
  const node = await startNodeProcess({ args: receivingNodeArgs, config, env: { LOG_LEVEL: 'warn' } });
  const db = await connectPostgres({ connectionString: testDatabaseUrl, schema: node.schema });
  const workers = [];
  try {
    const sent = await runDcmtk('storescu', ['-aec', 'CTPREP', '-aet', 'BENCH', '+sd', '+r', '127.0.0.1', String(node.dicomPort), batch], { timeoutMs: 900_000 });
    if (sent.code !== 0) throw new Error(`storescu: ${sent.stderr}`);
    await waitFor('every series routed to a job', async () => {
      const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM jobs');
      return rows[0].count === copies;
    }, { timeoutMs: 120_000, intervalMs: 500 });
    const before = { node: await cpuSeconds(node.pid), pacs: await cpuSeconds(pacs.process.pid), postgres: await postgresCpuSeconds(), machine: await machineBusySeconds() };
    for (let i = 0; i < workerCount; i++) workers.push(startNodeProcess({ args: workerArgs, nodeFlags: workerNodeFlags, shareWith: node, config, env: { LOG_LEVEL: 'warn' } }));
    const started = await Promise.all(workers);
    await waitFor('every derived series delivered', async () => {
      const { rows } = await db.query<{ count: number }>("SELECT count(*)::int AS count FROM jobs WHERE state IN ('done', 'failed')");
      return rows[0].count === copies;
    }, { timeoutMs: 3_600_000, intervalMs: 1000 });
    const { rows } = await db.query<{ seconds: number; failed: number }>(
      `SELECT extract(epoch FROM (SELECT max(delivered_at) FROM deliveries) - min(started_at))::float8 AS seconds,
              count(*) FILTER (WHERE state = 'failed')::int AS failed FROM jobs`,
    );
    if (rows[0].failed > 0) throw new Error(`${rows[0].failed} jobs failed`);
    const steps = await db.query<{ kind: string }>("SELECT DISTINCT step->>'kind' AS kind FROM jobs, jsonb_array_elements(steps) AS step");
    const ours = {
      workers: (await Promise.all(started.map((worker) => cpuSeconds(worker.pid)))).reduce((a, b) => a + b, 0),
      node: (await cpuSeconds(node.pid)) - before.node,
      pacs: (await cpuSeconds(pacs.process.pid)) - before.pacs,
      postgres: (await postgresCpuSeconds()) - before.postgres,
    };
    // Whatever else ran on the machine meanwhile: a timing is only worth keeping when this is near 0.
    const others = (await machineBusySeconds()) - before.machine - Object.values(ours).reduce((a, b) => a + b, 0);
    const cpu = { ...ours, others: Math.max(0, others) };
    await Promise.all(started.map((worker) => worker.stop()));
    const seconds = rows[0].seconds;
    return { slicesPerSecond: (copies * SLICES_PER_SERIES) / seconds, seconds, steps: steps.rows.map((row) => row.kind), cpu };
  } finally {
    await db.close();
    await node.stop();
    await dropSchemas(node.schema, `${node.schema}_queue`);
    await rm(node.dir, { recursive: true, force: true });
    await pacs.stop();
  }
}

console.log(`load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} on ${os.availableParallelism()} cores`);
const batch = await mkdtemp(path.join(os.tmpdir(), 'ctprep-bench-bulk-'));
try {
  for (let i = 0; i < copies; i++) await copySeriesUnderNewUids(SERIES, path.join(batch, `series-${String(i).padStart(3, '0')}`));
  console.log(`${copies} series, ${copies * SLICES_PER_SERIES} slices (${path.basename(SERIES)} under new UIDs)`);
  const describe = (result: RunResult) =>
    `${result.slicesPerSecond.toFixed(1)} slices/s (${result.seconds.toFixed(1)} s; steps ${result.steps.join(', ')}; CPU s: ` +
    Object.entries(result.cpu).map(([name, value]) => `${name} ${value.toFixed(1)}`).join(', ') + ')';
  const rates: Record<1 | 2, number[]> = { 1: [], 2: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const workers of [1, 2] as const) {
      const result = await run(batch, workers);
      rates[workers].push(result.slicesPerSecond);
      console.log(`${rounds > 1 ? `round ${round}, ` : ''}${workers === 1 ? '1 worker: ' : '2 workers:'} ${describe(result)}`);
    }
    if (rounds > 1) console.log(`round ${round}: speed-up ${(rates[2][round - 1] / rates[1][round - 1]).toFixed(2)}`);
  }
  const [one, two] = [median(rates[1]), median(rates[2])];
  const speedup = two / one;
  console.log(`speed-up ${speedup.toFixed(2)}${rounds > 1 ? ` (medians of ${rounds} rounds)` : ''} (target >= 1.7)`);
  console.log(JSON.stringify({ slices: copies * SLICES_PER_SERIES, rounds, slices_per_s_1: Number(one.toFixed(2)), slices_per_s_2: Number(two.toFixed(2)), speedup: Number(speedup.toFixed(3)) }));
} finally {
  await rm(batch, { recursive: true, force: true });
}
