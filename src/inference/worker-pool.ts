import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread.js';
import { ConfigError, UnavailableError } from '../errors.js';
import type { Provider } from './providers.js';
import type { SlabInput, SlabOutput } from './slab.js';
import type { TilingSpec } from './tiler.js';
import { deserializeError, type ModelRef, type SlabRequest, type WorkerReply, type InferenceThreadSettings } from './worker-protocol.js';

export interface WorkerPoolOptions {
  /** Most slabs computed at once (one per worker thread). */
  readonly size: number;
  /** onnxruntime intra-op threads in each worker. */
  readonly threads: number;
  readonly fallbackToCpu?: boolean;
  /** Receives each distinct line the workers log once (e.g. a GPU -> CPU fallback). */
  readonly log?: (line: string) => void;
}

export interface SlabResult extends SlabOutput {
  /** The execution provider that ran the slab. */
  readonly backend: Provider;
  readonly seconds: number;
}

interface Task {
  readonly request: Omit<SlabRequest, 'id'>;
  resolve(result: SlabResult): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: Worker;
  task?: Task & { id: number };
  /** Resolves when the slot's running task settles (close() waits for it). */
  settled?: { promise: Promise<void>; resolve(): void };
}

/** How long close() lets running slabs finish before it terminates their workers anyway. */
const CLOSE_DRAIN_MS = 60_000;

/**
 * Runs slabs in worker threads so that inference never blocks the event loop that serves DICOM
 * and the API. At most `size` slabs run at once; further requests wait in order.
 */
export class InferenceWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Task[] = [];
  private readonly logged = new Set<string>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new ConfigError(`inference workers must be >= 1, got ${options.size}`);
  }

  runSlab(model: ModelRef, provider: Provider, spec: TilingSpec, slab: SlabInput): Promise<SlabResult> {
    if (this.closed) return Promise.reject(new UnavailableError('inference worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ request: { model, provider, spec, slab }, resolve, reject });
      this.dispatch();
    });
  }

  /** Slabs running and waiting, for metrics. */
  load(): { running: number; waiting: number } {
    return { running: this.slots.filter((s) => s.task).length, waiting: this.waiting.length };
  }

  /**
   * Rejects the waiting slabs, lets the running ones finish, then ends the workers. Terminating a
   * worker while onnxruntime runs in it aborts the whole process (a C++ exception in the addon's
   * teardown), and a tiled source's read-ahead can leave a slab running that nobody awaits.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.reject(new UnavailableError('inference worker pool closed'));
    const running = this.slots.flatMap((slot) => (slot.settled ? [slot.settled.promise] : []));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_DRAIN_MS)));
    await Promise.race([Promise.all(running), deadline]);
    clearTimeout(timer);
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const slot = this.slots.find((s) => !s.task) ?? (this.slots.length < this.options.size ? this.startWorker() : undefined);
      if (!slot) return;
      const task = this.waiting.shift()!;
      slot.task = { ...task, id: this.nextId++ };
      let resolve!: () => void;
      slot.settled = { promise: new Promise<void>((r) => (resolve = r)), resolve };
      slot.worker.postMessage({ ...task.request, id: slot.task.id } satisfies SlabRequest);
    }
  }

  private startWorker(): Slot {
    const settings: InferenceThreadSettings = { threads: this.options.threads, fallbackToCpu: this.options.fallbackToCpu ?? true };
    const slot: Slot = { worker: startModuleWorker(import.meta.url, 'worker', settings) };
    slot.worker.on('message', (reply: WorkerReply) => this.onReply(slot, reply));
    slot.worker.on('error', (error) => this.onWorkerGone(slot, new UnavailableError(`inference worker failed: ${error.message}`, error)));
    slot.worker.on('exit', (code) => this.onWorkerGone(slot, new UnavailableError(`inference worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private onReply(slot: Slot, reply: WorkerReply): void {
    if (reply.type === 'log') {
      if (!this.logged.has(reply.line)) this.options.log?.(reply.line);
      this.logged.add(reply.line);
      return;
    }
    const task = slot.task;
    if (!task || task.id !== reply.id) return;
    this.release(slot);
    if (reply.type === 'done') {
      task.resolve({ slices: reply.slices, tiles: reply.tiles, backend: reply.backend, seconds: reply.seconds });
    } else {
      task.reject(deserializeError(reply.error));
    }
    this.dispatch();
  }

  /** A crashed worker fails only its own slab (retryable); a fresh worker takes the queue. */
  private onWorkerGone(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    slot.task?.reject(error);
    this.release(slot);
    if (!this.closed) this.dispatch();
  }

  private release(slot: Slot): void {
    slot.task = undefined;
    slot.settled?.resolve();
    slot.settled = undefined;
  }
}
