/**
 * ctprep process on its own output (issue 10): the CLI had its own copy of the own-output check
 * and derived the node's output a second time under the UID root 2.25.
 */
import { cp, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ctprep } from '../helpers/ctprep.js';

const dataDir = path.resolve(process.cwd(), '../shared/data/ct');

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
