import { checkDecodable, type FrameInfo } from '../../../../src/dicom/file/decode-pixels.js';

const frame: FrameInfo = {
  path: 'enhanced.dcm',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  rows: 4,
  columns: 4,
  samplesPerPixel: 1,
  photometricInterpretation: 'MONOCHROME2',
  pixelFormat: { bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, rescaleSlope: 1, rescaleIntercept: -1024 },
  frame: { number: 2, count: 3 },
};

describe('checkDecodable', () => {
  it('takes native multi-frame pixel data and refuses compressed multi-frame, naming the transfer syntax', () => {
    expect(() => checkDecodable(frame)).not.toThrow();
    expect(() => checkDecodable({ ...frame, transferSyntaxUid: '1.2.840.10008.1.2.5' })).toThrow(
      /enhanced\.dcm: compressed multi-frame pixel data \(1\.2\.840\.10008\.1\.2\.5\) is not supported yet/,
    );
    expect(() => checkDecodable({ ...frame, frame: undefined, transferSyntaxUid: '1.2.840.10008.1.2.5' })).not.toThrow();
  });
});
