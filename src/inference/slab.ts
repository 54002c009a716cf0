import { ConfigError } from '../errors.js';
import type { FloatTensor, InferenceBackend } from './backend.js';
import {
  copyPatch,
  normalize,
  padIndex,
  pasteCentre,
  patchIndexMap,
  planTiles,
  zContext,
  type TileRect,
  type TilingSpec,
} from './tiler.js';

/** One slab of work: the input slices it reads and the output range it makes. */
export interface SlabInput {
  readonly rows: number;
  readonly columns: number;
  readonly sliceCount: number;
  /** Input slices [first, first + slices.length) in HU; must cover slabInputRange(). */
  readonly first: number;
  readonly slices: readonly Float32Array[];
  /** Output range [z0, z1) in input slice units. */
  readonly z0: number;
  readonly z1: number;
}

export interface SlabOutput {
  /** scale.z * (z1 - z0) slices of (scale * rows) x (scale * columns) HU values. */
  readonly slices: Float32Array[];
  readonly tiles: number;
}

type Runner = Pick<InferenceBackend, 'run'>;

interface Prepared {
  readonly spec: TilingSpec;
  readonly input: SlabInput;
  readonly normalized: Float32Array[];
  readonly tiles: TileRect[];
  readonly outputs: Float32Array[];
}

function sliceAt(p: Prepared, z: number): Float32Array {
  const index = padIndex(z, p.input.sliceCount, p.spec.padding) - p.input.first;
  const slice = p.normalized[index];
  if (!slice) throw new RangeError(`slab input lacks slice ${z + p.input.first}`);
  return slice;
}

function checkShape(output: FloatTensor, expected: number[]): void {
  if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i])) {
    throw new ConfigError(
      `model output shape ${output.shape.join('x')} differs from ${expected.join('x')} expected from its manifest (scale, layout)`,
    );
  }
}

function patchMaps(p: Prepared, tile: TileRect): { rowMap: Int32Array; columnMap: Int32Array } {
  const { halo, padding } = p.spec;
  return {
    rowMap: patchIndexMap(tile.y0 - halo.inPlane, tile.height + 2 * halo.inPlane, p.input.rows, padding),
    columnMap: patchIndexMap(tile.x0 - halo.inPlane, tile.width + 2 * halo.inPlane, p.input.columns, padding),
  };
}

/** 2d and 2.5d: each item is one tile of one output slice; channels are the neighbour slices. */
async function runPlanar(runner: Runner, p: Prepared): Promise<number> {
  const { spec, input, tiles } = p;
  const k = spec.dimensionality === '2.5d' ? spec.neighbourSlices : 0;
  const channels = 2 * k + 1;
  const s = spec.scale.inPlane;
  const [ph, pw] = [tiles[0].height + 2 * spec.halo.inPlane, tiles[0].width + 2 * spec.halo.inPlane];
  const items = [];
  for (let z = input.z0; z < input.z1; z++) for (const tile of tiles) items.push({ z, tile });
  for (let start = 0; start < items.length; start += spec.batch) {
    const group = items.slice(start, start + spec.batch);
    const data = new Float32Array(group.length * channels * ph * pw);
    group.forEach(({ z, tile }, b) => {
      const { rowMap, columnMap } = patchMaps(p, tile);
      for (let c = 0; c < channels; c++) {
        copyPatch(sliceAt(p, z + c - k), input.columns, rowMap, columnMap, data, (b * channels + c) * ph * pw);
      }
    });
    const output = await runner.run({ data, shape: [group.length, channels, ph, pw] });
    checkShape(output, [group.length, 1, s * ph, s * pw]);
    group.forEach(({ z, tile }, b) => {
      const centre = { top: s * spec.halo.inPlane, left: s * spec.halo.inPlane, height: s * tile.height, width: s * tile.width };
      const dest = p.outputs[z - input.z0];
      pasteCentre(output.data, b * s * ph * s * pw, s * pw, centre, dest, s * input.columns, s * tile.y0, s * tile.x0, spec.huWindow);
    });
  }
  return items.length;
}

/** 3d: each item is one tile over the whole slab depth plus the z halo. */
async function runVolumetric(runner: Runner, p: Prepared): Promise<number> {
  const { spec, input, tiles } = p;
  const [s, sz, hz] = [spec.scale.inPlane, spec.scale.z, spec.halo.z];
  const depth = input.z1 - input.z0 + 2 * hz;
  const [ph, pw] = [tiles[0].height + 2 * spec.halo.inPlane, tiles[0].width + 2 * spec.halo.inPlane];
  const volume = depth * ph * pw;
  const outPlane = s * ph * s * pw;
  for (let start = 0; start < tiles.length; start += spec.batch) {
    const group = tiles.slice(start, start + spec.batch);
    const data = new Float32Array(group.length * volume);
    group.forEach((tile, b) => {
      const { rowMap, columnMap } = patchMaps(p, tile);
      for (let d = 0; d < depth; d++) {
        copyPatch(sliceAt(p, input.z0 - hz + d), input.columns, rowMap, columnMap, data, b * volume + d * ph * pw);
      }
    });
    const output = await runner.run({ data, shape: [group.length, 1, depth, ph, pw] });
    checkShape(output, [group.length, 1, sz * depth, s * ph, s * pw]);
    group.forEach((tile, b) => {
      const centre = { top: s * spec.halo.inPlane, left: s * spec.halo.inPlane, height: s * tile.height, width: s * tile.width };
      for (let d = 0; d < p.outputs.length; d++) {
        const offset = (b * sz * depth + sz * hz + d) * outPlane;
        pasteCentre(output.data, offset, s * pw, centre, p.outputs[d], s * input.columns, s * tile.y0, s * tile.x0, spec.huWindow);
      }
    });
  }
  return tiles.length;
}

/**
 * Runs the model over one slab: normalizes its input slices, cuts tiles with their halo, runs
 * them in batches and stitches the valid centres into the slab's output slices (HU).
 */
export async function runSlab(runner: Runner, spec: TilingSpec, input: SlabInput): Promise<SlabOutput> {
  const context = zContext(spec);
  const needFirst = Math.max(0, input.z0 - context);
  const needEnd = Math.min(input.sliceCount, input.z1 + context);
  if (input.first > needFirst || input.first + input.slices.length < needEnd) {
    throw new RangeError(`slab [${input.z0}, ${input.z1}) needs input slices [${needFirst}, ${needEnd})`);
  }
  const outSize = spec.scale.inPlane * input.rows * spec.scale.inPlane * input.columns;
  const prepared: Prepared = {
    spec,
    input,
    normalized: input.slices.map((slice) => normalize(slice, spec.huWindow)),
    tiles: planTiles(input.rows, input.columns, spec.tile),
    outputs: Array.from({ length: spec.scale.z * (input.z1 - input.z0) }, () => new Float32Array(outSize)),
  };
  const tiles = spec.dimensionality === '3d' ? await runVolumetric(runner, prepared) : await runPlanar(runner, prepared);
  return { slices: prepared.outputs, tiles };
}
