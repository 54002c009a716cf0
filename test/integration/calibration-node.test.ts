/**
 * Natural-pair calibration in the running node: a Siemens B70f series arrives, its kernel-transfer
 * rule finds no calibration and the job refuses with that reason; the B40f reconstruction of the
 * same acquisition arrives, the node sees the pair, fits the transfer, serves it on the API and
 * runs the refused job again, which delivers a series within a few HU of the real B40f. Real
 * PostgreSQL, the real node, dcmtk's storescu and storescp.
 */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Calibration } from '../../src/calibrate/calibration.js';
import { readImageHeaders } from '../../src/dicom/file/image-headers.js';
import { describeQuality, type QualityReport } from '../../src/jobs/quality-report.js';
import { openSeries } from '../../src/imaging/load-series.js';
import { compareSeries } from '../../src/imaging/metrics.js';
import { silentLogger } from '../../src/log.js';
import { startNode, type RunningNode } from '../../src/node/start-node.js';
import { freePort, runDcmtk, startDcmtkServer, type RunningServer } from '../helpers/dcmtk.js';
import { dropSchemas, uniqueSchema } from '../helpers/test-database.js';
import { testNodeConfig } from '../helpers/test-node-config.js';
import { waitFor } from '../helpers/wait-for.js';

const data = path.resolve(process.cwd(), '../shared/data/ct');
const sharpDir = path.join(data, 'lung-pet-ct-dx-A0002-siemens-B70f');
const softDir = path.join(data, 'lung-pet-ct-dx-A0002-siemens-B40f');
const schema = uniqueSchema('calibration');
let node: RunningNode;
let pacs: RunningServer;
let received: string;

/** The one job the rule makes (for the sharp series). */
async function theJob(): Promise<{ id: string; state: string; error: string | null } | undefined> {
  const { rows } = await node.db.query<{ id: string; state: string; error: string | null }>('SELECT id, state, error FROM jobs ORDER BY created_at');
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
}

async function api<T>(route: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${node.apiPort}${route}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

beforeAll(async () => {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-calibration-'));
  received = path.join(workDir, 'pacs');
  await mkdir(received);
  const pacsPort = await freePort();
  pacs = await startDcmtkServer('storescp', (port) => ['-od', received, '-aet', 'PACS', String(port)], pacsPort);
  const rulesFile = path.join(workDir, 'rules.json');
  await writeFile(
    rulesFile,
    JSON.stringify({
      rules: [
        {
          id: 'siemens-b70f-to-b40f',
          name: 'Siemens B70f to the site B40f by its calibration',
          match: { modality: 'CT', convolutionKernel: { pattern: '^B70f$' } },
          steps: [{ kind: 'kernel-transfer', options: { targetKernel: 'B40f' } }],
          destinations: ['pacs'],
        },
      ],
    }),
  );
  const config = testNodeConfig(workDir, schema, {
    dicom: { callers: [{ aeTitle: 'STORESCU' }] },
    rulesFile,
    destinations: { pacs: { aeTitle: 'PACS', host: '127.0.0.1', port: pacsPort }, down: { aeTitle: 'DOWN', host: '127.0.0.1', port: await freePort() } },
  });
  node = await startNode(config, { log: silentLogger() });
});

afterAll(async () => {
  await node?.stop();
  await pacs?.stop();
  await dropSchemas(schema, `${schema}_queue`);
});

it('refuses the sharp series until its natural pair arrives, then calibrates and delivers it', async () => {
  expect((await runDcmtk('storescu', ['-aec', 'CTPREP', '+sd', '127.0.0.1', String(node.dicomPort), sharpDir])).code).toBe(0);
  const refused = await waitFor('the job to refuse for want of a calibration', async () => {
    const job = await theJob();
    return job?.state === 'failed' ? job : undefined;
  }, { timeoutMs: 60_000 });
  expect(refused.error).toMatch(/no kernel calibration for SIEMENS Sensation 10 B70f to B40f/);
  expect((await api<{ calibrations: Calibration[] }>('/api/calibrations')).calibrations).toEqual([]);

  expect((await runDcmtk('storescu', ['-aec', 'CTPREP', '+sd', '127.0.0.1', String(node.dicomPort), softDir])).code).toBe(0);
  const calibrations = await waitFor('the pair to be calibrated', async () => {
    const listed = (await api<{ calibrations: Calibration[] }>('/api/calibrations')).calibrations;
    return listed.length > 0 ? listed : undefined;
  }, { timeoutMs: 60_000 });
  expect(calibrations).toHaveLength(1);
  const [calibration] = calibrations;
  expect(calibration).toMatchObject({ sourceKernel: 'B70f', targetKernel: 'B40f', scanner: { manufacturer: 'SIEMENS', modelName: 'Sensation 10' }, provenance: { link: 'frame-of-reference' } });
  expect(calibration.fitQuality.transfer!.maeHu).toBeLessThan(calibration.fitQuality.input!.maeHu / 4);
  expect(await api<Calibration>(`/api/calibrations/${calibration.id}`)).toEqual(calibration);

  await waitFor('the refused job to be run again and delivered', async () => (await theJob())?.state === 'done', { timeoutMs: 90_000 });
  const files = (await readdir(received)).map((name) => path.join(received, name));
  expect(files).toHaveLength(30);
  const derived = (await openSeries(files)).source;
  const soft = (await openSeries((await readdir(softDir)).map((name) => path.join(softDir, name)))).source;
  const quality = await compareSeries(soft, derived);
  expect(quality.maeHu).toBeLessThan(5);

  // The job's own report, without a reference: the soft kernel's lower noise, the lungs' LAA-950, the calibration.
  const job = (await api<{ jobs: { quality: QualityReport; progress: unknown }[] }>('/api/jobs')).jobs[0];
  expect(job.progress).toEqual({ done: 30, total: 30, etaSeconds: null });
  expect(job.quality).toMatchObject({ slicesSampled: 8, calibration: { id: calibration.id, heldBackMaeHu: calibration.fitQuality.transfer!.maeHu } });
  expect(job.quality.noiseHu.after!).toBeLessThan(job.quality.noiseHu.before! / 2);
  expect(job.quality.laa950.after!).toBeLessThan(job.quality.laa950.before!);
  const [header] = await readImageHeaders(files[0]);
  expect(String(header.header.ImageComments)).toContain(describeQuality(job.quality));
  // Each run of the job's step: the refused one (an input error, not retried), then the one that ran.
  const detail = await api<{ errorClass: string | null; stepRuns: Record<string, any>[] }>(`/api/jobs/${refused.id}`);
  expect(detail.errorClass).toBeNull();
  expect(detail.stepRuns).toEqual([
    expect.objectContaining({ run: 2, index: 0, kind: 'kernel-transfer', state: 'done', label: 'KT-B40f', backend: 'cpu', model: null, voxels: 30 * 512 * 512, error: null }),
    expect.objectContaining({ run: 1, index: 0, kind: 'kernel-transfer', state: 'failed', errorClass: 'input', error: expect.stringMatching(/^kernel-transfer: no kernel calibration/) }),
  ]);
  const ran = detail.stepRuns[0];
  expect(ran.busySeconds).toBeGreaterThan(0);
  expect(Date.parse(ran.finishedAt)).toBeGreaterThan(Date.parse(ran.startedAt));
  expect(ran.voxelsPerSecond).toBe(Math.round(ran.voxels / ran.busySeconds));
  const { rows } = await node.db.query<{ action: string }>("SELECT action FROM audit_events WHERE action LIKE 'calibration.%' OR action = 'job.retried' ORDER BY id");
  expect(rows.map((row) => row.action)).toEqual(['calibration.fitted', 'job.retried']);
});

it('renders the finished job\'s key slice: input, output and their difference', async () => {
  const [job] = (await api<{ jobs: { id: string }[] }>('/api/jobs')).jobs;
  const response = await fetch(`http://127.0.0.1:${node.apiPort}/api/jobs/${job!.id}/preview.png?window=mediastinal`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('image/png');
  const png = Buffer.from(await response.arrayBuffer());
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([3 * 512 + 2 * 4, 512]);
  await mkdir('test-output', { recursive: true });
  await writeFile('test-output/job-preview-mediastinal.png', png);
  expect((await fetch(`http://127.0.0.1:${node.apiPort}/api/jobs/${job!.id}/preview.png?window=soft`)).status).toBe(400);
  expect((await fetch(`http://127.0.0.1:${node.apiPort}/api/jobs/00000000-0000-4000-8000-000000000000/preview.png`)).status).toBe(404);
});

it('tests a destination with C-ECHO: the PACS answers, one that is down says why', async () => {
  const echo = async (name: string) => (await fetch(`http://127.0.0.1:${node.apiPort}/api/destinations/${name}/echo`, { method: 'POST' })).json() as Promise<Record<string, unknown>>;
  expect(await echo('pacs')).toMatchObject({ destination: 'pacs', aeTitle: 'PACS', ok: true, milliseconds: expect.any(Number) });
  expect(await echo('down')).toMatchObject({ destination: 'down', ok: false, error: expect.stringMatching(/ECONNREFUSED|refused|connect/i) });
  expect((await fetch(`http://127.0.0.1:${node.apiPort}/api/destinations/nowhere/echo`, { method: 'POST' })).status).toBe(404);
});

it('moved the Prometheus counters where those events happened, and serves every metric the shipped alerts and dashboard use', async () => {
  const metrics = await (await fetch(`http://127.0.0.1:${node.apiPort}/metrics`)).text();
  const value = (line: string) => Number(metrics.match(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm'))?.[1]);
  expect(value('ctprep_instances_received_total{calling_ae="STORESCU"}')).toBe(60);
  expect(value('ctprep_received_bytes_total{calling_ae="STORESCU"}')).toBeGreaterThan(60 * 500_000);
  expect(value('ctprep_associations_total{outcome="released"}')).toBe(2);
  expect(value('ctprep_series_completed_total')).toBe(2);
  expect(value('ctprep_jobs_total{rule="siemens-b70f-to-b40f",outcome="failed"}')).toBe(1);
  expect(value('ctprep_jobs_total{rule="siemens-b70f-to-b40f",outcome="succeeded"}')).toBe(1);
  expect(value('ctprep_derived_slices_total{rule="siemens-b70f-to-b40f"}')).toBe(30);
  expect(value('ctprep_job_processing_seconds_count{rule="siemens-b70f-to-b40f",steps="kernel-transfer"}')).toBe(1);
  expect(value('ctprep_step_seconds_count{kind="kernel-transfer",backend="cpu"}')).toBe(1);
  expect(value('ctprep_step_voxels_per_second_count{kind="kernel-transfer",backend="cpu"}')).toBe(1);
  expect(value('ctprep_step_voxels_per_second_sum{kind="kernel-transfer",backend="cpu"}')).toBeGreaterThan(1e5);
  expect(value('ctprep_deliveries_total{destination="pacs",outcome="succeeded"}')).toBe(1);
  expect(value('ctprep_oldest_queued_job_age_seconds')).toBe(0);
  expect(value('ctprep_disk_free_bytes{folder="spool"}')).toBeGreaterThan(0);

  // Every metric the shipped alert rules and Grafana dashboard use is one the node serves.
  for (const file of ['docker/monitoring/alerts.yml', 'docker/monitoring/grafana-dashboard.json']) {
    const used = new Set((await readFile(file, 'utf8')).match(/ctprep_[a-z_]+/g));
    expect(used.size).toBeGreaterThan(3);
    for (const name of used) expect([file, name, metrics.includes(`\n${name}`)]).toEqual([file, name, true]);
  }
});
