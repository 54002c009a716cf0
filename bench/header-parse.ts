/**
 * Milliseconds per instance to read the header tags ingest indexes: dicom-parser (what ingest
 * uses, src/dicom/file/index-tags.ts) against dcmjs's full parse and naturalization (what it
 * used before), on the same in-memory 64 KiB file prefixes of the 269-slice CT, 5 rounds each,
 * alternating. Usage: npm run bench:header
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { dcmjs, PIXEL_DATA_TAG, readPart10, toArrayBuffer } from '../src/dicom/file/dcmjs.js';
import { parseIndexTags } from '../src/dicom/file/index-tags.js';
import { readPrefix } from '../src/dicom/file/header-bytes.js';
import dicomParser from 'dicom-parser';
import { median } from './median.js';

const SERIES = path.resolve(process.cwd(), '../shared/data/ct/tcga-thca-DE-A4MA-siemens-B30f');

const files = (await readdir(SERIES)).filter((name) => name.endsWith('.dcm')).map((name) => path.join(SERIES, name));
const prefixes = await Promise.all(files.map(async (file) => (await readPrefix(file)).bytes));
const parsers: Record<string, (bytes: Buffer) => unknown> = {
  'dicom-parser': (bytes) => parseIndexTags(dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' })),
  dcmjs: (bytes) => dcmjs.data.DicomMetaDictionary.naturalizeDataset(readPart10(toArrayBuffer(bytes), { untilTag: PIXEL_DATA_TAG }).dict),
};
const rounds: Record<string, number[]> = { 'dicom-parser': [], dcmjs: [] };
for (let round = 0; round < 5; round++) {
  for (const [name, parse] of Object.entries(parsers)) {
    const started = performance.now();
    for (const bytes of prefixes) parse(bytes);
    rounds[name]!.push((performance.now() - started) / prefixes.length);
  }
}
const result = { instances: prefixes.length, dicom_parser_ms: +median(rounds['dicom-parser']!).toFixed(3), dcmjs_ms: +median(rounds.dcmjs!).toFixed(3) };
console.log(`${result.instances} headers: dicom-parser ${result.dicom_parser_ms} ms, dcmjs ${result.dcmjs_ms} ms per instance (medians of 5 rounds)`);
console.log(JSON.stringify({ ...result, speedup: +(result.dcmjs_ms / result.dicom_parser_ms).toFixed(1) }));
