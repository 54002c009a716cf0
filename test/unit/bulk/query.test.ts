/**
 * The filter language of `ctprep bulk --query`: what it accepts, the C-FIND identifiers it makes,
 * how answers are checked again, and the errors that name an unknown key or a bad value.
 */
import { InvalidInputError } from '../../../src/errors.js';
import { matchesKernel, matchesSeries, matchesStudy, parseQuery, seriesIdentifier, studyIdentifier } from '../../../src/bulk/query.js';

describe('parseQuery', () => {
  it('reads the filters of the issue into study and series keys', () => {
    const query = parseQuery('StudyDate=20200101-20201231 Modality=CT ConvolutionKernel=B70f StudyDescription=*THORAX* BodyPartExamined=CHEST');
    expect(query).toEqual({
      StudyDate: { from: '20200101', to: '20201231' },
      Modality: 'CT',
      ConvolutionKernel: ['B70f'],
      StudyDescription: '*THORAX*',
      BodyPartExamined: 'CHEST',
    });
    expect(studyIdentifier(query)).toEqual({
      StudyInstanceUID: '',
      PatientID: '',
      StudyDate: '20200101-20201231',
      StudyDescription: '*THORAX*',
      AccessionNumber: '',
      ModalitiesInStudy: 'CT',
    });
    expect(seriesIdentifier(query, '1.2.3')).toEqual({
      StudyInstanceUID: '1.2.3',
      SeriesInstanceUID: '',
      SeriesNumber: '',
      Modality: 'CT',
      BodyPartExamined: 'CHEST',
      SeriesDescription: '',
      ConvolutionKernel: 'B70f',
      NumberOfSeriesRelatedInstances: '',
    });
  });

  it('takes quoted values with spaces, open date ranges and lists of kernels (asked for, then checked here)', () => {
    const query = parseQuery(`StudyDescription="CT THORAX*" StudyDate=20200101- ConvolutionKernel=B70f,B80f SeriesDescription='lung 1.0'`);
    expect(query).toEqual({ StudyDescription: 'CT THORAX*', StudyDate: { from: '20200101' }, ConvolutionKernel: ['B70f', 'B80f'], SeriesDescription: 'lung 1.0' });
    expect(studyIdentifier(query).StudyDate).toBe('20200101-');
    expect(seriesIdentifier(query, '1.2.3').ConvolutionKernel).toBe('');
    expect(studyIdentifier(parseQuery('StudyDate=20200315')).StudyDate).toBe('20200315');
  });

  it.each([
    ['Kernel=B70f Modality=CT', /unknown key Kernel \(known: StudyDate, .*ConvolutionKernel\)/],
    ['StudyDate=20201231-20200101', /StudyDate: the range ends \(20200101\) before it starts \(20201231\)/],
    ['StudyDate=20200230', /StudyDate: 20200230 is not a date/],
    ['StudyDate=2020-01-01', /StudyDate: a date YYYYMMDD or a range/],
    ['StudyDate=-', /StudyDate: a range needs at least one end/],
    ['Modality=ct', /Modality: a code string/],
    ['ConvolutionKernel=B70f\\B80f', /ConvolutionKernel: separate alternatives with commas/],
    ['ConvolutionKernel=B70f,', /ConvolutionKernel\[1\]: /],
    ['StudyInstanceUID=1.2.x', /StudyInstanceUID\[0\]: not a UID/],
    ['Modality=CT Modality=MR', /Modality is given twice/],
    ['Modality CT', /expected Key=Value at "Modality CT"/],
    ['   ', /give at least one filter/],
  ])('refuses %j, naming what is wrong', (text, message) => {
    expect(() => parseQuery(text)).toThrow(InvalidInputError);
    expect(() => parseQuery(text)).toThrow(message);
  });
});

describe('checking what the PACS answers', () => {
  const query = parseQuery('StudyDate=20070101-20071231 StudyDescription=Thorax* Modality=CT BodyPartExamined=CHEST ConvolutionKernel=B7?f,FC5*');

  it('keeps a study inside the date range whose description matches, case-sensitively', () => {
    expect(matchesStudy(query, { StudyDate: '20070425', StudyDescription: 'Thorax^AThoraxRoutine (Adult)' })).toBe(true);
    expect(matchesStudy(query, { StudyDate: '20080101', StudyDescription: 'Thorax' })).toBe(false);
    expect(matchesStudy(query, { StudyDate: '20070425', StudyDescription: 'THORAX' })).toBe(false);
    expect(matchesStudy(query, { StudyDescription: 'Thorax' })).toBe(false);
  });

  it('keeps a series of the modality and body part, and a kernel of the list (any of several values)', () => {
    expect(matchesSeries(query, { Modality: 'CT', BodyPartExamined: 'CHEST' })).toBe(true);
    expect(matchesSeries(query, { Modality: 'PT', BodyPartExamined: 'CHEST' })).toBe(false);
    expect(matchesSeries(query, { Modality: 'CT' })).toBe(false);
    expect(matchesKernel(query, 'B70f')).toBe(true);
    expect(matchesKernel(query, ['FC51', 'AIDR'])).toBe(true);
    expect(matchesKernel(query, 'Br40\\3')).toBe(false);
    expect(matchesKernel(query, 'B40f')).toBe(false);
    expect(matchesKernel(query, undefined)).toBe(false);
    expect(matchesKernel(parseQuery('Modality=CT'), undefined)).toBe(true);
  });
});
