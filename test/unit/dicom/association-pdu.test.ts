import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dcmjsDimse from 'dcmjs-dimse';
import {
  APPLICATION_CONTEXT,
  decodeAssociateAccept,
  decodeAssociateReject,
  decodeAssociateRequest,
  encodeAssociateAccept,
  encodeAssociateReject,
  encodeAssociateRequest,
  type AssociateRequestPdu,
} from '../../../src/dicom/association-pdu.js';
import { startDicomListener } from '../../../src/dicom/listener.js';
import { echoDestination } from '../../../src/dicom/sender.js';
import { SopClass, TransferSyntax } from '../../../src/dicom/uids.js';
import { silentLogger } from '../../../src/log.js';
import { freePort } from '../../helpers/dcmtk.js';

const REQUEST: AssociateRequestPdu = {
  calledAeTitle: 'CTPREP',
  callingAeTitle: 'ORTHANC',
  applicationContext: APPLICATION_CONTEXT,
  contexts: [
    { id: 1, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.JpegLosslessSv1, TransferSyntax.ExplicitVrLittleEndian] },
    { id: 3, abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] },
  ],
  userInformation: { maxPduLength: 16384, implementationClassUid: '1.2.3.4', implementationVersionName: 'TEST_1' },
};

describe('association PDUs: written, then read back', () => {
  it('A-ASSOCIATE-RQ', () => {
    expect(decodeAssociateRequest(encodeAssociateRequest(REQUEST))).toEqual(REQUEST);
  });

  it('A-ASSOCIATE-AC', () => {
    const accept = {
      calledAeTitle: 'CTPREP',
      callingAeTitle: 'ORTHANC',
      applicationContext: APPLICATION_CONTEXT,
      contexts: [
        { id: 1, result: 0, transferSyntaxUid: TransferSyntax.JpegLosslessSv1 },
        { id: 3, result: 3, transferSyntaxUid: '' },
      ],
      userInformation: { maxPduLength: 262144, implementationClassUid: '2.25.1' },
    };
    const decoded = decodeAssociateAccept(encodeAssociateAccept({ ...accept, contexts: [accept.contexts[0], { ...accept.contexts[1], transferSyntaxUid: TransferSyntax.ImplicitVrLittleEndian }] }));
    expect(decoded).toEqual(accept);
  });

  it('A-ASSOCIATE-RJ', () => {
    expect(decodeAssociateReject(encodeAssociateReject({ result: 2, source: 3, reason: 2 }))).toEqual({ result: 2, source: 3, reason: 2 });
  });

  it('refuses what is malformed, naming the fault', () => {
    const good = encodeAssociateRequest(REQUEST);
    const lengthLies = Buffer.from(good);
    lengthLies.writeUInt32BE(good.length, 2);
    expect(() => decodeAssociateRequest(lengthLies)).toThrow(/length field says/);
    expect(() => decodeAssociateRequest(good.subarray(0, 40))).toThrow(/length field says|shorter than its fixed fields/);
    const itemPastEnd = Buffer.from(good);
    itemPastEnd.writeUInt16BE(0xfff0, 6 + 68 + 2);
    expect(() => decodeAssociateRequest(itemPastEnd)).toThrow(/runs past the end/);
    const evenId = encodeAssociateRequest({ ...REQUEST, contexts: [{ ...REQUEST.contexts[0], id: 2 }] });
    expect(() => decodeAssociateRequest(evenId)).toThrow(/is even/);
    const badUid = encodeAssociateRequest({ ...REQUEST, contexts: [{ ...REQUEST.contexts[0], abstractSyntaxUid: '1.2/../3' }] });
    expect(() => decodeAssociateRequest(badUid)).toThrow(/not a UID/);
    expect(() => encodeAssociateRequest({ ...REQUEST, callingAeTitle: 'A\\B' })).toThrow(/not an AE title/);
  });
});

describe('association PDUs across implementations (dcmjs-dimse)', () => {
  beforeAll(() => dcmjsDimse.log.setLevel('error'));

  it('a dcmjs-dimse client negotiates and echoes with our listener', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pdu-cross-'));
    const listener = await startDicomListener({ aeTitle: 'CTPREP', port: 0, incomingDir: dir, logger: silentLogger() }, { onInstance: async () => undefined });
    try {
      const client = new dcmjsDimse.Client();
      const status = await new Promise<number>((resolve, reject) => {
        const request = new dcmjsDimse.requests.CEchoRequest();
        request.on('response', (response: { getStatus(): number }) => resolve(response.getStatus()));
        client.addRequest(request);
        client.on('networkError', reject);
        client.on('associationRejected', () => reject(new Error('rejected')));
        client.send('127.0.0.1', listener.port, 'DIMSE', 'CTPREP');
      });
      expect(status).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it('our requestor negotiates and echoes with a dcmjs-dimse server', async () => {
    type Association = InstanceType<typeof dcmjsDimse.association.Association>;
    class EchoScp extends dcmjsDimse.Scp {
      override associationRequested(association: Association) {
        for (const { context } of association.getPresentationContexts()) {
          if (context.getAbstractSyntaxUid() === SopClass.Verification) context.setResult(dcmjsDimse.constants.PresentationContextResult.Accept, TransferSyntax.ImplicitVrLittleEndian);
          else context.setResult(dcmjsDimse.constants.PresentationContextResult.RejectAbstractSyntaxNotSupported);
        }
        this.sendAssociationAccept();
      }
      override cEchoRequest(request: InstanceType<typeof dcmjsDimse.requests.CEchoRequest>, callback: (response: InstanceType<typeof dcmjsDimse.responses.CEchoResponse>) => void) {
        const response = dcmjsDimse.responses.CEchoResponse.fromRequest(request);
        response.setStatus(dcmjsDimse.constants.Status.Success);
        callback(response);
      }
      override associationReleaseRequested() {
        this.sendAssociationReleaseResponse();
      }
    }
    const port = await freePort();
    const server = new dcmjsDimse.Server(EchoScp);
    server.listen(port);
    try {
      await expect(echoDestination('CTPREP', { aeTitle: 'DIMSE', host: '127.0.0.1', port }, 10_000)).resolves.toBeUndefined();
    } finally {
      server.close();
    }
  });
});
