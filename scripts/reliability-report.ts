/**
 * npm run test:reliability — runs test/reliability/ (real processes: the node, Orthanc, dcmtk) and
 * prints one row per case with its result, then as its last line one JSON object:
 * faults_tested, faults_survived, bad_inputs_tried, bad_inputs_handled, instances_lost,
 * wrong_images_delivered. The counts beyond pass and fail come from what the cases recorded
 * (test/reliability/tally.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { TALLY_FILE, type Tally } from '../test/reliability/tally.js';

interface JestResult {
  testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
}

const outputFile = path.resolve('test-output/reliability/results.json');
await mkdir(path.dirname(outputFile), { recursive: true });
await rm(TALLY_FILE, { force: true });
const jest = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--runInBand', '--json', '--outputFile', outputFile, 'test/reliability'],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
const results = JSON.parse(await readFile(outputFile, 'utf8')) as JestResult;
const cases = results.testResults.flatMap((file) => file.assertionResults);
const tallies = (await readFile(TALLY_FILE, 'utf8').catch(() => ''))
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Tally);
const sum = (key: keyof Tally) => tallies.reduce((total, tally) => total + (Number(tally[key]) || 0), 0);

const width = Math.max(...cases.map((c) => c.title.length), 10);
console.log(`${'case'.padEnd(width)}  result`);
for (const c of cases) console.log(`${c.title.padEnd(width)}  ${c.status}`);
for (const tally of tallies) console.log(`  recorded: ${JSON.stringify(tally)}`);
const faults = cases.filter((c) => c.title.startsWith('[fault]'));
console.log(
  JSON.stringify({
    faults_tested: faults.length,
    faults_survived: faults.filter((c) => c.status === 'passed').length,
    bad_inputs_tried: sum('badInputsTried'),
    bad_inputs_handled: sum('badInputsHandled'),
    instances_lost: sum('instancesLost'),
    wrong_images_delivered: sum('wrongImagesDelivered'),
  }),
);
process.exitCode = jest.status ?? 1;
