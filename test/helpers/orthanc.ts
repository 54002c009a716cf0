import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './dcmtk.js';
import { waitFor } from './wait-for.js';

export interface OrthancProcess {
  readonly aeTitle: string;
  readonly dicomPort: number;
  readonly httpPort: number;
  readonly dir: string;
  get<T = unknown>(route: string): Promise<T>;
  /** One tag's whole value (`/instances/{id}/content/gggg-eeee`): Orthanc's JSON routes give null for a value over 256 characters. */
  tagValue(instanceId: string, tag: string): Promise<string>;
  stop(): Promise<void>;
}

const repoRoot = process.cwd();

/**
 * Starts Debian's Orthanc as a plain process with the repository's own orthanc.json, changing only
 * what a test must: loopback ports, storage in a temp folder, and the node's port as the "ctprep"
 * modality. Orthanc listens for DICOM on all interfaces (it has no bind option): the ports are
 * random high ones and only loopback peers are used. `forwardToNode: false` leaves out the Lua
 * script that sends every stable series to the node (a PACS the node queries and moves from).
 */
export async function startOrthanc(options: { nodeAeTitle: string; nodePort: number; forwardToNode?: boolean }): Promise<OrthancProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ctprep-orthanc-'));
  const config = JSON.parse(await readFile(path.join(repoRoot, 'orthanc.json'), 'utf8')) as Record<string, unknown>;
  const dicomPort = await freePort();
  const httpPort = await freePort();
  Object.assign(config, {
    HttpPort: httpPort,
    DicomPort: dicomPort,
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'index'),
    LuaScripts: options.forwardToNode === false ? [] : (config.LuaScripts as string[]).map((script) => path.resolve(repoRoot, script)),
    DicomModalities: { ctprep: { AET: options.nodeAeTitle, Host: '127.0.0.1', Port: options.nodePort } },
  });
  const configPath = path.join(dir, 'orthanc.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));

  const log = createWriteStream(path.join(dir, 'orthanc.log'));
  const child: ChildProcess = spawn('Orthanc', [configPath], {
    env: { ...process.env, TCP_NODELAY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const get = async <T>(route: string): Promise<T> => {
    const response = await fetch(`${baseUrl}${route}`);
    if (!response.ok) throw new Error(`Orthanc GET ${route}: HTTP ${response.status}`);
    return (await response.json()) as T;
  };
  try {
    await waitFor('Orthanc to answer on its HTTP port', async () => child.exitCode === null && (await get('/system')), {
      timeoutMs: 30_000,
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}; see ${path.join(dir, 'orthanc.log')}`);
  }
  return {
    aeTitle: config.DicomAet as string,
    dicomPort,
    httpPort,
    dir,
    get,
    async tagValue(instanceId, tag) {
      const response = await fetch(`${baseUrl}/instances/${instanceId}/content/${tag}`);
      if (!response.ok) throw new Error(`Orthanc GET /instances/${instanceId}/content/${tag}: HTTP ${response.status}`);
      return (await response.text()).replace(/[\0 ]+$/, '');
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      // A new Orthanc must not start before this one has let go of its SQLite index.
      await exited;
    },
  };
}
