/**
 * Issue 8's evaluation, in CI: scripts/eval.ts (npm run eval) on the three real natural pairs,
 * each calibrated on one half of its slices and evaluated on the other, 6 slices per half. The
 * targets that hold are checked here, so that a change that breaks them fails; those not met yet
 * are named in docs/models.md and guarded at their measured values.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { HarmonizeSplit as Split, Method } from '../../scripts/eval.js';

let splits: Split[];

beforeAll(async () => {
  const args = ['--import', 'tsx', path.join(process.cwd(), 'scripts/eval.ts'), '--tasks', 'harmonize', '--slices-per-half', '6', '--threads', '2'];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: process.cwd(), maxBuffer: 1 << 22 });
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as { harmonize: { splits: Split[] }; superres: { splits: unknown[] } };
  splits = report.harmonize.splits;
}, 600_000);

const METHODS = ['input', 'gaussian_calibration', 'gaussian_oracle', 'kernel_transfer', 'v2', 'v3', 'v3_blind'];
const get = (split: Split, method: string) => split.methods[method] as Method;

it('reports each pair calibrated on each half, with every method and every figure', () => {
  expect(splits.map((split) => `${split.pair} / ${split.calibrated_on}`)).toEqual([
    'A0001 Philips L->B / cranial', 'A0001 Philips L->B / caudal',
    'A0002 Siemens B70f->B40f / cranial', 'A0002 Siemens B70f->B40f / caudal',
    'Toshiba phantom FC51->FC13 / cranial', 'Toshiba phantom FC51->FC13 / caudal',
  ]);
  for (const split of splits) {
    expect(Object.keys(split.methods)).toEqual(METHODS);
    // Generator v3 is not trained yet: reported as null, never as a made-up figure.
    expect([split.methods.v3, split.methods.v3_blind]).toEqual([null, null]);
    for (const method of METHODS.slice(0, 5)) {
      const m = get(split, method);
      for (const key of ['psnr', 'ssim', 'mae_hu', 'mae_full_hu', 'mae_bone_hu'] as const) expect(Number.isFinite(m[key])).toBe(true);
    }
  }
});

it('the calibrated kernel transfer beats the calibration-tuned Gaussian in SSIM and MAE on every split, and in PSNR and bone MAE', () => {
  for (const split of splits) {
    const [transfer, gaussian] = [get(split, 'kernel_transfer'), get(split, 'gaussian_calibration')];
    const beats = [transfer.ssim > gaussian.ssim, transfer.mae_hu < gaussian.mae_hu, transfer.psnr > gaussian.psnr, transfer.mae_bone_hu < gaussian.mae_bone_hu];
    expect([split.pair, split.calibrated_on, ...beats]).toEqual([split.pair, split.calibrated_on, true, true, true, true]);
  }
});

it('the kernel transfer keeps more of the noise texture than the Gaussian, and less than the sharp input', () => {
  for (const split of splits) {
    const transfer = get(split, 'kernel_transfer').noise_hu!;
    expect(transfer).toBeGreaterThanOrEqual(get(split, 'gaussian_calibration').noise_hu!);
    expect(transfer).toBeLessThan(get(split, 'input').noise_hu!);
  }
});

it('guards the blind generator v2 where it misses its targets against the calibration-tuned Gaussian (docs/models.md)', () => {
  for (const split of splits) {
    const [v2, gaussian] = [get(split, 'v2'), get(split, 'gaussian_calibration')];
    // Target: bone MAE <= 1.1x the calibration-tuned Gaussian's. Measured: 2.7x to 6x (v2's own
    // counterpart outside its window is a Gaussian tuned on another scanner). Guarded at 8x.
    expect(v2.mae_bone_hu).toBeLessThan(8 * gaussian.mae_bone_hu);
    expect(v2.ssim).toBeGreaterThan(get(split, 'input').ssim);
  }
});
