/**
 * Issue 8's evaluation, in CI: scripts/eval.ts (npm run eval) on the three real natural pairs,
 * each calibrated on one half of its slices and evaluated on the other, 6 slices per half. The
 * targets that hold are checked here, so that a change that breaks them fails; those not met yet
 * are named in docs/models.md and guarded at their measured values. Generator v3 runs after the
 * kernel transfer (harmonize-v3-<calibration half>, trained on the calibration halves only), v3_blind
 * after the blind Gaussian.
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
    for (const method of METHODS) {
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

const LUNG = (split: Split) => get(split, 'kernel_transfer').laa950_diff !== null;

it('generator v3 beats the calibrated transfer in PSNR (by more than 0.5 dB) and MAE on the Philips pair, both splits, where the transfer leaves most to correct', () => {
  for (const split of splits.filter((s) => s.pair.startsWith('A0001'))) {
    const [v3, transfer] = [get(split, 'v3'), get(split, 'kernel_transfer')];
    expect([split.calibrated_on, v3.psnr > transfer.psnr + 0.5, v3.mae_hu < transfer.mae_hu]).toEqual([split.calibrated_on, true, true]);
  }
});

it('guards v3 where it misses its targets against the calibrated transfer (docs/models.md)', () => {
  for (const split of splits) {
    const [v3, transfer] = [get(split, 'v3'), get(split, 'kernel_transfer')];
    // Target: v3 above the transfer in PSNR and MAE on every split. Not met on the Siemens pair
    // calibrated on its cranial half (1.5 dB below) nor on the Toshiba phantom (0.3-0.6 dB below):
    // guarded at 2 dB and 1.2x MAE.
    expect([split.pair, split.calibrated_on, v3.psnr > transfer.psnr - 2, v3.mae_hu < 1.2 * transfer.mae_hu]).toEqual([split.pair, split.calibrated_on, true, true]);
    // Target: bone MAE <= 1.1x the transfer's; measured up to 1.11x (Toshiba, 2 slices). Guarded at 1.2x.
    expect(v3.mae_bone_hu).toBeLessThanOrEqual(1.2 * transfer.mae_bone_hu);
    // Outside its window v3 hands the transfer's output on: the full-range error stays near the transfer's.
    expect(v3.mae_full_hu).toBeLessThan(1.25 * transfer.mae_full_hu);
    // Target: |LAA-950 difference| below the transfer's and <= 0.3 pp. Measured below on 4 of 5 lung
    // splits (by 0.002 pp on one), 0.03 pp above on one; 0.66 pp on the Siemens caudal split. Guarded at the transfer's + 0.3.
    if (split.methods.kernel_transfer!.laa950_diff !== null) expect(Math.abs(v3.laa950_diff!)).toBeLessThan(Math.abs(transfer.laa950_diff!) + 0.3);
  }
});

it('v3_blind (no calibration at inference) beats the calibration-tuned Gaussian in PSNR on the Philips pair, and its misses are guarded (docs/models.md)', () => {
  for (const split of splits) {
    const [blind, gaussian] = [get(split, 'v3_blind'), get(split, 'gaussian_calibration')];
    if (split.pair.startsWith('A0001')) expect([split.calibrated_on, blind.psnr > gaussian.psnr]).toEqual([split.calibrated_on, true]);
    // Target: bone MAE <= 1.1x the calibration-tuned Gaussian's; measured 1.4x to 4.1x. Guarded at 5x.
    expect([split.pair, split.calibrated_on, blind.mae_bone_hu < 5 * gaussian.mae_bone_hu, blind.ssim > get(split, 'input').ssim]).toEqual([split.pair, split.calibrated_on, true, true]);
  }
});
