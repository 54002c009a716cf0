/**
 * Issue 12, item 4: no Docker engine runs here, so the deployment files are checked statically,
 * each against the other side it must agree with: the compose services run the command lines the
 * integration tests run (test/helpers/node-process.ts; test/integration/compose-services.test.ts
 * runs them as processes with this environment), with variables the configuration loader reads
 * and that mean the database, volume and PACS compose means; the images' user, health check,
 * volume and configuration path agree with each other and with docker/container.json.
 */
import path from 'node:path';
import { isConfigurationVariable, variableFor } from '../../../src/config/environment.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { NodeConfig } from '../../../src/config/schema.js';
import {
  execForm,
  healthcheckCommand,
  imageConfiguration,
  interpolate,
  lastInstruction,
  readCompose,
  readDockerfile,
  readRepoFile,
  repoRoot,
  serviceEnvironment,
  stageEnvironment,
  type ComposeFile,
  type DockerStage,
} from '../../helpers/deployment-files.js';
import { nodeArgs, receivingNodeArgs, workerArgs, workerNodeFlags } from '../../helpers/node-process.js';

const TOKEN = { CTPREP_API_TOKEN: 'a-token-of-twenty-chars' };
const DOCKERFILES = { cpu: 'docker/Dockerfile', gpu: 'docker/Dockerfile.gpu' };

interface OrthancJson {
  DicomAet: string;
  DicomPort: number;
  HttpPort: number;
  LuaScripts: string[];
  DicomModalities: Record<string, unknown>;
}

let compose: ComposeFile;
let gpuCompose: ComposeFile;
let images: Record<keyof typeof DOCKERFILES, DockerStage[]>;
let orthancJson: OrthancJson;
/** The configuration file the images run with, as the CPU image's CMD names it, and the repository file copied there. */
let imageConfigPath: string;
let imageConfigSource: string;
/** That file as the loader reads it, with no variable set. */
let imageConfig: NodeConfig;

const finalStage = (stages: DockerStage[]) => stages.at(-1)!;
const loadImageConfig = (env: Record<string, string>) => loadConfig(path.join(repoRoot, imageConfigSource), env);

beforeAll(async () => {
  compose = await readCompose('docker/compose.yaml');
  gpuCompose = await readCompose('docker/compose.gpu.yaml');
  images = { cpu: await readDockerfile(DOCKERFILES.cpu), gpu: await readDockerfile(DOCKERFILES.gpu) };
  orthancJson = JSON.parse(await readRepoFile('orthanc.json')) as OrthancJson;
  ({ path: imageConfigPath, source: imageConfigSource } = imageConfiguration(finalStage(images.cpu)));
  imageConfig = await loadImageConfig({});
});

/** Whether .dockerignore's patterns leave `file` out of the build context (Docker's rules: the path or a parent matches, the last matching pattern wins, `!` takes back). */
function ignored(patterns: string[], file: string): boolean {
  const toRegExp = (pattern: string) =>
    new RegExp(`^${pattern.replace(/^\//, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\/|\*\*|\*|\?/g, (token) => ({ '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' })[token]!)}$`);
  const parents = file.split('/').map((_part, index, parts) => parts.slice(0, index + 1).join('/'));
  let result = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (parents.some((candidate) => toRegExp(negated ? pattern.slice(1) : pattern).test(candidate))) result = !negated;
  }
  return result;
}

describe('deployment files (docker/)', () => {
  it.each(Object.entries(DOCKERFILES))('%s image: Node 24 LTS, multi-stage, a non-root user, ctprep as entry point on the configuration the other image runs', async (kind, file) => {
    const stages = images[kind as keyof typeof DOCKERFILES];
    const image = finalStage(stages);
    expect(stages[0]).toMatchObject({ from: 'node:24-bookworm-slim', alias: 'build' });
    expect(image.instructions).toContainEqual({ name: 'COPY', args: '--from=build /app/dist ./dist' });
    if (kind === 'gpu') {
      // docs/inference.md: the onnxruntime CUDA build needs CUDA 12 and cuDNN 9; the cudnn runtime images of CUDA 12.4+ carry cuDNN 9.
      expect(await readRepoFile('docs/inference.md')).toContain('Install CUDA 12 and cuDNN 9');
      expect(image.from).toMatch(/^nvidia\/cuda:12\.([4-9]|\d\d)\.\d+-cudnn-runtime-ubuntu/);
      const nodeStage = stages.find((stage) => stage.from === 'node:24-bookworm-slim' && stage.alias !== 'build')!;
      expect(image.instructions).toContainEqual({ name: 'COPY', args: `--from=${nodeStage.alias} /usr/local/bin/node /usr/local/bin/node` });
      expect(stages[0].instructions.map((instruction) => instruction.args).join('\n')).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js');
      // The CPU image's user: the node image's "node", 1000:1000, so both share the data volume.
      expect(image.instructions.map((instruction) => instruction.args).join('\n')).toContain('groupadd --gid 1000 node && useradd --uid 1000 --gid node');
    } else {
      expect(image.from).toBe('node:24-bookworm-slim');
    }
    expect(lastInstruction(image, 'USER')).toBe('node');
    expect(execForm(lastInstruction(image, 'ENTRYPOINT')!)).toEqual(['node', 'dist/cli/main.js']);
    expect(execForm(lastInstruction(image, 'CMD')!)).toEqual(nodeArgs(imageConfigPath));
    expect(image.instructions).toContainEqual({ name: 'COPY', args: `${imageConfigSource} ./${imageConfigPath}` });
    expect(lastInstruction(image, 'VOLUME')).toBe(imageConfig.dataDir);
    expect(image.instructions.map((instruction) => instruction.args).join('\n')).toContain(`mkdir -p ${imageConfig.dataDir}`);
    expect(lastInstruction(image, 'EXPOSE')!.split(/\s+/).map(Number).sort()).toEqual([imageConfig.api.port, imageConfig.dicom.port].sort());
    expect(await readRepoFile(file)).not.toMatch(/:\/\/(?!127\.0\.0\.1:)/); // no registry or download host written in
  });

  it.each(Object.keys(DOCKERFILES))('%s image: HEALTHCHECK asks the readiness endpoint with node (no curl in the image), on the API port the configuration uses', async (kind) => {
    const image = finalStage(images[kind as keyof typeof DOCKERFILES]);
    const [program, flag, script] = healthcheckCommand(lastInstruction(image, 'HEALTHCHECK')!);
    expect([program, flag]).toEqual(['node', '-e']);
    expect(script).toContain('/api/health/ready');
    expect(script).toContain(`process.env.${variableFor(['api', 'port'])} || ${imageConfig.api.port}`);
  });

  it.each(Object.keys(DOCKERFILES))('%s image: its ENV settings are read by the configuration, and select the inference backend', async (kind) => {
    const environment = stageEnvironment(finalStage(images[kind as keyof typeof DOCKERFILES]));
    const settings = Object.keys(environment).filter((name) => name.startsWith('CTPREP_'));
    expect(settings.filter((name) => !isConfigurationVariable(name))).toEqual([]);
    const config = await loadImageConfig(environment);
    expect(config.inference.provider).toBe(kind === 'gpu' ? 'cuda' : 'cpu');
    expect(Object.keys(config.destinations)).toEqual([]); // nothing baked in, above all no PACS on the container's loopback
  });

  it('compose runs the node without workers and scalable workers, from the CPU image, with the command lines the integration tests run', () => {
    const { node, worker } = compose.services;
    expect(node.command).toEqual(receivingNodeArgs(imageConfigPath));
    expect(worker.command).toEqual(workerArgs(imageConfigPath));
    expect(worker.entrypoint).toEqual(['node', ...workerNodeFlags, 'dist/cli/main.js']);
    expect(node.entrypoint).toBeUndefined();
    for (const service of [node, worker]) expect(service).toMatchObject({ image: 'ctprep:cpu', build: { context: '..', dockerfile: DOCKERFILES.cpu } });
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(node.ports).toEqual(expect.arrayContaining([`${imageConfig.dicom.port}:${imageConfig.dicom.port}`, `${imageConfig.api.port}:${imageConfig.api.port}`]));
    expect(compose.services.postgres.healthcheck?.test).toEqual(expect.arrayContaining(['CMD', 'pg_isready']));
    for (const service of [node, worker]) expect(service.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
  });

  it('the GPU variant runs the workers on the GPU image, one NVIDIA GPU each, with the CUDA backend', async () => {
    const worker = gpuCompose.services.worker;
    expect(worker).toMatchObject({ image: 'ctprep:gpu', build: { dockerfile: DOCKERFILES.gpu } });
    expect(worker.deploy?.resources?.reservations?.devices).toEqual([expect.objectContaining({ driver: 'nvidia', capabilities: ['gpu'] })]);
    const environment = { ...serviceEnvironment(compose.services.worker, TOKEN), ...serviceEnvironment(worker, TOKEN) };
    expect(Object.keys(environment).filter((name) => !isConfigurationVariable(name))).toEqual([]);
    expect((await loadImageConfig(environment)).inference.provider).toBe('cuda');
  });

  it.each(['node', 'worker'])('%s: every variable compose sets is one the configuration reads, and it means PostgreSQL, the shared volume and the Orthanc service', async (name) => {
    const service = compose.services[name];
    expect(String(service.environment?.CTPREP_API_TOKEN)).toMatch(/^\$\{CTPREP_API_TOKEN:\?.+\}$/);
    expect(() => serviceEnvironment(service, {})).toThrow(/CTPREP_API_TOKEN/); // compose refuses to start without it
    const environment = serviceEnvironment(service, TOKEN);
    expect(Object.keys(environment).filter((key) => !isConfigurationVariable(key))).toEqual([]);
    const config = await loadImageConfig(environment);

    const database = new URL(config.databaseUrl!);
    const postgres = serviceEnvironment(compose.services.postgres, {});
    expect(compose.services[database.hostname]).toBe(compose.services.postgres);
    expect([database.username, database.password, database.pathname.slice(1)]).toEqual([postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD, postgres.POSTGRES_DB]);

    expect(service.volumes).toContain(`ctprep-data:${config.dataDir}`);
    expect(Object.keys(compose.volumes ?? {})).toContain('ctprep-data');

    expect(config.destinations.pacs).toMatchObject({ aeTitle: orthancJson.DicomAet, host: 'orthanc', port: orthancJson.DicomPort });
    expect(compose.services[config.destinations.pacs.host]).toBe(compose.services.orthanc);
    const orthancUrl = new URL(config.destinations.pacs.orthancUrl!);
    expect([orthancUrl.hostname, Number(orthancUrl.port)]).toEqual(['orthanc', orthancJson.HttpPort]);
    expect(config.api).toMatchObject({ host: '0.0.0.0', token: TOKEN.CTPREP_API_TOKEN });
  });

  it('Orthanc mounts the top-level orthanc.json and the Lua script it names, and runs the script from where it is mounted', async () => {
    const orthanc = compose.services.orthanc;
    const environment = serviceEnvironment(orthanc, {});
    expect(orthanc.volumes).toContain('../orthanc.json:/etc/orthanc/orthanc.json:ro');
    // orthancteam/orthanc runs Orthanc on a merged /tmp/orthanc.json, so the scripts are named by absolute paths.
    const mounted = orthancJson.LuaScripts.map((script) => {
      const volume = orthanc.volumes!.find((entry) => entry.startsWith(`../${script}:`));
      expect(volume).toBeDefined();
      return volume!.split(':')[1];
    });
    expect(JSON.parse(environment.ORTHANC__LUA_SCRIPTS)).toEqual(mounted);
    for (const script of orthancJson.LuaScripts) expect(await readRepoFile(script)).toContain("NODE_MODALITY = 'ctprep'");
    // The modality the script forwards to is the node service, at the AE title and port of the image's configuration.
    expect(Object.keys(orthancJson.DicomModalities)).toEqual(['ctprep']);
    expect(JSON.parse(environment.ORTHANC__DICOM_MODALITIES)).toEqual({ ctprep: { AET: imageConfig.dicom.aeTitle, Host: 'node', Port: imageConfig.dicom.port } });
    expect(imageConfig.dicom.host).toBe('0.0.0.0');
    expect(interpolate('${X:-a}/${Y}', { Y: 'b' })).toBe('a/b');
  });

  it('.dockerignore keeps patient data, local state and dependencies out of the build context, and lets in what the images copy', async () => {
    const patterns = (await readRepoFile('.dockerignore')).split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
    for (const file of ['node_modules/zod/package.json', 'var/spool/series/1.2.3/4.dcm', 'data/spool/series/1.2.3/4.dcm', 'var/derived/x.dcm', 'var/db/PG_VERSION', '.git/HEAD', 'dist/cli/main.js', 'test-artifacts/browser/a.png', 'test-output/compare/a.png', '.env']) {
      expect([file, ignored(patterns, file)]).toEqual([file, true]);
    }
    const copied = Object.values(images)
      .flatMap((stages) => stages.flatMap((stage) => stage.instructions))
      .filter((instruction) => instruction.name === 'COPY' && !instruction.args.startsWith('--from'))
      .flatMap((instruction) => instruction.args.split(/\s+/).slice(0, -1));
    expect(copied).toEqual(expect.arrayContaining(['src', 'models', 'config', 'migrations', 'console', 'docker/container.json', '.npmrc']));
    for (const file of copied) expect([file, ignored(patterns, file)]).toEqual([file, false]);
  });
});
