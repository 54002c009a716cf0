/**
 * The command line as people run it (through tsx, as in the README): offline processing of a folder
 * with the same rules and steps as the node, and the small storage SCU against dcmtk's storescp.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDcmtkServer } from '../helpers/dcmtk.js';

const dataDir = path.resolve(process.cwd(), '../shared/data/ct');

function ctprep(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

it('process: a folder of its own output makes no job (issue 10: the CLI had its own copy of the own-output check)', async () => {
  const input = await mkdtemp(path.join(os.tmpdir(), 'ctprep-cli-own-in-'));
  const first = await mkdtemp(path.join(os.tmpdir(), 'ctprep-cli-own-1-'));
  const second = await mkdtemp(path.join(os.tmpdir(), 'ctprep-cli-own-2-'));
  await cp(path.join(dataDir, 'lung-pet-ct-dx-A0002-siemens-B70f'), input, { recursive: true });
  // A rule that matches every CT (the reproduction) and the default UID root 2.25.
  const rules = path.join(first, '..', `rules-${path.basename(first)}.json`);
  const config = path.join(first, '..', `config-${path.basename(first)}.json`);
  await writeFile(rules, JSON.stringify({ rules: [{ id: 'every-ct', name: 'every CT', match: { modality: 'CT' }, steps: [{ kind: 'gaussian-soften', options: { sigmaMm: 0.8 } }], destinations: ['pacs'] }] }));
  // (process sends nothing; the rule names the configured destination all the same)
  await writeFile(config, JSON.stringify({ rulesFile: rules, derive: { uidRoot: '2.25' }, destinations: { pacs: { aeTitle: 'PACS', host: '127.0.0.1', port: 104 } } }));
  expect((await ctprep(['process', input, first, '--config', config])).code).toBe(0);
  expect((await readdir(first)).filter((name) => name.endsWith('.every-ct'))).toHaveLength(1);
  const again = await ctprep(['process', first, second, '--config', config]);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/no rule matches/);
  expect((await readdir(second)).filter((name) => name.endsWith('.every-ct'))).toHaveLength(0);
});

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

it('send: stores a folder on a storage SCP', async () => {
  const received = await mkdtemp(path.join(os.tmpdir(), 'ctprep-cli-scp-'));
  await mkdir(received, { recursive: true });
  const scp = await startDcmtkServer('storescp', (port) => ['-od', received, '-aet', 'SCP', String(port)]);
  try {
    const result = await ctprep(['send', path.join(dataDir, 'lung-pet-ct-dx-A0002-siemens-B40f'), '--ae', 'SCP', '--port', String(scp.port)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/sent 30 of 30 files/);
    expect(await readdir(received)).toHaveLength(30);
  } finally {
    await scp.stop();
  }
});
