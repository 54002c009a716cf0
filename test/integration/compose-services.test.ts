/**
 * docker/compose.yaml's node and worker services as real processes, since no Docker engine runs
 * here: compose's command lines, on the configuration file the image runs with, with compose's
 * environment over the image's ENV and nothing else of this machine's. Only what the containers
 * would provide is put in its place, each value checked first to be the one compose gives: the
 * postgres service is this machine's PostgreSQL (in a schema of its own), the orthanc service a
 * real Orthanc on the repository's orthanc.json and Lua script, the shared volume one temp folder,
 * and the ports free loopback ones. A series stored in Orthanc is forwarded by the Lua script to the
 * node, processed by the worker (the node has none) and delivered back; the image's HEALTHCHECK
 * command passes against both processes. test/unit/docker checks the files themselves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { freePort, runDcmtk } from '../helpers/dcmtk.js';
import {
  healthcheckCommand,
  imageConfiguration,
  lastInstruction,
  readCompose,
  readDockerfile,
  repoRoot,
  serviceEnvironment,
  stageEnvironment,
  type ComposeFile,
  type DockerStage,
} from '../helpers/deployment-files.js';
import { receivingNodeArgs, workerArgs, workerNodeFlags } from '../helpers/node-process.js';
import { startOrthanc, type OrthancProcess } from '../helpers/orthanc.js';
import { dropSchemas, testDatabaseUrl, uniqueSchema } from '../helpers/test-database.js';
import { waitFor } from '../helpers/wait-for.js';

const SERIES = path.resolve(repoRoot, '../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f');
const SLICES = 30;
const TOKEN = 'compose-test-token-0123456789';

interface Service {
  readonly log: string;
  readonly pid: number;
  stop(): Promise<void>;
}

let orthanc: OrthancProcess | undefined;
let running: Service[] = [];
let schema: string | undefined;

afterEach(async () => {
  for (const service of running.reverse()) await service.stop();
  await orthanc?.stop();
  if (schema) await dropSchemas(schema, `${schema}_queue`);
  [orthanc, running, schema] = [undefined, [], undefined];
});

/** A ctprep process as its container runs it: only the environment given (and PATH to find tools), in the image's working folder. */
function startService(name: string, args: string[], env: Record<string, string>, dir: string, nodeFlags: readonly string[] = []): Service {
  const log = path.join(dir, `${name}.log`);
  const out = createWriteStream(log);
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    log,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      out.end();
    },
  };
}

/** Runs the image's HEALTHCHECK command against the API port given: its exit code. */
async function healthcheck(image: DockerStage, apiPort: number): Promise<number> {
  const [program, ...args] = healthcheckCommand(lastInstruction(image, 'HEALTHCHECK')!);
  const child = spawn(program === 'node' ? process.execPath : program, args, { env: { PATH: process.env.PATH, CTPREP_API_PORT: String(apiPort) }, stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

describe('the compose services as processes (docker/compose.yaml)', () => {
  it('Orthanc forwards a series to the node (start --no-workers); a worker harmonizes it and delivers it back; both pass the image health check', async () => {
    const compose: ComposeFile = await readCompose('docker/compose.yaml');
    const image = (await readDockerfile('docker/Dockerfile')).at(-1)!;
    const { source: configFile } = imageConfiguration(image);
    const imageConfig = await loadConfig(path.join(repoRoot, configFile), {});
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-compose-'));
    const dataDir = path.join(dir, 'ctprep-data');
    schema = uniqueSchema('compose');
    const [dicomPort, nodeApiPort, workerApiPort] = [await freePort(), await freePort(), await freePort()];
    orthanc = await startOrthanc({ nodeAeTitle: imageConfig.dicom.aeTitle, nodePort: dicomPort });

    /** The service's environment as compose gives it, with the containers' names, volume and ports put in their place here. */
    const environmentOf = (service: string, apiPort: number): Record<string, string> => {
      const composed = serviceEnvironment(compose.services[service], { CTPREP_API_TOKEN: TOKEN });
      expect(new URL(composed.DATABASE_URL).hostname).toBe('postgres');
      expect(composed).toMatchObject({ CTPREP_DATA_DIR: imageConfig.dataDir, CTPREP_DESTINATION_PACS_HOST: 'orthanc', CTPREP_DESTINATION_PACS_PORT: '4242', CTPREP_API_HOST: '0.0.0.0' });
      expect(new URL(composed.CTPREP_DESTINATION_PACS_ORTHANC_URL).hostname).toBe('orthanc');
      return {
        ...stageEnvironment(image),
        ...composed,
        DATABASE_URL: testDatabaseUrl,
        CTPREP_DATABASE_SCHEMA: schema!,
        CTPREP_DATA_DIR: dataDir,
        CTPREP_DESTINATION_PACS_HOST: '127.0.0.1',
        CTPREP_DESTINATION_PACS_PORT: String(orthanc!.dicomPort),
        CTPREP_DESTINATION_PACS_ORTHANC_URL: `http://127.0.0.1:${orthanc!.httpPort}`,
        CTPREP_DICOM_HOST: '127.0.0.1',
        CTPREP_DICOM_PORT: String(dicomPort),
        CTPREP_API_HOST: '127.0.0.1',
        CTPREP_API_PORT: String(apiPort),
        LOG_LEVEL: 'info',
      };
    };
    const api = (route: string) => fetch(`http://127.0.0.1:${nodeApiPort}${route}`, { headers: { authorization: `Bearer ${TOKEN}` } });

    const node = startService('node', receivingNodeArgs(configFile), environmentOf('node', nodeApiPort), dir);
    running.push(node);
    await waitFor('the node to pass the image health check', async () => (await healthcheck(image, nodeApiPort)) === 0, { timeoutMs: 90_000, intervalMs: 500 });
    const worker = startService('worker', workerArgs(configFile), environmentOf('worker', workerApiPort), dir, workerNodeFlags);
    running.push(worker);
    await waitFor('the worker to pass the image health check', async () => (await healthcheck(image, workerApiPort)) === 0, { timeoutMs: 90_000, intervalMs: 500 });
    expect((await fetch(`http://127.0.0.1:${nodeApiPort}/api/jobs`)).status).toBe(401); // the token compose requires guards the API

    const stored = await runDcmtk('storescu', ['-aec', orthanc.aeTitle, '-aet', 'SCANNER', '+sd', '+r', '127.0.0.1', String(orthanc.dicomPort), SERIES], { timeoutMs: 120_000 });
    expect(stored.code).toBe(0);
    const jobs = await waitFor('the job done and delivered', async () => {
      const list = ((await (await api('/api/jobs')).json()) as { jobs: { state: string; worker: string | null; deliveries: { state: string; instancesSent: number }[] }[] }).jobs;
      return list.length > 0 && list.every((job) => job.state === 'done' && job.deliveries.every((delivery) => delivery.state === 'done')) && list;
    }, { timeoutMs: 240_000, intervalMs: 500 }).catch(async (error: Error) => {
      throw new Error(`${error.message}\nnode: ${(await readFile(node.log, 'utf8')).slice(-2000)}\nworker: ${(await readFile(worker.log, 'utf8')).slice(-2000)}`);
    });
    for (const job of jobs) {
      expect(job.worker?.split('/').at(-2)).toBe(String(worker.pid)); // the worker ran it, not the node
      expect(job.deliveries).toEqual([expect.objectContaining({ state: 'done', instancesSent: SLICES })]);
    }
    const series = await orthanc.get<{ Instances: string[] }[]>('/series?expand');
    expect(series.map((entry) => entry.Instances.length)).toEqual(Array(1 + jobs.length).fill(SLICES)); // the original and each derived series
  }, 420_000);
});
