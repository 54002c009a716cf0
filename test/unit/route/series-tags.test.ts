import { InvalidInputError } from '../../../src/errors.js';
import { isOwnOutput } from '../../../src/route/own-output.js';
import { seriesTagsFromHeader } from '../../../src/route/series-tags.js';
import { firstHeader } from './real-headers.js';

const OWN_ROOT = '1.2.826.0.1.3680043.10.999.';
const marks = { uidRoot: '1.2.826.0.1.3680043.10.999', nodeName: 'ct-preprocessing-node' };
const tagsOf = (header: Record<string, unknown>, callingAeTitle: string | undefined) => seriesTagsFromHeader(header, callingAeTitle, isOwnOutput(header, marks));

describe('seriesTagsFromHeader on the real series', () => {
  it('reads the Siemens B70f header', () => {
    const tags = tagsOf(firstHeader('lung-pet-ct-dx-A0002-siemens-B70f'), 'ORTHANC');
    expect(tags).toEqual({
      seriesInstanceUid: '1.3.6.1.4.1.14519.5.2.1.6655.2359.241981550240354690198744362919',
      modality: 'CT',
      convolutionKernel: ['B70f'],
      rows: 512,
      columns: 512,
      sliceThickness: 8,
      manufacturer: 'SIEMENS',
      modelName: 'Sensation 10',
      bodyPartExamined: 'CHEST',
      seriesDescription: 'ThoraxRoutine  8.0.0  B70f',
      protocolName: 'AThoraxRoutine',
      studyDescription: 'Thorax^AThoraxRoutine (Adult)',
      callingAeTitle: 'ORTHANC',
      imageType: ['ORIGINAL', 'PRIMARY', 'AXIAL', 'CT_SOM5 SPI'],
      derivedByNode: false,
    });
  });

  it('reads the Philips L header, which has no BodyPartExamined but names the chest in its protocol and study', () => {
    const tags = tagsOf(firstHeader('lung-pet-ct-dx-A0001-philips-L'), undefined);
    expect(tags).toMatchObject({ modality: 'CT', convolutionKernel: ['L'], manufacturer: 'Philips', sliceThickness: 5, seriesDescription: '5mm', protocolName: '2 Chest C-/Thorax', studyDescription: 'Chest' });
    expect(tags.bodyPartExamined).toBeUndefined();
    expect(tags.callingAeTitle).toBeUndefined();
  });
});

describe('seriesTagsFromHeader', () => {
  const header = { SeriesInstanceUID: '1.2.3', Modality: 'CT ', ConvolutionKernel: ['Br40d', '3'], SliceThickness: '1.50' };

  it('trims strings, splits multi-valued kernels and reads numeric strings', () => {
    const tags = tagsOf({ ...header, ConvolutionKernel: 'Br40d\\3', Rows: '512' }, ' PACS ');
    expect(tags).toMatchObject({ modality: 'CT', convolutionKernel: ['Br40d', '3'], sliceThickness: 1.5, rows: 512, callingAeTitle: 'PACS' });
  });

  it('marks a series under our UID root as our own output', () => {
    expect(tagsOf({ ...header, SeriesInstanceUID: `${OWN_ROOT}7.1` }, 'X').derivedByNode).toBe(true);
  });

  it("marks a series whose DerivationDescription carries our marker as our own output, under any UID root", () => {
    const derived = { ...header, DerivationDescription: 'gaussian-soften sigma 1.0 mm; ct-preprocessing-node 0.1.0' };
    expect(tagsOf(derived, 'X').derivedByNode).toBe(true);
    expect(seriesTagsFromHeader(derived, 'X', isOwnOutput(derived, { ...marks, uidRoot: '2.25' })).derivedByNode).toBe(true);
    expect(tagsOf({ ...header, DerivationDescription: 'vendor MPR' }, 'X').derivedByNode).toBe(false);
  });

  it('marks a series the node recorded as derived as its own output', () => {
    expect(seriesTagsFromHeader(header, 'X', isOwnOutput(header, marks, true)).derivedByNode).toBe(true);
  });

  it('refuses a header without SeriesInstanceUID or with a malformed number', () => {
    expect(() => tagsOf({ Modality: 'CT' }, 'X')).toThrow(InvalidInputError);
    expect(() => tagsOf({ ...header, SliceThickness: 'thin' }, 'X')).toThrow(
      'SliceThickness: expected a number, got "thin"',
    );
  });
});
