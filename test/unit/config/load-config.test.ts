import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors.js';

describe('configuration', () => {
  it('fills defaults: loopback listener, embedded database, a quiet time of seconds', () => {
    const config = parseConfig({});
    expect(config.dicom).toEqual({
      aeTitle: 'CTPREP',
      host: '127.0.0.1',
      port: 11112,
      maxPduLength: 262144,
      limits: { maxAssociations: 32, maxAssociationsPerCaller: 8, setupTimeoutMs: 10_000, pduTimeoutMs: 30_000, idleTimeoutMs: 60_000 },
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.completion.quietSeconds).toBeLessThanOrEqual(10);
  });

  it('names the key path of every invalid value', () => {
    const attempt = () => parseConfig({ dicom: { aeTitle: 'A\\B', port: 70000 }, destinations: { pacs: { aeTitle: 'X', host: 'h' } } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/dicom\.aeTitle: .*backslash/);
    expect(attempt).toThrow(/dicom\.port/);
    expect(attempt).toThrow(/destinations\.pacs\.port/);
  });

  it('refuses an API beyond loopback without a token, and takes the token from CTPREP_API_TOKEN', async () => {
    expect(() => parseConfig({ api: { host: '0.0.0.0' } })).toThrow(/api\.token: the API listens beyond this machine/);
    expect(() => parseConfig({ api: { host: '127.0.0.1', token: 'short' } })).toThrow(/api\.token: an API token has at least 16 characters/);
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(parseConfig({ api: { host } }).api.token).toBeUndefined();
    const config = await loadConfig(undefined, { CTPREP_API_HOST: '0.0.0.0', CTPREP_API_TOKEN: 'a-token-of-24-characters' });
    expect(config.api).toMatchObject({ host: '0.0.0.0', token: 'a-token-of-24-characters' });
  });

  it('lets the environment point a destination elsewhere, or add one, field by field', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-config-'));
    const file = path.join(dir, 'node.json');
    await writeFile(file, JSON.stringify({ destinations: { pacs: { aeTitle: 'ORTHANC', host: '127.0.0.1', port: 4242 } } }));
    const env = {
      CTPREP_DESTINATION_PACS_HOST: 'orthanc.hospital.example',
      CTPREP_DESTINATION_PACS_PORT: '11112',
      CTPREP_DESTINATION_RESEARCH_PACS_AE_TITLE: 'RESEARCH',
      CTPREP_DESTINATION_RESEARCH_PACS_HOST: '10.0.0.5',
      CTPREP_DESTINATION_RESEARCH_PACS_PORT: '104',
    };
    const config = await loadConfig(file, env);
    expect(config.destinations.pacs).toMatchObject({ aeTitle: 'ORTHANC', host: 'orthanc.hospital.example', port: 11112 });
    expect(config.destinations['research-pacs']).toMatchObject({ aeTitle: 'RESEARCH', host: '10.0.0.5', port: 104 });
    await expect(loadConfig(file, { CTPREP_DESTINATION_PACS_PORT: 'eleven' })).rejects.toThrow(/destinations\.pacs\.port/);
  });

  it('reads the file once and lets DATABASE_URL override it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-config-'));
    const file = path.join(dir, 'node.json');
    await writeFile(file, JSON.stringify({ dicom: { port: 4000 }, dataDir: 'data' }));
    const config = await loadConfig(file, { DATABASE_URL: 'postgres://db/x' });
    expect(config.dicom.port).toBe(4000);
    expect(config.databaseUrl).toBe('postgres://db/x');
    expect(path.isAbsolute(config.dataDir)).toBe(true);
  });

  it('says which file is not JSON', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-config-'));
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{ "dicom": ');
    await expect(loadConfig(file, {})).rejects.toThrow(/broken\.json is not valid JSON/);
  });

  it('the committed config/node.json is valid', async () => {
    const config = await loadConfig(path.resolve('config/node.json'), {});
    expect(Object.keys(config.destinations)).toContain('pacs');
  });
});
