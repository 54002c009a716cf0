/**
 * `ctprep bulk` (issue 12, item 2) against a real Orthanc holding three shared series of two
 * studies (Siemens B70f and B40f of one acquisition, Philips L of another), without the Lua
 * script that would forward them: a query by kernel C-FINDs and C-MOVEs only the B70f series to
 * the node, which processes it by the shipped rules, delivers the derived series and writes it to
 * the folder tree; a second run moves nothing and says the series was done already. A PACS that
 * cannot reach the node fails each series with its status and the run goes on; a PACS that is
 * down is a clear error of the command.
 */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runBulk } from '../../src/bulk/run-bulk.js';
import { parseConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/log.js';
import { ctprep } from '../helpers/ctprep.js';
import { freePort, runDcmtk } from '../helpers/dcmtk.js';
import { startOrthanc, type OrthancProcess } from '../helpers/orthanc.js';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/test-database.js';

const dataDir = path.resolve(process.cwd(), '../shared/data/ct');
const series = {
  b70f: { folder: 'lung-pet-ct-dx-A0002-siemens-B70f', uid: '1.3.6.1.4.1.14519.5.2.1.6655.2359.241981550240354690198744362919' },
  b40f: { folder: 'lung-pet-ct-dx-A0002-siemens-B40f', uid: '1.3.6.1.4.1.14519.5.2.1.6655.2359.207154000096236603057216610983' },
  philipsL: { folder: 'lung-pet-ct-dx-A0001-philips-L', uid: '1.3.6.1.4.1.14519.5.2.1.6655.2359.257508444832901632590301540805' },
};
const studyA0002 = '1.3.6.1.4.1.14519.5.2.1.6655.2359.104855313699639828167809534834';

let orthanc: OrthancProcess;
let nodePort: number;
let workDir: string;
let db: pg.Client;
const schema = uniqueSchema('bulk');

function nodeConfig() {
  return parseConfig({
    dicom: { aeTitle: 'CTPREP', host: '127.0.0.1', port: nodePort },
    api: { host: '127.0.0.1', port: 0 },
    dataDir: path.join(workDir, 'node'),
    databaseUrl: testDatabaseUrl,
    databaseSchema: schema,
    completion: { quietSeconds: 1, checkIntervalMs: 200 },
    rulesFile: path.resolve('config/rules.json'),
    destinations: { pacs: { aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort } },
    jobs: { retryLimit: 1, retryDelaySeconds: 1 },
    delivery: { retryLimit: 3, retryDelaySeconds: 1 },
    inference: { modelsDir: path.resolve('models') },
  });
}

async function sliceFiles(folder: string, count: number): Promise<string[]> {
  const names = (await readdir(path.join(dataDir, folder))).filter((name) => name.endsWith('.dcm')).sort();
  return names.slice(0, count).map((name) => path.join(dataDir, folder, name));
}

async function storeInOrthanc(files: string[]): Promise<void> {
  const result = await runDcmtk('storescu', ['-aec', orthanc.aeTitle, '-aet', 'TESTSCU', '127.0.0.1', String(orthanc.dicomPort), ...files]);
  if (result.code !== 0) throw new Error(`storescu exited with ${result.code}: ${result.stderr}${result.stdout}`);
}

async function nodeRows() {
  const instances = await db.query<{ series_instance_uid: string; count: number; last: Date }>(
    `SELECT series_instance_uid, count(*)::int AS count, max(received_at) AS last FROM "${schema}".instances GROUP BY series_instance_uid ORDER BY 1`,
  );
  const jobs = await db.query<{ id: string; state: string; derived_series_uid: string }>(`SELECT id, state, derived_series_uid FROM "${schema}".jobs ORDER BY created_at`);
  return { instances: instances.rows, jobs: jobs.rows };
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-bulk-'));
  nodePort = await freePort();
  orthanc = await startOrthanc({ nodeAeTitle: 'CTPREP', nodePort, forwardToNode: false });
  await storeInOrthanc([
    ...(await sliceFiles(series.b70f.folder, 30)),
    ...(await sliceFiles(series.b40f.folder, 6)),
    ...(await sliceFiles(series.philipsL.folder, 6)),
  ]);
  db = new pg.Client({ connectionString: testDatabaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await orthanc?.stop();
  await dropSchemas(schema, `${schema}_queue`);
});

describe('ctprep bulk from a PACS', () => {
  const out = () => path.join(workDir, 'out');
  const query = 'Modality=CT StudyDate=20070101-20071231 ConvolutionKernel=B70f';

  it('moves only the series the kernel selects, processes and delivers it, and writes it to the folder tree', async () => {
    const found: string[] = [];
    const report = await runBulk({ config: nodeConfig(), from: 'pacs', query, out: out(), log: silentLogger(), onFound: (list) => found.push(...list.map((s) => s.seriesInstanceUid)) });

    expect(found).toEqual([series.b70f.uid]);
    expect(report.items).toHaveLength(1);
    const [item] = report.items;
    expect(item).toMatchObject({ outcome: 'done', moved: true, series: { seriesInstanceUid: series.b70f.uid, studyInstanceUid: studyA0002, patientId: 'Lung_Dx-A0002', convolutionKernel: 'B70f', instanceCount: 30 } });
    expect(report.counts).toEqual({ done: 1, 'already-done': 0, skipped: 0, failed: 0 });

    // Only the B70f series reached the node, whole; its one job ran and delivered.
    const { instances, jobs } = await nodeRows();
    expect(instances.map((row) => [row.series_instance_uid, row.count])).toEqual([[series.b70f.uid, 30]]);
    expect(jobs).toEqual([expect.objectContaining({ state: 'done' })]);
    const derivedUid = jobs[0]!.derived_series_uid;
    expect(item.derived).toEqual([
      {
        ruleId: 'harmonize-sharp-chest-ct',
        seriesInstanceUid: derivedUid,
        dir: path.join(out(), 'Lung_Dx-A0002', studyA0002, derivedUid),
        // How it was made, for the run's report: the calibrated transfer on the CPU, its seconds and quality figures.
        steps: [expect.objectContaining({ kind: 'kernel-transfer', label: 'KT-SOFT', backend: 'cpu', seconds: expect.any(Number) })],
        seconds: expect.any(Number),
        quality: expect.objectContaining({ noiseHu: expect.anything() }),
      },
    ]);
    expect((await readdir(item.derived[0]!.dir!)).filter((name) => name.endsWith('.dcm'))).toHaveLength(30);
    const inPacs = await orthanc.get<{ MainDicomTags: { SeriesInstanceUID: string } }[]>('/series?expand');
    expect(inPacs.map((s) => s.MainDicomTags.SeriesInstanceUID)).toContain(derivedUid);
  });

  it('moves nothing on a second run and reports the series as done already', async () => {
    const before = await nodeRows();
    const report = await runBulk({ config: nodeConfig(), from: 'pacs', query, out: out(), log: silentLogger() });

    expect(report.moved).toBe(0);
    expect(report.items).toEqual([expect.objectContaining({ outcome: 'already-done', moved: false })]);
    expect(report.counts).toEqual({ done: 0, 'already-done': 1, skipped: 0, failed: 0 });
    expect(report.items[0]!.detail).toMatch(/1 derived series \(harmonize-sharp-chest-ct\), 0 written to the folder tree now/);
    expect(await nodeRows()).toEqual(before);
  });

  it('fails each series the PACS cannot deliver, with its status, and goes on to the next', async () => {
    // The PACS now has the node at a port where nothing listens.
    const deadPort = await freePort();
    const response = await fetch(`http://127.0.0.1:${orthanc.httpPort}/modalities/ctprep`, {
      method: 'PUT',
      body: JSON.stringify({ AET: 'CTPREP', Host: '127.0.0.1', Port: deadPort }),
    });
    expect(response.ok).toBe(true);
    try {
      const report = await runBulk({ config: nodeConfig(), from: 'pacs', query: 'ConvolutionKernel=B40f,L', log: silentLogger(), concurrency: 1 });
      expect(report.items.map((item) => item.series.seriesInstanceUid).sort()).toEqual([series.b40f.uid, series.philipsL.uid].sort());
      for (const item of report.items) {
        expect(item).toMatchObject({ outcome: 'failed', moved: false });
        expect(item.detail).toMatch(/^C-MOVE status 0x[0-9a-f]{4}: .*does the PACS know AE CTPREP as a DICOM node at 127\.0\.0\.1:\d+/);
      }
      expect((await nodeRows()).instances.map((row) => row.series_instance_uid)).toEqual([series.b70f.uid]);
    } finally {
      await fetch(`http://127.0.0.1:${orthanc.httpPort}/modalities/ctprep`, { method: 'PUT', body: JSON.stringify({ AET: 'CTPREP', Host: '127.0.0.1', Port: nodePort }) });
    }
  });

  it('says clearly, as a command, that a PACS is down, and that a query key is unknown', async () => {
    const configFile = path.join(workDir, 'bulk-config.json');
    await writeFile(configFile, JSON.stringify({ dataDir: path.join(workDir, 'cli-node') }));
    const deadPort = await freePort();
    const down = await ctprep(['bulk', '--config', configFile, '--from', `PACS@127.0.0.1:${deadPort}`, '--query', 'Modality=CT']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`ctprep: DICOM peer PACS at 127\\.0\\.0\\.1:${deadPort}: cannot connect`));

    const unknown = await ctprep(['bulk', '--config', configFile, '--from', `PACS@127.0.0.1:${deadPort}`, '--query', 'Modality=CT Kernel=B70f']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ctprep: invalid --query: unknown key Kernel/);
  });
});
