/** ctprep send: the small storage SCU against dcmtk's storescp. */
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ctprep } from '../helpers/ctprep.js';

const dataDir = path.resolve(process.cwd(), '../shared/data/ct');
import { startDcmtkServer } from '../helpers/dcmtk.js';

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
