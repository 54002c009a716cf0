import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { csvField, csvText, summaryClass, writeRunReport } from '../../../src/cli/run-report.js';

describe('CSV quoting (RFC 4180)', () => {
  it('leaves plain fields alone and writes nothing for a missing value', () => {
    expect(csvField('1.2.840.10008')).toBe('1.2.840.10008');
    expect(csvField(2.5)).toBe('2.5');
    expect(csvField(0)).toBe('0');
    expect(csvField(undefined)).toBe('');
    expect(csvField(null)).toBe('');
  });

  it('quotes a field with a comma, quote, CR or LF and doubles its quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "no"')).toBe('"say ""no"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });

  it('ends every record, the header too, with CRLF', () => {
    expect(csvText(['a', 'b'], [['x,y', 1], [undefined, '"']])).toBe('a,b\r\n"x,y",1\r\n,""""\r\n');
  });
});

it('writes one CSV row per report row, the quality figures as columns, and the rows whole as JSON', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-report-'));
  const rows = [
    {
      studyInstanceUid: '1.2',
      seriesInstanceUid: '1.2.3',
      rule: 'r',
      state: 'done',
      derivedSeriesInstanceUid: '2.25.1',
      steps: [{ kind: 'model', label: 'SOFT-GAN', model: 'm@1.0.0', backend: 'cpu', seconds: 1.234 }],
      seconds: 1.5,
      quality: { slicesSampled: 4, noiseHu: { before: 20, after: 10 }, laa950: { before: null, after: null } },
    },
    { studyInstanceUid: '1.2', seriesInstanceUid: '1.2.4', rule: 'r', state: 'failed', reason: 'bad, "very" bad' },
  ];
  const [csv, json] = await writeRunReport(path.join(dir, 'sub', 'report'), { command: 'test' }, rows);
  const lines = (await readFile(csv!, 'utf8')).split('\r\n');
  expect(lines).toHaveLength(4); // header, two rows, and the empty string after the last CRLF
  expect(lines[1]).toBe('1.2,1.2.3,r,done,,2.25.1,model:SOFT-GAN m@1.0.0 cpu 1.23s,1.5,20,10,,,,');
  expect(lines[2]).toBe('1.2,1.2.4,r,failed,"bad, ""very"" bad",,,,,,,,,');
  expect(JSON.parse(await readFile(json!, 'utf8'))).toEqual({ command: 'test', rows });
  expect(['done', 'already-done', 'no-rule', 'skipped', 'failed'].map(summaryClass)).toEqual(['done', 'skipped', 'skipped', 'skipped', 'failed']);
});
