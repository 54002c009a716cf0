/**
 * Seconds from the last instance of a series received by the node to its derived series stored in
 * Orthanc, split into stages (quiet time until routed, waiting in the queue, processing, delivery).
 * The node runs as `npm start` runs it: embedded database and config/node.json, with the real
 * Orthanc of the tests as its PACS. Usage: npm run bench:latency [-- --runs 3] [-- --rule <id>]
 * --rule runs only that rule of config/rules.json, enabled (default: the rules as committed, where
 * the calibrated kernel transfer is the enabled one), e.g. --rule harmonize-sharp-chest-ct-gaussian.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/log.js';
import { startNode, type RunningNode } from '../src/node/start-node.js';
import { freePort, runDcmtk } from '../test/helpers/dcmtk.js';
import { startOrthanc, type OrthancProcess } from '../test/helpers/orthanc.js';
import { waitFor } from '../test/helpers/wait-for.js';

interface Stages {
  total_s: number;
  until_routed_s: number;
  queued_s: number;
  processing_s: number;
  delivery_s: number;
}

interface JobTimes {
  state: string;
  derived_series_uid: string;
  routed_at: Date;
  started_at: Date;
  delivering_at: Date;
  delivered_at: Date;
}

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, rule: { type: 'string' } } });
const seriesDir = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const workDir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-latency-'));
const nodePort = await freePort();
const orthanc = await startOrthanc({ nodeAeTitle: 'CTPREP', nodePort });
const config = await loadConfig(path.resolve('config/node.json'), {});
const rulesFile = values.rule ? await onlyRule(config.rulesFile, values.rule) : config.rulesFile;
const node = await startNode(
  {
    ...config,
    dicom: { ...config.dicom, port: nodePort, callers: [{ aeTitle: 'BENCH', overwrite: 'keep-first' }] },
    api: { ...config.api, port: 0 },
    dataDir: path.join(workDir, 'node'),
    rulesFile,
    destinations: { pacs: { aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort } },
  },
  { log: silentLogger() },
);

const results: Stages[] = [];
try {
  for (let run = 0; run < Number(values.runs); run++) {
    results.push(await measureOnce(node, orthanc, run));
    console.log(`run ${run + 1}: ${JSON.stringify(results.at(-1))}`);
  }
} finally {
  await node.stop();
  await orthanc.stop();
}

const median = (key: keyof Stages) => results.map((result) => result[key]).sort((a, b) => a - b)[Math.floor(results.length / 2)]!;
const summary = Object.fromEntries((Object.keys(results[0]!) as (keyof Stages)[]).map((key) => [key, round(median(key))]));
console.log(`B70f, 30 slices, rule ${values.rule ?? 'as committed (gaussian-soften)'}; quiet time ${config.completion.quietSeconds} s; medians of ${results.length} runs`);
console.log(JSON.stringify({ runs: results.length, rule: values.rule ?? null, quiet_s: config.completion.quietSeconds, ...summary }));

/** A rules file holding only the named rule of the committed one, enabled. */
async function onlyRule(file: string, id: string): Promise<string> {
  const { rules } = JSON.parse(await readFile(file, 'utf8')) as { rules: Array<{ id: string; enabled: boolean }> };
  const rule = rules.find((candidate) => candidate.id === id);
  if (!rule) throw new Error(`no rule ${id} in ${file}; there are ${rules.map((r) => r.id).join(', ')}`);
  const out = path.join(workDir, 'rules.json');
  await writeFile(out, JSON.stringify({ rules: [{ ...rule, enabled: true }] }));
  return out;
}

/** Sends a fresh copy of the series (new UIDs, so it is not a resend) and times its way back. */
async function measureOnce(node: RunningNode, orthanc: OrthancProcess, run: number): Promise<Stages> {
  const copy = path.join(workDir, `series-${run}`);
  const uid = `2.25.${BigInt(Date.now()) * 1000n + BigInt(run)}`;
  await mkdir(copy);
  for (const name of (await readdir(seriesDir)).sort()) {
    const target = path.join(copy, name);
    await copyFile(path.join(seriesDir, name), target);
    const modified = await runDcmtk('dcmodify', ['-nb', '-m', `(0020,000e)=${uid}`, '-gin', target]);
    if (modified.code !== 0) throw new Error(`dcmodify: ${modified.stderr}`);
  }
  const sent = await runDcmtk('storescu', ['-aec', 'CTPREP', '-aet', 'BENCH', '+sd', '127.0.0.1', String(nodePort), copy]);
  if (sent.code !== 0) throw new Error(`storescu: ${sent.stderr}`);
  const lastReceived = Date.now();

  const job = await waitFor(
    'the job to be done',
    async () => {
      const { rows } = await node.db.query<JobTimes>(
        `SELECT j.state, j.derived_series_uid, s.routed_at, j.started_at, d.created_at AS delivering_at, d.delivered_at
           FROM jobs j JOIN series s USING (series_instance_uid) JOIN deliveries d ON d.job_id = j.id
          WHERE j.series_instance_uid = $1`,
        [uid],
      );
      if (rows[0]?.state === 'failed') throw new Error('job failed');
      return rows[0]?.state === 'done' ? rows[0] : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 50 },
  );
  await waitFor('all 30 derived instances in Orthanc', async () => {
    const response = await fetch(`http://127.0.0.1:${orthanc.httpPort}/tools/lookup`, { method: 'POST', body: job.derived_series_uid });
    const [found] = (await response.json()) as { ID: string }[];
    return found && (await orthanc.get<{ Instances: string[] }>(`/series/${found.ID}`)).Instances.length === 30;
  }, { intervalMs: 50 });
  const stored = Date.now();
  const seconds = (from: Date | number, to: Date | number) => (new Date(to).getTime() - new Date(from).getTime()) / 1000;
  return {
    total_s: seconds(lastReceived, stored),
    until_routed_s: seconds(lastReceived, job.routed_at),
    queued_s: seconds(job.routed_at, job.started_at),
    processing_s: seconds(job.started_at, job.delivering_at),
    delivery_s: seconds(job.delivering_at, job.delivered_at),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
