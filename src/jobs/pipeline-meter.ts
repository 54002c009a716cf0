import { performance } from 'node:perf_hooks';
import type { SliceSource } from '../imaging/slice-source.js';

/** What the meter saw of one stage of the pipeline (0: the loaded series, k: the k-th step's output). */
export interface StageTiming {
  /** Seconds during which the stage had a slice asked of it and its input had none: the time spent on its own work. */
  busySeconds: number;
  /** Clock time the stage last handed out a slice; undefined while it has handed out none. */
  lastSliceAt: Date | undefined;
  /** The first error a read of this stage rejected with. */
  error: unknown;
}

interface Stage extends StageTiming {
  pending: number;
}

/**
 * Times the stages of a lazy slice pipeline. Steps compute their slices when the next stage reads
 * them, so every stage runs from the first slice read to the last; what tells them apart is where
 * the time goes. A stage is busy while a read of it is in flight and no read of its input is: then
 * it is working on its own (or waiting on a worker thread that does). A model computing its next
 * slab ahead while nothing reads from it costs nothing here; the busy times of the stages add up to
 * about the time the writer waited for slices.
 */
export class PipelineMeter {
  private readonly stages: Stage[] = [];
  private since: number;

  /** clock: the time stamps (lastSliceAt); now: a monotonic clock in ms for the busy times. */
  constructor(
    private readonly clock: () => Date,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.since = now();
  }

  /** The source of the next stage, wrapped; stage numbers follow the order of the calls. */
  wrap(source: SliceSource): SliceSource {
    const level = this.stages.length;
    const stage: Stage = { pending: 0, busySeconds: 0, lastSliceAt: undefined, error: undefined };
    this.stages.push(stage);
    return {
      geometry: source.geometry,
      sliceCount: source.sliceCount,
      readSlice: (index) => {
        this.change(level, +1);
        let read: Promise<Float32Array>;
        try {
          read = source.readSlice(index);
        } catch (error) {
          read = Promise.reject(error);
        }
        return read.then(
          (slice) => {
            this.change(level, -1);
            stage.lastSliceAt = this.clock();
            return slice;
          },
          (error: unknown) => {
            this.change(level, -1);
            stage.error ??= error;
            throw error;
          },
        );
      },
    };
  }

  timing(level: number): StageTiming {
    this.change(level, 0);
    const { busySeconds, lastSliceAt, error } = this.stages[level];
    return { busySeconds, lastSliceAt, error };
  }

  /** The deepest stage a read failed in: where a failure that surfaced in the writer began. */
  failedStage(): number | undefined {
    const index = this.stages.findIndex((stage) => stage.error !== undefined);
    return index < 0 ? undefined : index;
  }

  private change(level: number, delta: number): void {
    const now = this.now();
    const elapsed = (now - this.since) / 1000;
    this.since = now;
    for (const [index, stage] of this.stages.entries()) {
      const inputIdle = index === 0 || this.stages[index - 1].pending === 0;
      if (stage.pending > 0 && inputIdle) stage.busySeconds += elapsed;
    }
    this.stages[level].pending += delta;
  }
}
