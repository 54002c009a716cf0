import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { createBackend, type InferenceBackend } from './backend.js';
import type { Provider } from './providers.js';
import { runSlab } from './slab.js';
import { serializeError, type SlabRequest, type WorkerReply, type InferenceThreadSettings } from './worker-protocol.js';

/** Worker-thread entry: opens each model once per provider and runs slabs sent by the pool. */
const settings = workerData as InferenceThreadSettings;
const port = parentPort;
if (!port) throw new Error('inference worker must run in a worker thread');
const sessions = new Map<string, Promise<InferenceBackend>>();

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(reply, transfer);
}

function session(request: SlabRequest): Promise<InferenceBackend> {
  const key = `${request.provider}:${request.model.onnxPath}`;
  let backend = sessions.get(key);
  if (!backend) {
    const provider: Provider = request.provider;
    backend = readFile(request.model.onnxPath).then((bytes) =>
      createBackend(bytes, {
        provider,
        threads: settings.threads,
        fallbackToCpu: settings.fallbackToCpu,
        inputName: request.model.inputName,
        outputName: request.model.outputName,
        log: (line) => post({ type: 'log', line }),
      }),
    );
    sessions.set(key, backend);
    backend.catch(() => sessions.delete(key));
  }
  return backend;
}

async function handle(request: SlabRequest): Promise<void> {
  try {
    const backend = await session(request);
    const started = performance.now();
    const output = await runSlab(backend, request.spec, request.slab);
    const seconds = (performance.now() - started) / 1000;
    const reply: WorkerReply = { type: 'done', id: request.id, slices: output.slices, tiles: output.tiles, backend: backend.name, seconds };
    post(reply, output.slices.map((s) => s.buffer as ArrayBuffer));
  } catch (error) {
    post({ type: 'failed', id: request.id, error: serializeError(error) });
  }
}

port.on('message', (request: SlabRequest) => void handle(request));
