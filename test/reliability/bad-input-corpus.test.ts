/**
 * Issue 9, items 2, 6 and the bad-input corpus: every malformed or hostile C-STORE is answered with
 * its failure status before anything is stored (no Success followed by a quiet set-aside), nothing
 * of it reaches the spool or the index, and the node, a real process, goes on serving.
 */
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { DimseStatus } from '../../src/dicom/dimse-status.js';
import { ScuAssociation } from '../../src/dicom/scu-association.js';
import { SopClass, TransferSyntax } from '../../src/dicom/uids.js';
import { runDcmtk } from '../helpers/dcmtk.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { dropSchemas } from '../helpers/test-database.js';
import { badInputCorpus, type BadInput } from './bad-inputs.js';
import { recordTally } from './tally.js';

const SLICE = path.resolve(process.cwd(), '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const CONTEXTS = [
  { abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.ExplicitVrLittleEndian] },
  { abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] },
  { abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.JpegLosslessSv1] },
  { abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] },
];

let node: NodeProcess;
let corpus: BadInput[];

beforeAll(async () => {
  const first = (await readdir(SLICE)).filter((name) => name.endsWith('.dcm')).sort()[0];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-corpus-'));
  const compressed = path.join(dir, 'jpeg-lossless.dcm');
  const converted = await runDcmtk('dcmcjpeg', ['+e1', path.join(SLICE, first), compressed]);
  if (converted.code !== 0) throw new Error(`dcmcjpeg failed: ${converted.stderr}`);
  corpus = await badInputCorpus(path.join(SLICE, first), compressed);
  node = await startNodeProcess();
}, 120_000);

afterAll(async () => {
  await node?.stop();
  if (node) await dropSchemas(node.schema, `${node.schema}_queue`);
});

async function open(): Promise<ScuAssociation> {
  return ScuAssociation.open({ aeTitle: 'CTPREP', host: '127.0.0.1', port: node.dicomPort }, { callingAeTitle: 'CORPUS', contexts: CONTEXTS }, 20_000);
}

function contextFor(association: ScuAssociation, transferSyntaxUid: string): number {
  const found = [...association.contexts].find(([, c]) => c.transferSyntaxUid === transferSyntaxUid && c.abstractSyntaxUid === SopClass.CtImageStorage);
  if (!found) throw new Error(`no accepted context for ${transferSyntaxUid}`);
  return found[0];
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('bad-input corpus (issue 9)', () => {
  it('[bad input] 40+ kinds: each answered with its failure status, nothing stored, the node still serving', async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    const outcomes: { name: string; status: number; expected: number }[] = [];
    let association = await open();
    for (const input of corpus) {
      let status = -1;
      try {
        const response = await association.store(
          contextFor(association, input.transferSyntaxUid),
          { sopClassUid: input.sopClassUid, sopInstanceUid: input.sopInstanceUid, datasetLength: input.dataset.length },
          (async function* () {
            yield input.dataset;
          })(),
        );
        status = response.status ?? -1;
      } catch {
        // The node aborted the association: a refusal too, but not the status we expect; open another.
        association = await open();
      }
      outcomes.push({ name: input.name, status, expected: input.expectedStatus });
    }
    await association.release();

    const stored = (await filesUnder(path.join(node.dataDir, 'spool'))).filter((file) => !file.endsWith('.part'));
    const series = (await (await node.api('/api/series')).json()) as { total: number };
    const handled = outcomes.filter((o) => o.status === o.expected).length;
    await recordTally({ case: 'bad-input corpus', badInputsTried: corpus.length, badInputsHandled: stored.length === 0 ? handled : 0 });
    expect(outcomes.filter((o) => o.status !== o.expected).map((o) => `${o.name}: 0x${o.status.toString(16)} (expected 0x${o.expected.toString(16)})`)).toEqual([]);
    expect(stored).toEqual([]);
    expect(series.total).toBe(0);

    // Still serving: C-ECHO, then a good instance is stored.
    const after = await open();
    const echo = await after.echo([...after.contexts].find(([, c]) => c.abstractSyntaxUid === SopClass.Verification)![0]);
    expect(echo).toBe(DimseStatus.Success);
    await after.release();
    const sent = await runDcmtk('storescu', ['-aec', 'CTPREP', '-aet', 'CORPUS', '127.0.0.1', String(node.dicomPort), path.join(SLICE, (await readdir(SLICE)).sort()[0])]);
    expect(sent.code).toBe(0);
  });
});
