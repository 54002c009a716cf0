import { answerAssociation, describeAnswer } from '../../../src/dicom/negotiation-policy.js';
import { ACCEPTED_TRANSFER_SYNTAXES, DEFAULT_ACCEPTED_STORAGE_CLASSES, SopClass, TransferSyntax } from '../../../src/dicom/uids.js';

const policy = {
  aeTitle: 'NODE',
  checkCalledAeTitle: true,
  acceptedSopClasses: DEFAULT_ACCEPTED_STORAGE_CLASSES,
  acceptedTransferSyntaxes: ACCEPTED_TRANSFER_SYNTAXES,
};

function request(contexts: { id: number; abstractSyntaxUid: string; transferSyntaxUids: string[] }[], calledAeTitle = 'NODE') {
  return { callingAeTitle: 'PACS', calledAeTitle, contexts };
}

describe('answerAssociation', () => {
  it("accepts CT storage in the requestor's first supported transfer syntax", () => {
    const answer = answerAssociation(
      request([
        {
          id: 1,
          abstractSyntaxUid: SopClass.CtImageStorage,
          transferSyntaxUids: ['1.2.840.10008.1.2.4.50', TransferSyntax.JpegLosslessSv1, TransferSyntax.ExplicitVrLittleEndian],
        },
        { id: 3, abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] },
        { id: 5, abstractSyntaxUid: SopClass.EnhancedCtImageStorage, transferSyntaxUids: [TransferSyntax.RleLossless] },
      ]),
      policy,
    );
    expect(answer).toEqual({
      kind: 'accept',
      contexts: [
        { id: 1, abstractSyntaxUid: SopClass.CtImageStorage, accepted: true, transferSyntaxUid: TransferSyntax.JpegLosslessSv1 },
        { id: 3, abstractSyntaxUid: SopClass.Verification, accepted: true, transferSyntaxUid: TransferSyntax.ImplicitVrLittleEndian },
        { id: 5, abstractSyntaxUid: SopClass.EnhancedCtImageStorage, accepted: true, transferSyntaxUid: TransferSyntax.RleLossless },
      ],
    });
  });

  it('refuses other SOP classes and unsupported transfer syntaxes, context by context', () => {
    const answer = answerAssociation(
      request([
        { id: 1, abstractSyntaxUid: SopClass.MrImageStorage, transferSyntaxUids: [TransferSyntax.ExplicitVrLittleEndian] },
        { id: 3, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: ['1.2.840.10008.1.2.4.50'] },
      ]),
      policy,
    );
    expect(answer.kind === 'accept' && answer.contexts.map((c) => (c.accepted ? 'accepted' : c.reason))).toEqual([
      'abstract-syntax-not-supported',
      'transfer-syntaxes-not-supported',
    ]);
  });

  it('rejects an association addressed to another AE title unless told not to check', () => {
    const proposed = request([{ id: 1, abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] }], 'OTHER');
    expect(answerAssociation(proposed, policy)).toMatchObject({ kind: 'reject', reason: 'called-ae-not-recognized' });
    expect(answerAssociation(proposed, { ...policy, checkCalledAeTitle: false }).kind).toBe('accept');
  });

  it('rejects a request that proposes no presentation context (issue 9, item 7)', () => {
    expect(answerAssociation(request([]), policy)).toMatchObject({ kind: 'reject', reason: 'no-presentation-context' });
  });

  it('lets in only the callers configured, from their addresses when given (issue 9, item 10)', () => {
    const callers = [
      { aeTitle: 'PACS', addresses: ['10.0.0.5'], overwrite: 'keep-first' as const },
      { aeTitle: 'MODALITY', overwrite: 'replace' as const },
    ];
    const verification = [{ id: 1, abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] }];
    const ask = (callingAeTitle: string, remoteAddress: string) => answerAssociation({ callingAeTitle, calledAeTitle: 'NODE', contexts: verification, remoteAddress }, { ...policy, callers });
    expect(ask('PACS', '10.0.0.5')).toMatchObject({ kind: 'accept', caller: { aeTitle: 'PACS' } });
    expect(ask('PACS', '::ffff:10.0.0.5')).toMatchObject({ kind: 'accept' });
    expect(ask('PACS', '10.0.0.6')).toMatchObject({ kind: 'reject', reason: 'calling-ae-not-recognized' });
    expect(ask('MODALITY', '192.168.1.9')).toMatchObject({ kind: 'accept', caller: { overwrite: 'replace' } });
    expect(ask('STRANGER', '10.0.0.5')).toMatchObject({ kind: 'reject', reason: 'calling-ae-not-recognized', detail: expect.stringContaining('STRANGER') });
    expect(answerAssociation({ callingAeTitle: 'ANYONE', calledAeTitle: 'NODE', contexts: verification }, { ...policy, callers: [{ aeTitle: '*', overwrite: 'keep-first' }] }).kind).toBe('accept');
  });

  it('accepts MR only when configured', () => {
    const proposed = request([
      { id: 1, abstractSyntaxUid: SopClass.MrImageStorage, transferSyntaxUids: [TransferSyntax.ExplicitVrLittleEndian] },
    ]);
    const answer = answerAssociation(proposed, { ...policy, acceptedSopClasses: [SopClass.MrImageStorage] });
    expect(answer.kind === 'accept' && answer.contexts[0].accepted).toBe(true);
  });
});

describe('describeAnswer', () => {
  it('lists each refused abstract syntax once, and warns when no storage class was accepted', () => {
    const proposed = request([
      { id: 1, abstractSyntaxUid: SopClass.MrImageStorage, transferSyntaxUids: [TransferSyntax.ExplicitVrLittleEndian] },
      { id: 3, abstractSyntaxUid: SopClass.MrImageStorage, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] },
      { id: 5, abstractSyntaxUid: SopClass.Verification, transferSyntaxUids: [TransferSyntax.ImplicitVrLittleEndian] },
    ]);
    const summary = describeAnswer(proposed, answerAssociation(proposed, policy), 'NODE');
    expect(summary.level).toBe('warn');
    expect(summary.fields).toMatchObject({ accepted: 1, refusedAbstractSyntaxes: [SopClass.MrImageStorage] });
    const withCt = request([
      ...proposed.contexts,
      { id: 7, abstractSyntaxUid: SopClass.CtImageStorage, transferSyntaxUids: [TransferSyntax.ExplicitVrLittleEndian] },
    ]);
    expect(describeAnswer(withCt, answerAssociation(withCt, policy), 'NODE').level).toBe('info');
  });
});
