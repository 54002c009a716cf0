import { classifyKernel, kernelValues, vendorFromManufacturer } from '../../../src/route/kernel-taxonomy.js';

type Row = [manufacturer: string | undefined, kernel: string | string[], family: string, vendor: string, normalized: string];

describe('classifyKernel', () => {
  // The first five rows are the ConvolutionKernel / Manufacturer values of ../shared/data/ct (dcmdump).
  const rows: Row[] = [
    ['SIEMENS', 'B70f', 'sharp', 'siemens', 'B70f'],
    ['SIEMENS', 'B40f', 'medium', 'siemens', 'B40f'],
    ['SIEMENS', 'B30f', 'soft', 'siemens', 'B30f'],
    ['Philips', 'L', 'sharp', 'philips', 'L'],
    ['Philips', 'B', 'soft', 'philips', 'B'],
    // Siemens, older scheme
    ['SIEMENS', 'B10f', 'soft', 'siemens', 'B10f'],
    ['SIEMENS', 'B20f', 'soft', 'siemens', 'B20f'],
    ['SIEMENS', 'B31s', 'soft', 'siemens', 'B31s'],
    ['SIEMENS', 'B45f', 'medium', 'siemens', 'B45f'],
    ['SIEMENS', 'B50f', 'sharp', 'siemens', 'B50f'],
    ['SIEMENS', 'B60f', 'sharp', 'siemens', 'B60f'],
    ['SIEMENS', 'B80f', 'sharp', 'siemens', 'B80f'],
    ['SIEMENS', 'B90h', 'sharp', 'siemens', 'B90h'],
    ['SIEMENS', 'H60s', 'sharp', 'siemens', 'H60s'],
    ['SIEMENS', 'I30f', 'soft', 'siemens', 'I30f'],
    ['SIEMENS', 'U90u', 'sharp', 'siemens', 'U90u'],
    ['SIEMENS', 'b70F', 'sharp', 'siemens', 'B70f'],
    // Siemens, newer scheme
    ['Siemens Healthineers', 'Br32d', 'soft', 'siemens', 'Br32d'],
    ['Siemens Healthineers', 'Br36d', 'medium', 'siemens', 'Br36d'],
    ['Siemens Healthineers', 'Br40d', 'medium', 'siemens', 'Br40d'],
    ['Siemens Healthineers', 'Br44d', 'medium', 'siemens', 'Br44d'],
    ['Siemens Healthineers', 'Br49d', 'sharp', 'siemens', 'Br49d'],
    ['Siemens Healthineers', 'Br64d', 'sharp', 'siemens', 'Br64d'],
    ['Siemens Healthineers', 'Bl56d', 'sharp', 'siemens', 'Bl56d'],
    ['Siemens Healthineers', 'Bl57d', 'sharp', 'siemens', 'Bl57d'],
    ['Siemens Healthineers', 'Bl64', 'sharp', 'siemens', 'Bl64'],
    ['Siemens Healthineers', 'Hr38h', 'medium', 'siemens', 'Hr38h'],
    ['Siemens Healthineers', 'Hr40', 'medium', 'siemens', 'Hr40'],
    ['Siemens Healthineers', 'Hr64h', 'sharp', 'siemens', 'Hr64h'],
    ['Siemens Healthineers', 'Hr68', 'sharp', 'siemens', 'Hr68'],
    ['Siemens Healthineers', 'Bv40d', 'medium', 'siemens', 'Bv40d'],
    ['Siemens Healthineers', 'Qr40d', 'medium', 'siemens', 'Qr40d'],
    ['Siemens Healthineers', 'Br40d\\3', 'medium', 'siemens', 'Br40d'],
    ['Siemens Healthineers', ['Br59d', '3'], 'sharp', 'siemens', 'Br59d'],
    ['SIEMENS', ' BR40D ', 'medium', 'siemens', 'Br40d'],
    // Philips
    ['Philips Medical Systems', 'A', 'soft', 'philips', 'A'],
    ['Philips', 'C', 'soft', 'philips', 'C'],
    ['Philips', 'D', 'sharp', 'philips', 'D'],
    ['Philips', 'E', 'sharp', 'philips', 'E'],
    ['Philips', 'YA', 'sharp', 'philips', 'YA'],
    ['Philips', 'YC', 'sharp', 'philips', 'YC'],
    ['Philips', 'yd', 'sharp', 'philips', 'YD'],
    ['Philips', 'UB', 'soft', 'philips', 'UB'],
    // GE
    ['GE MEDICAL SYSTEMS', 'STANDARD', 'soft', 'ge', 'STANDARD'],
    ['GE MEDICAL SYSTEMS', 'SOFT', 'soft', 'ge', 'SOFT'],
    ['GE MEDICAL SYSTEMS', 'DETAIL', 'medium', 'ge', 'DETAIL'],
    ['GE MEDICAL SYSTEMS', 'CHEST', 'medium', 'ge', 'CHEST'],
    ['GE MEDICAL SYSTEMS', 'LUNG', 'sharp', 'ge', 'LUNG'],
    ['GE MEDICAL SYSTEMS', 'BONE', 'sharp', 'ge', 'BONE'],
    ['GE MEDICAL SYSTEMS', 'BONEPLUS', 'sharp', 'ge', 'BONEPLUS'],
    ['GE MEDICAL SYSTEMS', 'EDGE', 'sharp', 'ge', 'EDGE'],
    ['GE Healthcare', 'HD STANDARD', 'soft', 'ge', 'HD STANDARD'],
    ['GE Healthcare', 'lung', 'sharp', 'ge', 'LUNG'],
    // Canon / Toshiba
    ['TOSHIBA', 'FC01', 'soft', 'canon', 'FC01'],
    ['TOSHIBA', 'FC13', 'soft', 'canon', 'FC13'],
    ['TOSHIBA', 'FC18', 'soft', 'canon', 'FC18'],
    ['Canon Medical Systems', 'FC52', 'sharp', 'canon', 'FC52'],
    ['Canon Medical Systems', 'FC56', 'sharp', 'canon', 'FC56'],
    ['Canon Medical Systems', 'FC86', 'sharp', 'canon', 'FC86'],
    ['Canon Medical Systems', 'FC30', 'unknown', 'canon', 'FC30'],
    ['Canon Medical Systems', 'FC13-H', 'unknown', 'canon', 'FC13-H'],
  ];

  it.each(rows)('%s %j -> %s (%s, %s)', (manufacturer, kernel, family, vendor, normalized) => {
    expect(classifyKernel(manufacturer, kernel)).toEqual({ family, vendor, kernel: normalized });
  });

  it('infers the vendor from the kernel pattern when the manufacturer is missing', () => {
    expect(classifyKernel(undefined, 'B70f')).toEqual({ family: 'sharp', vendor: 'siemens', kernel: 'B70f' });
    expect(classifyKernel('', 'L')).toEqual({ family: 'sharp', vendor: 'philips', kernel: 'L' });
    expect(classifyKernel(undefined, 'BONEPLUS')).toEqual({ family: 'sharp', vendor: 'ge', kernel: 'BONEPLUS' });
    expect(classifyKernel(undefined, 'FC55')).toEqual({ family: 'sharp', vendor: 'canon', kernel: 'FC55' });
  });

  it('does not use another vendor table when the manufacturer says otherwise', () => {
    expect(classifyKernel('SIEMENS', 'L')).toEqual({ family: 'unknown', vendor: 'siemens', kernel: 'L' });
    expect(classifyKernel('Philips', 'B70f')).toEqual({ family: 'unknown', vendor: 'philips', kernel: 'B70f' });
  });

  it('gives unknown for an unknown manufacturer, even when a known vendor table would match', () => {
    expect(classifyKernel('NEUSOFT', 'B')).toEqual({ family: 'unknown', vendor: 'unknown', kernel: 'B' });
  });

  it('gives unknown for missing or unrecognised kernels', () => {
    expect(classifyKernel('SIEMENS', undefined)).toEqual({ family: 'unknown', vendor: 'siemens', kernel: '' });
    expect(classifyKernel(undefined, [])).toEqual({ family: 'unknown', vendor: 'unknown', kernel: '' });
    expect(classifyKernel(undefined, 'MYKERNEL')).toEqual({ family: 'unknown', vendor: 'unknown', kernel: 'MYKERNEL' });
  });
});

describe('vendorFromManufacturer', () => {
  it.each([
    ['SIEMENS', 'siemens'],
    ['Siemens Healthineers', 'siemens'],
    ['Philips', 'philips'],
    ['Philips Medical Systems', 'philips'],
    ['GE MEDICAL SYSTEMS', 'ge'],
    ['GE Healthcare', 'ge'],
    ['TOSHIBA', 'canon'],
    ['Canon Medical Systems', 'canon'],
    ['AGE Imaging', 'unknown'],
    ['', 'unknown'],
  ])('%s -> %s', (manufacturer, vendor) => {
    expect(vendorFromManufacturer(manufacturer)).toBe(vendor);
  });
});

describe('kernelValues', () => {
  it('splits backslash-joined values and drops empty ones', () => {
    expect(kernelValues(['Br40d\\3', ' ', 'B70f '])).toEqual(['Br40d', '3', 'B70f']);
  });
});
