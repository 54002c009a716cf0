/**
 * The node end to end (issue 2), stage by stage, with real PostgreSQL, real Orthanc (started from
 * the repository's orthanc.json and its Lua script) and dcmtk's storescu:
 * PACS -> node (receive, spool, index) -> series complete -> routed -> job -> derived series -> PACS.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load-config.js';
import { startNode, type RunningNode } from '../../src/node/start-node.js';
import { silentLogger } from '../../src/log.js';
import { dcmjs, readPart10, toArrayBuffer } from '../../src/dicom/file/dcmjs.js';
import { freePort, runDcmtk } from '../helpers/dcmtk.js';
import { startOrthanc, type OrthancProcess } from '../helpers/orthanc.js';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/test-database.js';
import { waitFor } from '../helpers/wait-for.js';
import { writeEnhancedCt } from '../helpers/enhanced-ct.js';

const run = promisify(execFile);
const dataDir = path.resolve(process.cwd(), '../shared/data/ct');
const sharpSeries = path.join(dataDir, 'lung-pet-ct-dx-A0002-siemens-B70f');
const softSeries = path.join(dataDir, 'lung-pet-ct-dx-A0002-siemens-B40f');
const philipsSharpSeries = path.join(dataDir, 'lung-pet-ct-dx-A0001-philips-L');

interface OrthancSeries {
  ID: string;
  Instances: string[];
  MainDicomTags: Record<string, string>;
  ParentStudy: string;
}

let orthanc: OrthancProcess;
let node: RunningNode;
let nodePort: number;
let workDir: string;
const schema = uniqueSchema('e2e');

function nodeConfig(options: { quietSeconds?: number } = {}) {
  return parseConfig({
    dicom: { aeTitle: 'CTPREP', host: '127.0.0.1', port: nodePort, callers: [{ aeTitle: 'TESTSCU' }, { aeTitle: orthanc.aeTitle }] },
    api: { host: '127.0.0.1', port: 0 },
    dataDir: path.join(workDir, 'node'),
    databaseUrl: testDatabaseUrl,
    databaseSchema: schema,
    completion: { quietSeconds: options.quietSeconds ?? 1, checkIntervalMs: 200 },
    rulesFile: path.resolve('config/rules.json'),
    destinations: { pacs: { aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort } },
    jobs: { retryLimit: 1, retryDelaySeconds: 1 },
    delivery: { retryLimit: 3, retryDelaySeconds: 1 },
    inference: { modelsDir: path.resolve('models') },
  });
}

async function storescu(port: number, aeTitle: string, files: string[], extra: string[] = []) {
  const result = await runDcmtk('storescu', ['-aec', aeTitle, '-aet', 'TESTSCU', ...extra, '127.0.0.1', String(port), ...files]);
  if (result.code !== 0) throw new Error(`storescu exited with ${result.code}: ${result.stderr}${result.stdout}`);
}

async function filesOf(folder: string) {
  return (await readdir(folder)).filter((name) => name.endsWith('.dcm')).sort().map((name) => path.join(folder, name));
}

async function studySeries(studyId: string) {
  return orthanc.get<OrthancSeries[]>(`/studies/${studyId}/series`);
}

async function jobsOf(seriesInstanceUid: string) {
  const { rows } = await node.db.query<{ id: string; state: string; error: string | null; output_dir: string | null; derived_series_uid: string | null }>(
    'SELECT id, state, error, output_dir, derived_series_uid FROM jobs WHERE series_instance_uid = $1 ORDER BY created_at',
    [seriesInstanceUid],
  );
  return rows;
}

async function seriesRow(seriesInstanceUid: string) {
  const { rows } = await node.db.query<{ state: string; instance_count: number; routing: { skippedReason?: string; matched: unknown[] } | null }>(
    'SELECT state, instance_count, routing FROM series WHERE series_instance_uid = $1',
    [seriesInstanceUid],
  );
  return rows[0];
}

function readDataset(bytes: Buffer) {
  const dict = readPart10(toArrayBuffer(bytes));
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict) as Record<string, unknown>;
}

async function headerOf(file: string) {
  return readDataset(await readFile(file));
}

/** Pixel data of each derived file keyed by its slice position along z. */
async function pixelsByPosition(folder: string) {
  const result = new Map<string, Buffer>();
  for (const file of await filesOf(folder)) {
    const dataset = await headerOf(file);
    const position = (dataset.ImagePositionPatient as number[]).map((v) => Number(v).toFixed(2)).join(',');
    result.set(position, Buffer.from((dataset.PixelData as ArrayBuffer[])[0]!));
  }
  return result;
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-e2e-'));
  nodePort = await freePort();
  orthanc = await startOrthanc({ nodeAeTitle: 'CTPREP', nodePort });
  node = await startNode(nodeConfig(), { log: silentLogger() });
});

afterAll(async () => {
  await node?.stop();
  await orthanc?.stop();
  await dropSchemas(schema, `${schema}_queue`);
});

/** The B70f series sent through the PACS once; each test that needs its outcome awaits it (in any order). */
let referenceRun: Promise<{ source: Record<string, unknown>; sourceUid: string; derivedUid: string; derivedDir: string }> | undefined;

function sendReferenceSeries() {
  referenceRun ??= (async () => {
    const files = await filesOf(sharpSeries);
    const source = await headerOf(files[0]!);
    const sourceUid = source.SeriesInstanceUID as string;
    await storescu(orthanc.dicomPort, orthanc.aeTitle, files);
    const job = await waitFor('the harmonization job to finish', async () => {
      const [first] = await jobsOf(sourceUid);
      if (first?.state === 'failed') throw new Error(`job failed: ${first.error}`);
      return first?.state === 'done' ? first : undefined;
    }, { timeoutMs: 120_000 });
    return { source, sourceUid, derivedUid: job.derived_series_uid!, derivedDir: job.output_dir! };
  })();
  return referenceRun;
}

describe('a chest CT series through the node', () => {
  it('comes back from the node as a derived series of the same study in the PACS', async () => {
    const { source, sourceUid, derivedUid } = await sendReferenceSeries();

    // Stage 1: Orthanc's Lua forwarded the stable series; the node received and indexed all of it.
    const received = await waitFor('the node to index the B70f series', async () => {
      const row = await seriesRow(sourceUid);
      return row && row.instance_count === 30 && row.state === 'routed' ? row : undefined;
    });
    expect(received.routing?.matched).toHaveLength(1);

    // Stage 2: one job ran its steps and delivered.
    expect(await jobsOf(sourceUid)).toEqual([expect.objectContaining({ state: 'done', derived_series_uid: derivedUid })]);

    // Stage 3: the derived series is in the PACS, in the same study, with 30 instances.
    const studyId = (await findOrthancSeries(sourceUid))!.ParentStudy;
    const derived = await waitFor('the derived series in Orthanc', async () =>
      (await studySeries(studyId)).find((series) => series.MainDicomTags.SeriesInstanceUID === derivedUid && series.Instances.length === 30),
    );
    expect(derived.MainDicomTags.SeriesDescription).not.toEqual(source.SeriesDescription);
    const tags = await orthanc.get<Record<string, string>>(`/instances/${derived.Instances[0]}/simplified-tags`);
    expect(tags.StudyInstanceUID).toBe(source.StudyInstanceUID);
    expect(tags.ImageType).toMatch(/^DERIVED\\SECONDARY/);
    // The shipped rule applies the site calibration shipped in config/calibrations/ for this scanner and kernel.
    // Then the generator v3 shipped for that calibration. Both texts are longer than the 256 characters Orthanc's JSON shows.
    const derivation = await orthanc.tagValue(derived.Instances[0], '0008-2111');
    expect(derivation).toMatch(/^ct-preprocessing-node: Kernel transfer SIEMENS Sensation 10 B70f->B40f \(calibration [0-9a-f]{8}.*then refined: Kernel harmonization by model harmonize-v3-siemens-sensation10-b70f-to-b40f@/);
    expect(await orthanc.tagValue(derived.Instances[0], '0020-4000')).toMatch(/Quality on 8 sampled slices, input -> output, no reference: noise [\d.]+ -> [\d.]+ HU; LAA-950/);

    // Orthanc's Lua script does not forward the node's own output back: once the derived series is
    // stable, the only store job Orthanc ran is the one that sent the source series to the node.
    await waitFor('the derived series to become stable in Orthanc', async () =>
      (await orthanc.get<{ IsStable: boolean }>(`/series/${derived.ID}`)).IsStable,
    );
    const jobs = await orthanc.get<{ Type: string }[]>('/jobs?expand');
    expect(jobs.filter((job) => job.Type === 'DicomModalityStore')).toHaveLength(1);
  });

  it('does not route its own derived series again when it is sent back', async () => {
    const { derivedUid, derivedDir } = await sendReferenceSeries();
    await storescu(nodePort, 'CTPREP', await filesOf(derivedDir));
    const row = await waitFor('the derived series to be indexed and skipped', async () => {
      const found = await seriesRow(derivedUid);
      return found?.state === 'routed' ? found : undefined;
    });
    expect(row.routing?.skippedReason).toMatch(/own output/);
    expect(await jobsOf(derivedUid)).toHaveLength(0);
  });

  it('makes no job for a soft-kernel series that no rule matches', async () => {
    const files = await filesOf(softSeries);
    const uid = (await headerOf(files[0]!)).SeriesInstanceUID as string;
    await storescu(orthanc.dicomPort, orthanc.aeTitle, files);
    const row = await waitFor('the B40f series to be routed', async () => {
      const found = await seriesRow(uid);
      return found?.state === 'routed' && found.instance_count === 30 ? found : undefined;
    });
    expect(row.routing?.matched).toHaveLength(0);
    expect(await jobsOf(uid)).toHaveLength(0);
  });

  /** Waits for the job on another copy of the B70f scan and compares its slices with the first derived series. */
  async function expectSamePixelsAsDerived(seriesUid: string, what: string): Promise<void> {
    const job = await waitFor(`the job on ${what}`, async () => {
      const [first] = await jobsOf(seriesUid);
      if (first?.state === 'failed') throw new Error(`job failed: ${first.error}`);
      return first?.state === 'done' ? first : undefined;
    }, { timeoutMs: 120_000 });
    const fromCopy = await pixelsByPosition(job.output_dir!);
    expect(fromCopy.size).toBe(30);
    const { derivedDir } = await sendReferenceSeries();
    for (const [position, pixels] of await pixelsByPosition(derivedDir)) expect(fromCopy.get(position)?.equals(pixels)).toBe(true);
  }

  it('processes a JPEG-lossless copy to the same pixels as the uncompressed series', async () => {
    const copyDir = path.join(workDir, 'jpeg-lossless');
    await cp(sharpSeries, copyDir, { recursive: true });
    const copyUid = `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`)}`;
    for (const file of await filesOf(copyDir)) {
      // A new series (and new instance UIDs) so the copy is not taken for a resend of the original.
      await run('dcmodify', ['-nb', '-m', `(0020,000e)=${copyUid}`, '-gin', file]);
      await run('dcmcjpeg', [file, file]);
    }
    const compressed = await filesOf(copyDir);
    expect((await run('dcmdump', ['-M', '+P', '0002,0010', compressed[0]!])).stdout).toMatch(/JPEGLossless|1\.2\.840\.10008\.1\.2\.4\.70/);
    await storescu(nodePort, 'CTPREP', compressed, ['-xs']);
    await expectSamePixelsAsDerived(copyUid, 'the JPEG-lossless copy');
  });

  it('processes the same scan sent as one Enhanced CT object to the same pixels', async () => {
    const enhancedUid = `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`)}`;
    const enhancedFile = path.join(workDir, 'enhanced-ct.dcm');
    await writeEnhancedCt(sharpSeries, enhancedFile, { seriesInstanceUid: enhancedUid });
    await storescu(nodePort, 'CTPREP', [enhancedFile]);
    await expectSamePixelsAsDerived(enhancedUid, 'the Enhanced CT object');
  });

  it('finishes a job after the node was restarted between receiving and processing', async () => {
    await node.stop();
    node = await startNode(nodeConfig(), { log: silentLogger(), runWorkers: false });
    // The Philips export says nothing of the body part, and "5mm" in SeriesDescription: the chest rules route it by its ProtocolName.
    const files = await filesOf(philipsSharpSeries);
    const uid = (await headerOf(files[0]!)).SeriesInstanceUID as string;
    await storescu(nodePort, 'CTPREP', files);
    await waitFor('the Philips L series to be routed to a queued job', async () => {
      const [first] = await jobsOf(uid);
      return first?.state === 'queued' ? first : undefined;
    });
    await node.stop();

    node = await startNode(nodeConfig(), { log: silentLogger() });
    const job = await waitFor('the queued job to finish after the restart', async () => {
      const [first] = await jobsOf(uid);
      if (first?.state === 'failed') throw new Error(`job failed: ${first.error}`);
      return first?.state === 'done' ? first : undefined;
    }, { timeoutMs: 120_000 });
    expect(await filesOf(job.output_dir!)).toHaveLength(64);
  });
});

async function findOrthancSeries(seriesInstanceUid: string) {
  const ids = await orthanc.get<string[]>('/series');
  for (const id of ids) {
    const series = await orthanc.get<OrthancSeries>(`/series/${id}`);
    if (series.MainDicomTags.SeriesInstanceUID === seriesInstanceUid) return series;
  }
  return undefined;
}
