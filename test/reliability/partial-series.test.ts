/**
 * Issue 9, item 4, with real processes (the node, Orthanc, dcmtk's storescu): a partial series
 * never reaches the PACS as if it were whole, and a series that grows after it was processed
 * leaves exactly one complete derived series in the PACS, not the old slices beside the new.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ScuAssociation } from '../../src/dicom/scu-association.js';
import { readPart10Header } from '../../src/dicom/file/part10.js';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { runDcmtk } from '../helpers/dcmtk.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { startOrthanc, type OrthancProcess } from '../helpers/orthanc.js';
import { dropSchemas } from '../helpers/test-database.js';
import { waitFor } from '../helpers/wait-for.js';
import { recordTally } from './tally.js';

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');

let orthanc: OrthancProcess;
let node: NodeProcess;
let files: string[];

/** The slices in table order, so that "the first 15" is a contiguous half of the volume. */
async function slicesInOrder(): Promise<string[]> {
  const names = (await readdir(SERIES)).filter((name) => name.endsWith('.dcm'));
  const withZ = await Promise.all(
    names.map(async (name) => {
      const dump = await runDcmtk('dcmdump', ['+P', '0020,0032', path.join(SERIES, name)]);
      const z = Number(/\[([^\]]*)\]/.exec(dump.stdout)?.[1].split('\\')[2]);
      return { file: path.join(SERIES, name), z };
    }),
  );
  return withZ.sort((a, b) => a.z - b.z).map((entry) => entry.file);
}

async function storescu(subset: string[]): Promise<void> {
  const sent = await runDcmtk('storescu', ['-aec', 'CTPREP', '-aet', 'SCANNER', '127.0.0.1', String(node.dicomPort), ...subset]);
  if (sent.code !== 0) throw new Error(`storescu: ${sent.stderr}`);
}

/** Sends, then aborts the association instead of releasing it: a sender that crashed. */
async function sendAndAbort(subset: string[]): Promise<void> {
  const association = await ScuAssociation.open(
    { aeTitle: 'CTPREP', host: '127.0.0.1', port: node.dicomPort },
    { callingAeTitle: 'SCANNER', contexts: [{ abstractSyntaxUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUids: ['1.2.840.10008.1.2.1'] }] },
    20_000,
  );
  const [id] = [...association.contexts.keys()];
  for (const file of subset) {
    const header = await readPart10Header(file);
    const size = (await stat(file)).size;
    const response = await association.store(
      id!,
      { sopClassUid: header.sopClassUid, sopInstanceUid: header.sopInstanceUid, datasetLength: size - header.datasetOffset },
      createReadStream(file, { start: header.datasetOffset }),
    );
    expect(response.status).toBe(0);
  }
  association.abort();
}

interface OrthancSeries {
  ID: string;
  Instances: string[];
  MainDicomTags: { SeriesInstanceUID: string };
}

async function derivedInOrthanc(): Promise<OrthancSeries[]> {
  return orthanc.get<OrthancSeries[]>('/series?expand');
}

beforeAll(async () => {
  files = await slicesInOrder();
  orthanc = await startOrthanc({ nodeAeTitle: 'CTPREP', nodePort: 1 });
}, 120_000);

afterAll(async () => {
  await node?.stop();
  await orthanc?.stop();
  if (node) await dropSchemas(node.schema, `${node.schema}_queue`);
});

async function startNode(): Promise<NodeProcess> {
  return startNodeProcess({
    config: {
      destinations: { pacs: { aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort, orthancUrl: `http://127.0.0.1:${orthanc.httpPort}` } },
      // An interrupted send waits 8 s for the sender to try again (600 s by default).
      completion: { quietSeconds: 1, checkIntervalMs: 200, unconfirmedQuietSeconds: 8 },
    },
  });
}

describe('partial series (issue 9)', () => {
  it('[fault] a series sent as 15 slices, then as all 30, leaves exactly one complete derived series of 30 in the PACS', async () => {
    node = await startNode();
    await storescu(files.slice(0, 15));
    const first = await waitFor('the 15-slice derived series in Orthanc', async () => {
      const series = await derivedInOrthanc();
      return series.length === 1 && series[0].Instances.length === 15 && series[0];
    }, { timeoutMs: 90_000 });
    await storescu(files);
    const after = await waitFor('one derived series of 30 in Orthanc', async () => {
      const series = await derivedInOrthanc();
      return series.length === 1 && series[0].Instances.length === 30 && series;
    }, { timeoutMs: 120_000 });
    expect(after[0].MainDicomTags.SeriesInstanceUID).not.toBe(first.MainDicomTags.SeriesInstanceUID);
    await recordTally({ case: '15 then 30 slices', wrongImagesDelivered: after.length === 1 ? 0 : after.length - 1, instancesLost: 0 });
  }, 300_000);

  it('[fault] a send aborted after 15 slices is not routed as if whole; the resend of all 30 is', async () => {
    await node?.stop();
    await orthanc.stop();
    orthanc = await startOrthanc({ nodeAeTitle: 'CTPREP', nodePort: 1 });
    node = await startNode();
    await sendAndAbort(files.slice(15));
    // Quiet time (1 s) and more pass; the interrupted series waits for its sender.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const waiting = (await (await node.api('/api/series')).json()) as { series: { state: string }[] };
    expect(waiting.series.map((s) => s.state)).toEqual(['receiving']);
    expect(await derivedInOrthanc()).toEqual([]);
    await storescu(files);
    const after = await waitFor('one derived series of 30 in Orthanc', async () => {
      const series = await derivedInOrthanc();
      return series.length === 1 && series[0].Instances.length === 30 && series;
    }, { timeoutMs: 120_000 });
    expect(after).toHaveLength(1);
    await recordTally({ case: 'aborted send', wrongImagesDelivered: 0, instancesLost: 0 });
  }, 300_000);
});
