/**
 * The command line as people run it (through tsx, as in the README): offline processing of a folder
 * with the same rules and steps as the node, and the small storage SCU against dcmtk's storescp.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir } from 'node:fs/promises';
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
  const [derived] = await readdir(output);
  expect(derived).toMatch(/\.harmonize-sharp-chest-ct$/);
  expect(await readdir(path.join(output, derived!))).toHaveLength(30);
});

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
