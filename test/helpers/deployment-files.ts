/**
 * Reading docker/: the compose files as compose reads them (YAML merge keys, ${VAR} interpolation)
 * and the instructions of a Dockerfile, for the static test of the deployment files and the test
 * that runs the compose services' command lines as processes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';

export const repoRoot = process.cwd();
export const readRepoFile = (file: string) => readFile(path.join(repoRoot, file), 'utf8');

export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
  deploy?: { replicas?: number; resources?: { reservations?: { devices?: { driver?: string; count?: number; capabilities?: string[] }[] } } };
  container_name?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export async function readCompose(file: string): Promise<ComposeFile> {
  return parse(await readRepoFile(file), { merge: true }) as ComposeFile;
}

/** ${NAME}, ${NAME:-default} and ${NAME:?message} as compose fills them from `given`; a missing required one throws its message. */
export function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z0-9_]+)(?:(:-|:\?)([^}]*))?\}/g, (_whole, name: string, operator?: string, word?: string) => {
    if (given[name]) return given[name];
    if (operator === ':?') throw new Error(`${name}: ${word}`);
    return operator === ':-' ? word! : '';
  });
}

/** A service's environment as its process gets it. */
export function serviceEnvironment(service: ComposeService, given: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), given)]));
}

export interface DockerInstruction {
  name: string;
  args: string;
}

export interface DockerStage {
  from: string;
  /** The stage's name (FROM ... AS name), if any. */
  alias?: string;
  instructions: DockerInstruction[];
}

/** A Dockerfile's stages, continuation lines joined, comments left out. */
export async function readDockerfile(file: string): Promise<DockerStage[]> {
  const lines = (await readRepoFile(file))
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const name = line.split(/\s+/)[0].toUpperCase();
    const args = line.slice(line.indexOf(' ') + 1).trim();
    if (name === 'FROM') {
      const [from, , alias] = args.split(/\s+/);
      stages.push({ from, alias, instructions: [] });
    } else {
      stages.at(-1)!.instructions.push({ name, args });
    }
  }
  return stages;
}

/** The args of a stage's last instruction of that name (the one that counts for CMD, ENTRYPOINT, USER, HEALTHCHECK). */
export function lastInstruction(stage: DockerStage, name: string): string | undefined {
  return stage.instructions.filter((instruction) => instruction.name === name).at(-1)?.args;
}

/** An exec-form command: ["node", "dist/cli/main.js"]. */
export const execForm = (args: string): string[] => JSON.parse(args) as string[];

/** The command of a HEALTHCHECK, after its options. */
export function healthcheckCommand(args: string): string[] {
  const match = /^(?:--[a-z-]+=\S+\s+)*CMD\s+(\[.*\])$/.exec(args);
  if (!match) throw new Error(`HEALTHCHECK not in exec form: ${args}`);
  return execForm(match[1]);
}

/** ENV NAME=value pairs of a stage (values without spaces or quotes, as written here). */
export function stageEnvironment(stage: DockerStage): Record<string, string> {
  return Object.fromEntries(
    stage.instructions.filter((instruction) => instruction.name === 'ENV').flatMap((instruction) => instruction.args.split(/\s+/).map((pair) => pair.split('=') as [string, string])),
  );
}

/** The value after --config in a ctprep command line. */
export function configPathOf(args: readonly string[]): string {
  const index = args.indexOf('--config');
  if (index < 0) throw new Error(`no --config in ${args.join(' ')}`);
  return args[index + 1];
}

/** The configuration file an image's CMD runs with, and the repository file its Dockerfile copies there. */
export function imageConfiguration(image: DockerStage): { path: string; source: string } {
  const configPath = configPathOf(execForm(lastInstruction(image, 'CMD')!));
  const copy = image.instructions.find((instruction) => instruction.name === 'COPY' && instruction.args.endsWith(` ./${configPath}`));
  if (!copy) throw new Error(`the image copies nothing to ${configPath}`);
  return { path: configPath, source: copy.args.split(/\s+/)[0] };
}
