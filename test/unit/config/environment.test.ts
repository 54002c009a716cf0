import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { environmentSettings, variableFor } from '../../../src/config/environment.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors.js';

describe('settings from the environment', () => {
  it('names a variable after each setting path', () => {
    expect(variableFor(['jobs', 'concurrency'])).toBe('CTPREP_JOBS_CONCURRENCY');
    expect(variableFor(['retention', 'derivedHours'])).toBe('CTPREP_RETENTION_DERIVED_HOURS');
    expect(variableFor(['dicom', 'limits', 'maxAssociationsPerCaller'])).toBe('CTPREP_DICOM_LIMITS_MAX_ASSOCIATIONS_PER_CALLER');
    const variables = environmentSettings().map((setting) => setting.variable);
    // The names documented before this mechanism are the same names it derives.
    for (const name of ['CTPREP_DICOM_HOST', 'CTPREP_DICOM_PORT', 'CTPREP_DATA_DIR', 'CTPREP_API_HOST', 'CTPREP_API_PORT', 'CTPREP_API_TOKEN', 'CTPREP_API_ALLOWED_HOSTS']) {
      expect(variables).toContain(name);
    }
    expect(new Set(variables).size).toBe(variables.length);
  });

  it('sets numbers, booleans, lists and strings over the file, and keeps the file elsewhere', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-env-'));
    const file = path.join(dir, 'node.json');
    await writeFile(file, JSON.stringify({ jobs: { concurrency: 3, retryLimit: 7 }, delivery: { timeoutMs: 5000 } }));
    const config = await loadConfig(file, {
      CTPREP_JOBS_CONCURRENCY: '2',
      CTPREP_INFERENCE_PROVIDER: 'cuda',
      CTPREP_INFERENCE_THREADS: '1',
      CTPREP_RETENTION_DERIVED_HOURS: '48',
      CTPREP_API_ALLOWED_HOSTS: 'ctprep.example.org, node2',
      CTPREP_DATABASE_SCHEMA: 'site_a',
      DATABASE_URL: 'postgres://db/ctprep',
      CTPREP_AE_TITLE: 'HARMONIZER',
      CTPREP_DESTINATION_PACS_HOST: 'orthanc',
      CTPREP_DESTINATION_PACS_AE_TITLE: 'ORTHANC',
      CTPREP_DESTINATION_PACS_PORT: '4242',
      CTPREP_DESTINATION_PACS_VIEWER_URL: 'http://orthanc:8042/ui/app/#/series?StudyInstanceUID={StudyInstanceUID}',
    });
    expect(config.jobs).toMatchObject({ concurrency: 2, retryLimit: 7 });
    expect(config.delivery.timeoutMs).toBe(5000);
    expect(config.inference).toMatchObject({ provider: 'cuda', threads: 1 });
    expect(config.retention.derivedHours).toBe(48);
    expect(config.api.allowedHosts).toEqual(['ctprep.example.org', 'node2']);
    expect(config.databaseSchema).toBe('site_a');
    expect(config.databaseUrl).toBe('postgres://db/ctprep');
    expect(config.dicom.aeTitle).toBe('HARMONIZER');
    expect(config.destinations.pacs).toMatchObject({ host: 'orthanc', aeTitle: 'ORTHANC', port: 4242 });
    expect(config.destinations.pacs.viewerUrl).toContain('{StudyInstanceUID}');
  });

  it('refuses a value of the wrong kind, naming the variable, and a value the schema refuses, naming the setting', async () => {
    await expect(loadConfig(undefined, { CTPREP_JOBS_CONCURRENCY: 'two' })).rejects.toThrow(new ConfigError('CTPREP_JOBS_CONCURRENCY=two: jobs.concurrency is a number'));
    await expect(loadConfig(undefined, { CTPREP_DICOM_TLS_REQUIRE_CLIENT_CERTIFICATE: 'yes' })).resolves.toBeDefined(); // not a setting by itself: ignored
    await expect(loadConfig(undefined, { CTPREP_JOBS_CONCURRENCY: '0' })).rejects.toThrow(/jobs\.concurrency/);
    await expect(loadConfig(undefined, { CTPREP_INFERENCE_PROVIDER: 'tpu' })).rejects.toThrow(/inference\.provider/);
  });
});
