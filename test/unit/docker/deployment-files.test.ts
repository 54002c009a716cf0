/**
 * Issue 12, item 4: no Docker engine runs here, so the deployment files are checked statically.
 * The compose services run the same ctprep command lines as the integration tests run as real
 * processes (test/helpers/node-process.ts, test/integration/workers.test.ts), with environment
 * variables the configuration loader really reads, meaning what compose means by them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { environmentSettings } from '../../../src/config/environment.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { nodeArgs, receivingNodeArgs, workerArgs } from '../../helpers/node-process.js';

const root = process.cwd();
const read = (file: string) => readFile(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  deploy?: { replicas?: number };
  container_name?: string;
}

/** The instructions of a Dockerfile's last stage, continuation lines joined. */
function lastStage(dockerfile: string): { from: string; instructions: { name: string; args: string }[] } {
  const lines = dockerfile.replace(/\\\n\s*/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const instructions = lines.map((line) => ({ name: line.split(/\s+/)[0].toUpperCase(), args: line.slice(line.indexOf(' ') + 1).trim() }));
  const start = instructions.map((i) => i.name).lastIndexOf('FROM');
  return { from: instructions[start].args, instructions: instructions.slice(start + 1) };
}

const exec = (args: string) => JSON.parse(args) as string[];

/** ${NAME:-default} and ${NAME:?message} as compose fills them, with `given` for the required ones. */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_match, name: string, fallback?: string) => given[name] ?? fallback ?? '');
}

const knownVariable = (name: string) =>
  ['DATABASE_URL', 'CTPREP_AE_TITLE', 'LOG_LEVEL'].includes(name) ||
  /^CTPREP_DESTINATION_[A-Z0-9_]+_(AE_TITLE|HOST|PORT|ORTHANC_URL|VIEWER_URL)$/.test(name) ||
  environmentSettings().some((setting) => setting.variable === name);

describe('deployment files (docker/)', () => {
  let compose: { services: Record<string, Service>; volumes: Record<string, unknown> };
  let gpuCompose: { services: Record<string, Service & { deploy?: { resources?: unknown } }> };
  beforeAll(async () => {
    compose = parse(await read('docker/compose.yaml'), { merge: true });
    gpuCompose = parse(await read('docker/compose.gpu.yaml'), { merge: true });
  });

  it.each(['docker/Dockerfile', 'docker/Dockerfile.gpu'])('%s: Node 24 LTS, a non-root user, a readiness HEALTHCHECK, ctprep as entry point', async (file) => {
    const text = await read(file);
    const stage = lastStage(text);
    expect(text).toMatch(/^FROM node:24-bookworm-slim/m);
    if (file.endsWith('.gpu')) {
      expect(stage.from).toMatch(/^nvidia\/cuda:12\.[\d.]+-cudnn-runtime/);
      expect(stage.instructions).toContainEqual({ name: 'COPY', args: '--from=node-runtime /usr/local/bin/node /usr/local/bin/node' });
      expect(text).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    } else {
      expect(stage.from).toBe('node:24-bookworm-slim');
    }
    const user = stage.instructions.filter((i) => i.name === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const healthcheck = stage.instructions.find((i) => i.name === 'HEALTHCHECK')!.args;
    expect(healthcheck).toContain('/api/health/ready');
    expect(exec(stage.instructions.find((i) => i.name === 'ENTRYPOINT')!.args)).toEqual(['node', 'dist/cli/main.js']);
    expect(exec(stage.instructions.find((i) => i.name === 'CMD')!.args)).toEqual(nodeArgs('config/container.json'));
    expect(stage.instructions.map((i) => i.args)).toContain('docker/container.json ./config/container.json');
  });

  it('compose runs the node without workers and scalable workers, with the command lines the integration tests run', () => {
    const { node, worker } = compose.services;
    expect(node.command).toEqual(receivingNodeArgs('config/container.json'));
    expect(worker.command).toEqual(workerArgs('config/container.json'));
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(node.image).toBe(worker.image);
    expect(gpuCompose.services.worker.environment).toEqual({ CTPREP_INFERENCE_PROVIDER: 'cuda' });
    expect(JSON.stringify(gpuCompose.services.worker.deploy)).toContain('nvidia');
  });

  it("every variable compose sets is one the configuration reads, and it means what compose means: PostgreSQL, the shared volume, the Orthanc service", async () => {
    const orthancJson = JSON.parse(await read('orthanc.json')) as { DicomAet: string; DicomPort: number; LuaScripts: string[] };
    for (const name of ['node', 'worker']) {
      const service = compose.services[name];
      const environment = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), { CTPREP_API_TOKEN: 'a-token-of-twenty-chars' })]));
      expect(Object.keys(environment).filter((key) => !knownVariable(key))).toEqual([]);
      const config = await loadConfig(path.join(root, 'docker/container.json'), environment);
      expect(new URL(config.databaseUrl!).hostname).toBe('postgres');
      expect(Object.keys(compose.services)).toContain('postgres');
      expect(service.volumes).toContain(`ctprep-data:${config.dataDir}`);
      expect(config.destinations.pacs).toMatchObject({ aeTitle: orthancJson.DicomAet, host: 'orthanc', port: orthancJson.DicomPort });
      expect(new URL(config.destinations.pacs.orthancUrl!).hostname).toBe('orthanc');
      expect(config.api.token).toBe('a-token-of-twenty-chars');
    }
    const nodeConfig = await loadConfig(path.join(root, 'docker/container.json'), {});
    const modalities = JSON.parse(compose.services.orthanc.environment!.ORTHANC__DICOM_MODALITIES) as Record<string, { AET: string; Host: string; Port: number }>;
    expect(modalities.ctprep).toEqual({ AET: nodeConfig.dicom.aeTitle, Host: 'node', Port: nodeConfig.dicom.port });
    expect(compose.services.node.ports).toContain(`${nodeConfig.dicom.port}:${nodeConfig.dicom.port}`);
    expect(nodeConfig.dicom.host).toBe('0.0.0.0');
    expect(Object.keys(nodeConfig.destinations)).toEqual([]); // nothing baked in: the environment names the PACS
  });

  it('Orthanc mounts the top-level orthanc.json and the Lua script it names, where it looks for it', async () => {
    const orthancJson = JSON.parse(await read('orthanc.json')) as { LuaScripts: string[] };
    const volumes = compose.services.orthanc.volumes!;
    expect(volumes).toContain('../orthanc.json:/etc/orthanc/orthanc.json:ro');
    for (const script of orthancJson.LuaScripts) {
      // Orthanc resolves relative paths of its configuration against the configuration file's folder.
      expect(volumes).toContain(`../${script}:${path.posix.join('/etc/orthanc', script)}:ro`);
      await expect(read(script)).resolves.toContain('OnStableSeries');
    }
  });

  it('.dockerignore keeps patient data, local state and dependencies out of the build context', async () => {
    const ignored = (await read('.dockerignore')).split('\n').map((line) => line.trim());
    for (const entry of ['.git', 'node_modules', 'dist', 'var', '**/spool', 'test-artifacts']) expect(ignored).toContain(entry);
    for (const needed of ['src', 'models', 'config', 'migrations', 'console', 'docker']) expect(ignored).not.toContain(needed);
  });
});
