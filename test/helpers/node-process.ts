import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './dcmtk.js';
import { testDatabaseUrl, uniqueSchema } from './test-database.js';
import { waitFor } from './wait-for.js';

const repoRoot = process.cwd();

export interface NodeProcess {
  readonly dir: string;
  readonly dataDir: string;
  readonly dicomPort: number;
  readonly apiPort: number;
  readonly schema: string;
  readonly pid: number | undefined;
  /** fetch() against the node's API (http://127.0.0.1:<apiPort><route>). */
  api(route: string, init?: RequestInit): Promise<Response>;
  /** Everything the process wrote (JSON log lines). */
  log(): Promise<string>;
  /** Sends a signal; with SIGKILL nothing is flushed or closed: a crash. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts the node again on the same ports, data folder and database schema. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The command lines the tests run, and docker/compose.yaml runs (test/unit/docker checks they agree). */
export const nodeArgs = (configPath: string): string[] => ['start', '--config', configPath];
export const receivingNodeArgs = (configPath: string): string[] => ['start', '--no-workers', '--config', configPath];
export const workerArgs = (configPath: string): string[] => ['worker', '--config', configPath];
/**
 * Node's own flags for a worker: V8's garbage collector on the worker's own thread only (its
 * concurrent and parallel default cost more CPU in all; docs/deployment.md has the figures).
 * docker/compose.yaml's worker runs with the same flags.
 */
export const workerNodeFlags: readonly string[] = ['--single-threaded-gc'];

export interface NodeProcessOptions {
  /** The ctprep command line for a configuration file; default nodeArgs (the whole node). */
  args?: (configPath: string) => string[];
  /** Node's own flags, before the script (workerNodeFlags for a worker). */
  nodeFlags?: readonly string[];
  /** Another process's data folder and database schema to share (a worker of that node). */
  shareWith?: Pick<NodeProcess, 'dataDir' | 'schema'>;
  /** Merged over the defaults below (loopback ports, a temp data folder, a schema of its own). */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for /api/health; default 60 s. */
  startTimeoutMs?: number;
}

/**
 * The node, or one of its workers, as a real process (`ctprep start` or `ctprep worker` through tsx), as an operator runs it: its own pid,
 * its own event loop, killable with SIGKILL. For tests of what only a real process shows (crash
 * recovery, a stalled event loop, descriptors, signals).
 */
export async function startNodeProcess(options: NodeProcessOptions = {}): Promise<NodeProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-node-'));
  const dataDir = options.shareWith?.dataDir ?? path.join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const [dicomPort, apiPort, nobodyPort] = [await freePort(), await freePort(), await freePort()];
  const schema = options.shareWith?.schema ?? uniqueSchema('proc');
  const overrides = options.config ?? {};
  const config = {
    dataDir,
    databaseUrl: testDatabaseUrl,
    databaseSchema: schema,
    rulesFile: path.join(repoRoot, 'config/rules.json'),
    completion: { quietSeconds: 1, checkIntervalMs: 200 },
    jobs: { retryLimit: 1, retryDelaySeconds: 1 },
    delivery: { retryLimit: 3, retryDelaySeconds: 1 },
    inference: { modelsDir: path.join(repoRoot, 'models') },
    // The shipped rules name 'pacs'; by default it is a port nobody listens on.
    destinations: { pacs: { aeTitle: 'ORTHANC', host: '127.0.0.1', port: nobodyPort } },
    ...overrides,
    // Tests send from several AE titles; a test of access control names its callers.
    dicom: { aeTitle: 'CTPREP', host: '127.0.0.1', port: dicomPort, callers: [{ aeTitle: '*' }], ...(overrides.dicom as object) },
    api: { host: '127.0.0.1', port: apiPort, ...(overrides.api as object) },
  };
  const configPath = path.join(dir, 'node.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const logPath = path.join(dir, 'node.log');
  let child: ChildProcess | undefined;
  let logStream: WriteStream | undefined;
  let exited: Promise<void> = Promise.resolve();

  const api = (route: string, init?: RequestInit) => fetch(`http://127.0.0.1:${apiPort}${route}`, init);
  const launch = async () => {
    logStream = createWriteStream(logPath, { flags: 'a' });
    child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), ...(options.args ?? nodeArgs)(configPath)], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'info', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(logStream, { end: false });
    child.stderr?.pipe(logStream, { end: false });
    const current = child;
    exited = new Promise((resolve) => current.once('exit', () => resolve()));
    const died = exited.then(() => {
      throw new Error(`the node exited with ${current.exitCode ?? current.signalCode} before it was ready`);
    });
    try {
      await Promise.race([
        died,
        waitFor('the node process to answer /api/health', async () => (await api('/api/health')).status === 200, {
          timeoutMs: options.startTimeoutMs ?? 60_000,
          intervalMs: 100,
        }),
      ]);
    } catch (error) {
      current.kill('SIGKILL');
      throw new Error(`${(error as Error).message}; log ${logPath}:\n${(await readFile(logPath, 'utf8').catch(() => '')).slice(-3000)}`);
    }
    died.catch(() => undefined);
  };
  const stopChild = async (signal: NodeJS.Signals) => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    logStream?.end();
  };

  await launch();
  return {
    dir,
    dataDir,
    dicomPort,
    apiPort,
    schema,
    get pid() {
      return child?.pid;
    },
    api,
    log: () => readFile(logPath, 'utf8'),
    kill: stopChild,
    restart: launch,
    stop: () => stopChild('SIGTERM'),
  };
}
