import type { SliceSource } from '../imaging/slice-source.js';
import type { SeriesGeometry } from '../imaging/geometry.js';
import { scaledGeometry } from './output-geometry.js';
import type { SlabInput, SlabOutput } from './slab.js';
import { slabDepth, slabInputRange, type TilingSpec } from './tiler.js';

/** Runs one slab somewhere (in this thread for tests, in a worker thread in the node). */
export type SlabRunner = (slab: SlabInput) => Promise<SlabOutput>;

export interface TiledSourceStats {
  slabs: number;
  tiles: number;
}

/**
 * The output of a model over a series, made lazily slab by slab as slices are read. It holds the
 * input slices of one slab (plus its z context), the slab being read and the next one (computed
 * ahead while the caller writes), so memory does not grow with the number of slices.
 */
export class TiledSource implements SliceSource {
  readonly geometry: SeriesGeometry;
  readonly sliceCount: number;
  readonly stats: TiledSourceStats = { slabs: 0, tiles: 0 };
  private readonly depth: number;
  private readonly slabs = new Map<number, Promise<SlabOutput>>();
  private readonly inputs = new Map<number, Float32Array>();
  private inputQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly input: SliceSource,
    private readonly spec: TilingSpec,
    private readonly runner: SlabRunner,
    private readonly prefetch = true,
  ) {
    this.geometry = scaledGeometry(input.geometry, spec.scale);
    this.sliceCount = input.sliceCount * spec.scale.z;
    this.depth = slabDepth(spec, input.geometry.rows, input.geometry.columns);
  }

  async readSlice(index: number): Promise<Float32Array> {
    if (!Number.isInteger(index) || index < 0 || index >= this.sliceCount) {
      throw new RangeError(`slice ${index} outside [0, ${this.sliceCount})`);
    }
    const slab = Math.floor(Math.floor(index / this.spec.scale.z) / this.depth);
    for (const kept of this.slabs.keys()) if (kept < slab || kept > slab + 1) this.slabs.delete(kept);
    const output = this.slab(slab);
    if (this.prefetch && (slab + 1) * this.depth < this.input.sliceCount) {
      // Computed ahead; its failure is reported when that slab is read.
      this.slab(slab + 1).catch(() => undefined);
    }
    return (await output).slices[index - slab * this.depth * this.spec.scale.z];
  }

  private slab(slab: number): Promise<SlabOutput> {
    let pending = this.slabs.get(slab);
    if (!pending) {
      pending = this.computeSlab(slab);
      this.slabs.set(slab, pending);
      pending.catch(() => this.slabs.delete(slab));
    }
    return pending;
  }

  private async computeSlab(slab: number): Promise<SlabOutput> {
    const z0 = slab * this.depth;
    const z1 = Math.min(this.input.sliceCount, z0 + this.depth);
    const [first, end] = slabInputRange(this.spec, this.input.sliceCount, z0, z1);
    const slices = await this.readInputs(first, end);
    const { rows, columns } = this.input.geometry;
    const output = await this.runner({ rows, columns, sliceCount: this.input.sliceCount, first, slices, z0, z1 });
    this.stats.slabs += 1;
    this.stats.tiles += output.tiles;
    return output;
  }

  /** Reads input slices in order, one read at a time, keeping only the window the newest slab needs. */
  private readInputs(first: number, end: number): Promise<Float32Array[]> {
    const read = this.inputQueue.then(async () => {
      for (const kept of this.inputs.keys()) if (kept < first || kept >= end) this.inputs.delete(kept);
      const slices: Float32Array[] = [];
      for (let i = first; i < end; i++) {
        let slice = this.inputs.get(i);
        if (!slice) {
          slice = await this.input.readSlice(i);
          this.inputs.set(i, slice);
        }
        slices.push(slice);
      }
      return slices;
    });
    this.inputQueue = read.catch(() => undefined);
    return read;
  }
}
