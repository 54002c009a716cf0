import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { destinationFields, destinationVariableFor, environmentSettings, isConfigurationVariable, unknownVariables, variableFor } from '../../../src/config/environment.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors.js';

/** A valid value for every setting's variable; a setting added to the schema must be added here. */
const EVERY_SETTING: Record<string, string> = {
  CTPREP_DICOM_AE_TITLE: 'HARMONIZER',
  CTPREP_DICOM_HOST: '0.0.0.0',
  CTPREP_DICOM_PORT: '104',
  CTPREP_DICOM_MAX_PDU_LENGTH: '65536',
  CTPREP_DICOM_CALLERS: '[{"aeTitle":"ORTHANC","addresses":["10.0.0.2"]},{"aeTitle":"CT1","overwrite":"replace"}]',
  CTPREP_DICOM_TLS_PORT: '2763',
  CTPREP_DICOM_TLS_KEY: '/run/secrets/node.key',
  CTPREP_DICOM_TLS_CERT: '/run/secrets/node.crt',
  CTPREP_DICOM_TLS_CA: '/run/secrets/ca.crt',
  CTPREP_DICOM_TLS_REQUIRE_CLIENT_CERTIFICATE: 'false',
  CTPREP_DICOM_LIMITS_MAX_ASSOCIATIONS: '64',
  CTPREP_DICOM_LIMITS_MAX_ASSOCIATIONS_PER_CALLER: '4',
  CTPREP_DICOM_LIMITS_SETUP_TIMEOUT_MS: '5000',
  CTPREP_DICOM_LIMITS_PDU_TIMEOUT_MS: '20000',
  CTPREP_DICOM_LIMITS_IDLE_TIMEOUT_MS: '90000',
  CTPREP_API_HOST: '0.0.0.0',
  CTPREP_API_PORT: '9090',
  CTPREP_API_TOKEN: 'a-token-of-24-characters',
  CTPREP_API_ALLOWED_HOSTS: 'ctprep.example.org, node2',
  CTPREP_DATA_DIR: '/var/lib/ctprep',
  CTPREP_DATABASE_URL: 'postgres://db/ctprep',
  CTPREP_DATABASE_SCHEMA: 'site_a',
  CTPREP_COMPLETION_QUIET_SECONDS: '2.5',
  CTPREP_COMPLETION_UNCONFIRMED_QUIET_SECONDS: '300',
  CTPREP_COMPLETION_MIN_SLICES: '20',
  CTPREP_COMPLETION_CHECK_INTERVAL_MS: '250',
  CTPREP_DERIVE_UID_ROOT: '1.2.826.0.1.3680043.10.999',
  CTPREP_DERIVE_NODE_NAME: 'site-a-node',
  CTPREP_RULES_FILE: '/etc/ctprep/rules.json',
  CTPREP_CALIBRATIONS_DIR: '/etc/ctprep/calibrations',
  CTPREP_JOBS_CONCURRENCY: '2',
  CTPREP_JOBS_RETRY_LIMIT: '5',
  CTPREP_JOBS_RETRY_DELAY_SECONDS: '7',
  CTPREP_JOBS_HEARTBEAT_SECONDS: '3',
  CTPREP_JOBS_STALE_AFTER_SECONDS: '15',
  CTPREP_DELIVERY_RETRY_LIMIT: '40',
  CTPREP_DELIVERY_RETRY_DELAY_SECONDS: '9',
  CTPREP_DELIVERY_TIMEOUT_MS: '120000',
  CTPREP_RETENTION_DERIVED_HOURS: '48',
  CTPREP_RETENTION_SPOOL_HOURS: '0',
  CTPREP_RETENTION_HIGH_WATER_PERCENT: '80',
  CTPREP_RETENTION_INTERVAL_SECONDS: '60',
  CTPREP_INFERENCE_PROVIDER: 'cuda',
  CTPREP_INFERENCE_THREADS: '4',
  CTPREP_INFERENCE_MODELS_DIR: '/opt/models',
  CTPREP_INFERENCE_WORKERS: '2',
};

const at = (value: unknown, keys: readonly string[]) => keys.reduce<unknown>((inner, key) => (inner as Record<string, unknown>)[key], value);

describe('settings from the environment', () => {
  it('names a variable after each setting path, the names documented before among them', () => {
    expect(variableFor(['jobs', 'concurrency'])).toBe('CTPREP_JOBS_CONCURRENCY');
    expect(variableFor(['retention', 'derivedHours'])).toBe('CTPREP_RETENTION_DERIVED_HOURS');
    expect(variableFor(['dicom', 'limits', 'maxAssociationsPerCaller'])).toBe('CTPREP_DICOM_LIMITS_MAX_ASSOCIATIONS_PER_CALLER');
    expect(destinationVariableFor('research-pacs', ['tls', 'ca'])).toBe('CTPREP_DESTINATION_RESEARCH_PACS_TLS_CA');
    const variables = environmentSettings().map((setting) => setting.variable);
    for (const name of ['CTPREP_DICOM_HOST', 'CTPREP_DICOM_PORT', 'CTPREP_DATA_DIR', 'CTPREP_API_HOST', 'CTPREP_API_PORT', 'CTPREP_API_TOKEN', 'CTPREP_API_ALLOWED_HOSTS', 'CTPREP_DATABASE_URL']) {
      expect(variables).toContain(name);
    }
    expect(new Set(variables).size).toBe(variables.length);
    expect(destinationFields().map((field) => field.variable)).toEqual(['AE_TITLE', 'HOST', 'PORT', 'ORTHANC_URL', 'VIEWER_URL', 'TLS_CA', 'TLS_CERT', 'TLS_KEY']);
  });

  it('sets every setting of the schema, each parsed to its type', async () => {
    expect(Object.keys(EVERY_SETTING).sort()).toEqual(environmentSettings().map((setting) => setting.variable).sort());
    const config = await loadConfig(undefined, EVERY_SETTING);
    for (const setting of environmentSettings()) {
      const text = EVERY_SETTING[setting.variable];
      const expected = { number: Number(text), boolean: text === 'true', list: text.split(',').map((item) => item.trim()), json: JSON.parse(setting.kind === 'json' ? text : '0'), string: text }[setting.kind];
      const value = at(config, setting.path);
      if (setting.kind === 'json') expect(value).toMatchObject(expected as object);
      else expect([setting.variable, value]).toEqual([setting.variable, expected]);
    }
  });

  it('sets over the file and keeps the file elsewhere; aliases and destinations field by field', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-env-'));
    const file = path.join(dir, 'node.json');
    await writeFile(file, JSON.stringify({ jobs: { concurrency: 3, retryLimit: 7 }, delivery: { timeoutMs: 5000 }, destinations: { 'research-pacs': { aeTitle: 'R', host: 'r', port: 104 } } }));
    const config = await loadConfig(file, {
      CTPREP_JOBS_CONCURRENCY: '2',
      CTPREP_RETENTION_DERIVED_HOURS: '',
      DATABASE_URL: 'postgres://db/ctprep',
      CTPREP_AE_TITLE: 'HARMONIZER',
      CTPREP_DESTINATION_PACS_HOST: 'orthanc',
      CTPREP_DESTINATION_PACS_AE_TITLE: 'ORTHANC',
      CTPREP_DESTINATION_PACS_PORT: '4242',
      CTPREP_DESTINATION_PACS_VIEWER_URL: 'http://orthanc:8042/ui/app/#/series?StudyInstanceUID={StudyInstanceUID}',
      CTPREP_DESTINATION_RESEARCH_PACS_TLS_CA: '/run/secrets/research-ca.pem',
    });
    expect(config.jobs).toMatchObject({ concurrency: 2, retryLimit: 7 });
    expect(config.delivery.timeoutMs).toBe(5000);
    expect(config.retention.derivedHours).toBe(168); // empty: not set
    expect(config.databaseUrl).toBe('postgres://db/ctprep');
    expect(config.dicom.aeTitle).toBe('HARMONIZER');
    expect(config.destinations.pacs).toMatchObject({ host: 'orthanc', aeTitle: 'ORTHANC', port: 4242 });
    expect(config.destinations.pacs.viewerUrl).toContain('{StudyInstanceUID}');
    expect(config.destinations['research-pacs']).toEqual({ aeTitle: 'R', host: 'r', port: 104, tls: { ca: '/run/secrets/research-ca.pem' } });
    // The name of the setting wins over its alias.
    expect((await loadConfig(undefined, { DATABASE_URL: 'postgres://a/x', CTPREP_DATABASE_URL: 'postgres://b/x' })).databaseUrl).toBe('postgres://b/x');
  });

  it('refuses a value of the wrong kind naming the variable, and names the variable of a value the schema refuses', async () => {
    await expect(loadConfig(undefined, { CTPREP_JOBS_CONCURRENCY: 'two' })).rejects.toThrow(new ConfigError('CTPREP_JOBS_CONCURRENCY=two: jobs.concurrency is a number'));
    await expect(loadConfig(undefined, { CTPREP_DICOM_TLS_REQUIRE_CLIENT_CERTIFICATE: 'yes' })).rejects.toThrow('CTPREP_DICOM_TLS_REQUIRE_CLIENT_CERTIFICATE=yes: dicom.tls.requireClientCertificate is true or false');
    await expect(loadConfig(undefined, { CTPREP_DICOM_CALLERS: 'ORTHANC' })).rejects.toThrow('CTPREP_DICOM_CALLERS=ORTHANC: dicom.callers is JSON');
    await expect(loadConfig(undefined, { CTPREP_DESTINATION_PACS_PORT: '4242x' })).rejects.toThrow('CTPREP_DESTINATION_PACS_PORT=4242x: destinations.pacs.port is a number');
    await expect(loadConfig(undefined, { CTPREP_JOBS_CONCURRENCY: '0' })).rejects.toThrow(/jobs\.concurrency: .* \(set by CTPREP_JOBS_CONCURRENCY\)/);
    await expect(loadConfig(undefined, { CTPREP_INFERENCE_PROVIDER: 'tpu' })).rejects.toThrow(/inference\.provider: .* \(set by CTPREP_INFERENCE_PROVIDER\)/);
    await expect(loadConfig(undefined, { CTPREP_DICOM_TLS_PORT: '2762' })).rejects.toThrow(/dicom\.tls\.key/);
    await expect(loadConfig(undefined, { DATABASE_URL: 'postgres://db/x', CTPREP_DATABASE_SCHEMA: 'Bad-Schema' })).rejects.toThrow(/databaseSchema: .* \(set by CTPREP_DATABASE_SCHEMA\)/);
  });

  it('tells the variables it reads from misspelt ones', () => {
    for (const name of ['DATABASE_URL', 'CTPREP_AE_TITLE', 'CTPREP_JOBS_CONCURRENCY', 'CTPREP_DESTINATION_PACS_HOST', 'CTPREP_DESTINATION_RESEARCH_PACS_TLS_KEY']) expect(isConfigurationVariable(name)).toBe(true);
    expect(unknownVariables({ CTPREP_JOBS_CONCURENCY: '2', CTPREP_DESTINATION_PACS_HOSTNAME: 'x', CTPREP_DESTINATIONS_PACS_HOST: 'x', CTPREP_API_TOKEN: 'x', HOME: '/root' })).toEqual([
      'CTPREP_DESTINATIONS_PACS_HOST',
      'CTPREP_DESTINATION_PACS_HOSTNAME',
      'CTPREP_JOBS_CONCURENCY',
    ]);
  });
});
