/**
 * ctprep process on a collection, as an archive runs it: the same rules and steps as the node, one
 * derived series per series and rule, finished work kept across runs, every outcome logged.
 */
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ctprep } from '../helpers/ctprep.js';

const dataDir = path.resolve(process.cwd(), '../shared/data/ct');

it('process: derives a series for the sharp kernel and leaves the soft one alone', async () => {
  const input = await mkdtemp(path.join(os.tmpdir(), 'ctprep-cli-in-'));
  const output = await mkdtemp(path.join(os.tmpdir(), 'ctprep-cli-out-'));
  // Two series in one folder, as an archive export would have them.
  for (const series of ['lung-pet-ct-dx-A0002-siemens-B70f', 'lung-pet-ct-dx-A0002-siemens-B40f']) {
    await cp(path.join(dataDir, series), path.join(input, series), { recursive: true });
  }
  const result = await ctprep(['process', input, output]);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/no rule matches \(30 files\); left alone/);
  const derived = (await readdir(output)).filter((name) => name.endsWith('.harmonize-sharp-chest-ct'));
  expect(derived).toHaveLength(1);
  expect(await readdir(path.join(output, derived[0]!))).toHaveLength(30);
  expect(JSON.parse(await readFile(path.join(output, `${derived[0]}.done.json`), 'utf8'))).toMatchObject({ ruleId: 'harmonize-sharp-chest-ct', files: 30 });
  expect(result.stdout).toMatch(/^\[\d\/2\] /m);

  // Run again, as on a collection that grew or a run that stopped half-way: finished work is kept.
  const firstFile = path.join(output, derived[0]!, (await readdir(path.join(output, derived[0]!)))[0]!);
  const writtenAt = (await stat(firstFile)).mtimeMs;
  const again = await ctprep(['process', input, output]);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/rule harmonize-sharp-chest-ct already done \(30 files/);
  expect((await stat(firstFile)).mtimeMs).toBe(writtenAt);

  // Without its marker (a run killed while writing), the series is processed again; --redo forces it.
  await rm(path.join(output, `${derived[0]}.done.json`));
  expect((await ctprep(['process', input, output])).stdout).toMatch(/rule harmonize-sharp-chest-ct -> 30 files/);
  // A series that lost (or gained) instances since is processed again.
  const sharpFolder = path.join(input, 'lung-pet-ct-dx-A0002-siemens-B70f');
  await rm(path.join(sharpFolder, (await readdir(sharpFolder))[0]!));
  const grown = await ctprep(['process', input, output]);
  expect(grown.stdout).toMatch(/was done on 30 instances .* processing again/);
  expect(grown.stdout).toMatch(/rule harmonize-sharp-chest-ct -> 29 files/);
  expect((await ctprep(['process', input, output, '--redo'])).stdout).toMatch(/rule harmonize-sharp-chest-ct -> 29 files/);
  const log = (await readFile(path.join(output, 'process-log.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { status: string });
  expect(log.map((entry) => entry.status).sort()).toEqual(['already-done', 'done', 'done', 'done', 'done', 'no-rule', 'no-rule', 'no-rule', 'no-rule', 'no-rule'].sort());
}, 120_000);

it('process: names the rule that does not exist', async () => {
  const result = await ctprep(['process', dataDir, os.tmpdir(), '--rule', 'no-such-rule']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/no rule 'no-such-rule'/);
});
