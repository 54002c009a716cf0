/**
 * Issue 8's evaluation, in CI: scripts/eval.ts (npm run eval) on the three real natural pairs,
 * each calibrated on one half of its slices and evaluated on the other: every slice of the Siemens
 * pair (15 per half) and the phantom (2), 6 per half of the Philips pair (of 32). The
 * targets that hold are checked here, so that a change that breaks them fails; those not met yet
 * are named in docs/models.md and guarded at their measured values. Generator v3 runs after the
 * kernel transfer: v3 is the one trained for the split's calibration (harmonize-v3-<pair>-<half>,
 * that pair's calibration half only), v3_shared the one trained on the calibration halves of all
 * three pairs (harmonize-v3-<half>); v3_blind runs after the blind Gaussian (gaussian_blind), and
 * v3_blind_unseen is v3_blind trained without the evaluated pair's scanner. v3_full and
 * v3_full_shared are v3 and v3_shared at full size (64 channels, 8 blocks), trained on a GPU.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { HarmonizeSplit as Split, Method } from '../../scripts/eval.js';

let splits: Split[];

beforeAll(async () => {
  const args = ['--import', 'tsx', path.join(process.cwd(), 'scripts/eval.ts'), '--tasks', 'harmonize', '--slices-per-half', 'a0001=6', '--threads', '2'];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: process.cwd(), maxBuffer: 1 << 22 });
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as { harmonize: { splits: Split[] }; superres: { splits: unknown[] } };
  splits = report.harmonize.splits;
  // 720 s alone on an idle 2-core machine of the slower kind CI may get (2026-11-28); with 6 slices
  // of the Siemens pair too, 578 s ran past an earlier 600 s limit inside the full suite.
}, 2_400_000);

const METHODS = ['input', 'gaussian_calibration', 'gaussian_oracle', 'gaussian_blind', 'kernel_transfer', 'v2', 'v3', 'v3_blind', 'v3_shared', 'v3_blind_unseen', 'v3_full', 'v3_full_shared'];
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

it('generator v3, trained for the calibration, beats the calibrated transfer in PSNR on every split, and keeps its bone MAE (within 1.1x)', () => {
  for (const split of splits) {
    const [v3, transfer] = [get(split, 'v3'), get(split, 'kernel_transfer')];
    expect([split.pair, split.calibrated_on, v3.psnr > transfer.psnr, v3.mae_bone_hu <= 1.1 * transfer.mae_bone_hu]).toEqual([split.pair, split.calibrated_on, true, true]);
  }
});

it('v3 beats the transfer in MAE where it was measured to (every split but the phantom calibrated on cranial), and by more than 2 dB on the Philips pair', () => {
  const met = ['A0001 Philips L->B / cranial', 'A0001 Philips L->B / caudal', 'A0002 Siemens B70f->B40f / cranial', 'A0002 Siemens B70f->B40f / caudal', 'Toshiba phantom FC51->FC13 / caudal'];
  for (const split of splits.filter((s) => met.includes(`${s.pair} / ${s.calibrated_on}`))) {
    const [v3, transfer] = [get(split, 'v3'), get(split, 'kernel_transfer')];
    expect([split.pair, split.calibrated_on, v3.mae_hu < transfer.mae_hu]).toEqual([split.pair, split.calibrated_on, true]);
    if (split.pair.startsWith('A0001')) expect(v3.psnr).toBeGreaterThan(transfer.psnr + 2);
  }
});

const LUNG = (split: Split) => get(split, 'kernel_transfer').laa950_diff !== null;

it('guards v3 where it misses its targets against the calibrated transfer (docs/models.md)', () => {
  for (const split of splits) {
    const [v3, transfer] = [get(split, 'v3'), get(split, 'kernel_transfer')];
    // Target: v3 below the transfer in MAE on every split. Missed on the phantom calibrated on
    // cranial (1.05x, 2 training slices). Guarded at 1.1x.
    expect([split.pair, split.calibrated_on, v3.mae_hu < 1.1 * transfer.mae_hu]).toEqual([split.pair, split.calibrated_on, true]);
    // Outside its window, and from 500 HU up, v3 hands the transfer's output on: the full-range error stays near the transfer's.
    expect(v3.mae_full_hu).toBeLessThan(1.25 * transfer.mae_full_hu);
    // Not above the transfer's by more than chance on few slices (the Philips pair's 6).
    if (LUNG(split)) expect(Math.abs(v3.laa950_diff!)).toBeLessThan(Math.abs(transfer.laa950_diff!) + 0.1);
  }
});

it('v3 is within 0.3 pp of the reference\'s LAA-950 on the lung splits evaluated whole (Siemens, phantom), measured on the stored output', () => {
  // On all 32 slices the Philips splits are at 0.02 and 0.20 pp too; on the 6 here, 0.03 and 0.36.
  // The Siemens pair calibrated on caudal is at 0.28 (0.37 when the unrounded output was measured).
  const whole = splits.filter((split) => LUNG(split) && !split.pair.startsWith('A0001'));
  expect(whole.map((split) => `${split.pair} / ${split.calibrated_on}`)).toEqual([
    'A0002 Siemens B70f->B40f / cranial', 'A0002 Siemens B70f->B40f / caudal', 'Toshiba phantom FC51->FC13 / cranial',
  ]);
  for (const split of whole) {
    expect([split.pair, split.calibrated_on, Math.abs(get(split, 'v3').laa950_diff!) <= 0.3]).toEqual([split.pair, split.calibrated_on, true]);
  }
});

it('v3 (trained with the LAA-950 term) is below the transfer in |LAA-950 difference| on at least 4 of 5 lung splits (5 of 5 on all slices)', () => {
  const lung = splits.filter(LUNG);
  const below = lung.filter((split) => Math.abs(get(split, 'v3').laa950_diff!) < Math.abs(get(split, 'kernel_transfer').laa950_diff!));
  expect(lung.length).toBe(5);
  expect(below.length).toBeGreaterThanOrEqual(4);
});

it('one v3 for every scanner (v3_shared) does worse than v3 per calibration: below it in PSNR on every split', () => {
  const below = splits.filter((split) => get(split, 'v3_shared').psnr < get(split, 'v3').psnr);
  expect(below.length).toBe(6);
});

it('v3_blind (no calibration at inference) beats the calibration-tuned Gaussian in PSNR on the Philips pair, and its misses are guarded (docs/models.md)', () => {
  for (const split of splits) {
    const [blind, gaussian] = [get(split, 'v3_blind'), get(split, 'gaussian_calibration')];
    if (split.pair.startsWith('A0001')) expect([split.calibrated_on, blind.psnr > gaussian.psnr]).toEqual([split.calibrated_on, true]);
    // Target: bone MAE <= 1.1x the calibration-tuned Gaussian's; measured 1.4x to 4.1x. Guarded at 5x.
    expect([split.pair, split.calibrated_on, blind.mae_bone_hu < 5 * gaussian.mae_bone_hu, blind.ssim > get(split, 'input').ssim]).toEqual([split.pair, split.calibrated_on, true, true]);
  }
});

it('on a scanner it never saw (v3_blind_unseen), the blind generator is below v3_blind in PSNR on every split and no better than v2 in MAE: v2 stays the shipped fallback (docs/models.md)', () => {
  for (const split of splits) {
    const [unseen, blind, v2] = [get(split, 'v3_blind_unseen'), get(split, 'v3_blind'), get(split, 'v2')];
    // MAE above v2's on every split, by 0.03 HU only on the phantom calibrated on cranial: held at 0.99x.
    expect([split.pair, split.calibrated_on, unseen.psnr < blind.psnr, unseen.mae_hu > 0.99 * v2.mae_hu]).toEqual([split.pair, split.calibrated_on, true, true]);
    // Still better than the sharp input it was given.
    expect(unseen.ssim).toBeGreaterThan(get(split, 'input').ssim);
  }
});

it('v3 at full size (trained on a GPU) keeps bone at the transfer\'s, beats the transfer in PSNR and MAE where the CPU-sized v3 does, and beats the CPU-sized v3 on the Philips pair (docs/models.md)', () => {
  const met = ['A0001 Philips L->B / cranial', 'A0001 Philips L->B / caudal', 'A0002 Siemens B70f->B40f / cranial', 'A0002 Siemens B70f->B40f / caudal', 'Toshiba phantom FC51->FC13 / caudal'];
  for (const split of splits) {
    const [full, v3, transfer] = [get(split, 'v3_full'), get(split, 'v3'), get(split, 'kernel_transfer')];
    const label = [split.pair, split.calibrated_on];
    expect([...label, full.mae_bone_hu <= 1.1 * transfer.mae_bone_hu, full.mae_full_hu < 1.25 * transfer.mae_full_hu]).toEqual([...label, true, true]);
    if (met.includes(`${split.pair} / ${split.calibrated_on}`)) expect([...label, full.psnr > transfer.psnr, full.mae_hu < transfer.mae_hu]).toEqual([...label, true, true]);
    // Missed on the phantom calibrated on cranial (2 training slices), as by every v3: guarded at 1.1x the transfer's MAE.
    else expect([...label, full.mae_hu < 1.1 * transfer.mae_hu]).toEqual([...label, true]);
    if (split.pair.startsWith('A0001')) expect([...label, full.psnr > v3.psnr + 0.3, full.mae_hu < v3.mae_hu]).toEqual([...label, true, true]);
    if (LUNG(split)) expect(Math.abs(full.laa950_diff!)).toBeLessThan(Math.abs(transfer.laa950_diff!) + 0.1);
  }
});

it('every v3 that runs after the transfer (per calibration or shared, either size) keeps bone within 1.1x the transfer\'s on every split', () => {
  for (const split of splits) {
    const transfer = get(split, 'kernel_transfer').mae_bone_hu;
    const within = ['v3', 'v3_shared', 'v3_full', 'v3_full_shared'].map((method) => [method, get(split, method).mae_bone_hu <= 1.1 * transfer]);
    expect([split.pair, split.calibrated_on, ...within.flat()]).toEqual([split.pair, split.calibrated_on, 'v3', true, 'v3_shared', true, 'v3_full', true, 'v3_full_shared', true]);
  }
});
