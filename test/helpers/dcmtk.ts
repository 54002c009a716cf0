/**
 * Running dcmtk tools (storescu, storescp, echoscu, dcmdump, dcmodify, dcmcjpeg...) from tests and
 * benchmarks, and finding loopback ports for servers. dcmtk needs TCP_NODELAY=1 in its
 * environment, or every image waits about 45 ms for the Nagle timer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment dcmtk tools run in: the current one plus TCP_NODELAY=1. */
export function dcmtkEnv(): NodeJS.ProcessEnv {
  return { ...process.env, TCP_NODELAY: '1' };
}

/** Runs a dcmtk tool to completion; never rejects on a non-zero exit (the caller looks at code). */
export function runDcmtk(tool: string, args: string[], options: { timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env: dcmtkEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** A loopback port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once something accepts TCP connections on host:port. dcmtk servers announce nothing
 * when they are ready, so this tries to connect (a refused connect returns at once) until one
 * succeeds or timeoutMs passes.
 */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await canConnect(port, host)) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RunningServer {
  port: number;
  process: ChildProcess;
  /** Output so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a dcmtk server (storescp...) on a free loopback port, or on `port` when given: `args(port)`
 * builds its arguments. Resolves when it accepts connections.
 */
export async function startDcmtkServer(tool: string, args: (port: number) => string[], fixedPort?: number): Promise<RunningServer> {
  const port = fixedPort ?? (await freePort());
  const child = spawn(tool, args(port), { env: dcmtkEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const output: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await Promise.race([
      waitForPort(port),
      exited.then(() => {
        throw new Error(`${tool} exited at start: ${Buffer.concat(output).toString('utf8')}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, process: child, output: () => Buffer.concat(output).toString('utf8'), stop };
}
