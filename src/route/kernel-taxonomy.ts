/**
 * Reconstruction-kernel taxonomy across CT vendors: maps a ConvolutionKernel (0018,1210) value to a
 * coarse sharpness family, so that rules can say "sharp" instead of listing every vendor's names.
 *
 * The tables are a practical grouping for routing, not physics: a kernel's family says which
 * generator it belongs to (sharp -> harmonize to soft), nothing about its exact MTF.
 *
 * Siemens (SOMATOM operator manuals; Siemens kernel naming notes, e.g. diagnosticradphys.com
 * "Siemens reconstruction kernels"): older scanners write letter + two digits + a suffix that
 * depends on rotation time / resolution mode (B30f, B40s, H60s, U90u, I30f for SAFIRE, J for
 * SAFIRE head); newer ones write two letters + two digits + optional suffix (Br40d, Bl57d, Hr64h,
 * Qr40d, Bf37f), the second letter naming the subgroup (r regular, f fine, l lung, v vascular...).
 * The two digits are the sharpness index: higher is sharper.
 *   older scheme  (B30f):  < 40 soft, 40-49 medium, >= 50 sharp  (B20f/B30f soft, B40f/B45f medium)
 *   newer scheme  (Br40d): < 36 soft, 36-48 medium, >= 49 sharp  (Br32 soft, Br36-Br44 medium,
 *                                                                 Bl56/Bl57/Bl64, Hr64/Hr68 sharp)
 * Newer scanners may add a second value, e.g. 'Br40d\3' (iterative strength): only the first value
 * that is a kernel name counts.
 *
 * Philips (Brilliance / iCT filter letters): A, B, C soft/standard; D, E sharp; L lung (sharp);
 * YA..YF enhanced/sharp; UA, UB, UC brain standard (soft).
 * GE (LightSpeed / Discovery kernel names, softest to sharpest): SOFT, STANDARD soft; DETAIL, CHEST
 * medium; LUNG, BONE, BONEPLUS, EDGE, ULTRA sharp. 'HD ' variants share their base kernel's family.
 * Canon / Toshiba (Aquilion FCxx): FC01-FC18 body soft, FC50-FC56 lung sharp, FC80-FC86 high
 * resolution sharp; other FC numbers (head, bone series) and suffixed hybrids such as FC13-H are
 * left unknown on purpose.
 */

/** Every kernel family; 'unknown' for a kernel no vendor table names. */
export const KERNEL_FAMILIES = ['soft', 'medium', 'sharp', 'unknown'] as const;
export type KernelFamily = (typeof KERNEL_FAMILIES)[number];
/** The families a rule may ask for (a rule cannot ask for 'unknown'). */
export const KNOWN_KERNEL_FAMILIES = ['soft', 'medium', 'sharp'] as const;
export type KernelVendor = 'siemens' | 'philips' | 'ge' | 'canon' | 'unknown';

export interface KernelClass {
  family: KernelFamily;
  vendor: KernelVendor;
  /** The kernel value that decided the family, in its vendor's usual spelling ('' when none). */
  kernel: string;
}

type KnownVendor = Exclude<KernelVendor, 'unknown'>;
type KnownFamily = Exclude<KernelFamily, 'unknown'>;

interface Classified {
  family: KnownFamily;
  kernel: string;
}

const SIEMENS_OLD = /^([BCDHIJSU])(\d{2})([A-Z])$/i;
const SIEMENS_NEW = /^([BHQU])([A-Z])(\d{2})([A-Z])?$/i;

function bySharpnessIndex(index: number, mediumFrom: number, sharpFrom: number): KnownFamily {
  if (index >= sharpFrom) return 'sharp';
  return index >= mediumFrom ? 'medium' : 'soft';
}

function classifySiemens(token: string): Classified | undefined {
  const old = SIEMENS_OLD.exec(token);
  if (old) {
    const kernel = old[1].toUpperCase() + old[2] + old[3].toLowerCase();
    return { family: bySharpnessIndex(Number(old[2]), 40, 50), kernel };
  }
  const recent = SIEMENS_NEW.exec(token);
  if (recent) {
    const kernel =
      recent[1].toUpperCase() + recent[2].toLowerCase() + recent[3] + (recent[4] ?? '').toLowerCase();
    return { family: bySharpnessIndex(Number(recent[3]), 36, 49), kernel };
  }
  return undefined;
}

const PHILIPS: Record<string, KnownFamily> = {
  A: 'soft', B: 'soft', C: 'soft', D: 'sharp', E: 'sharp', L: 'sharp',
  YA: 'sharp', YB: 'sharp', YC: 'sharp', YD: 'sharp', YE: 'sharp', YF: 'sharp',
  UA: 'soft', UB: 'soft', UC: 'soft',
};

function classifyPhilips(token: string): Classified | undefined {
  const kernel = token.toUpperCase();
  const family = PHILIPS[kernel];
  return family ? { family, kernel } : undefined;
}

const GE: Record<string, KnownFamily> = {
  SOFT: 'soft', STANDARD: 'soft', DETAIL: 'medium', CHEST: 'medium',
  LUNG: 'sharp', BONE: 'sharp', BONEPLUS: 'sharp', EDGE: 'sharp', ULTRA: 'sharp',
};

function classifyGe(token: string): Classified | undefined {
  const kernel = token.toUpperCase().replace(/[\s_]+/g, ' ').replace(/^BONE PLUS$/, 'BONEPLUS');
  const base = kernel.replace(/^HD /, '');
  const family = GE[base];
  return family ? { family, kernel } : undefined;
}

function classifyCanon(token: string): Classified | undefined {
  const match = /^FC(\d{2})$/i.exec(token);
  if (!match) return undefined;
  const index = Number(match[1]);
  const kernel = `FC${match[1]}`;
  if (index >= 1 && index <= 18) return { family: 'soft', kernel };
  if ((index >= 50 && index <= 56) || (index >= 80 && index <= 86)) return { family: 'sharp', kernel };
  return undefined;
}

const CLASSIFIERS: Record<KnownVendor, (token: string) => Classified | undefined> = {
  siemens: classifySiemens,
  philips: classifyPhilips,
  ge: classifyGe,
  canon: classifyCanon,
};

/** The vendor a Manufacturer (0008,0070) value names, or 'unknown'. */
export function vendorFromManufacturer(manufacturer: string | undefined): KernelVendor {
  const text = (manufacturer ?? '').trim().toLowerCase();
  if (text === '') return 'unknown';
  if (text.includes('siemens')) return 'siemens';
  if (text.includes('philips')) return 'philips';
  if (/^ge\b|general electric|\bgehc\b|\bge healthcare\b|\bge medical\b/.test(text)) return 'ge';
  if (text.includes('toshiba') || text.includes('canon')) return 'canon';
  return 'unknown';
}

/** Every value of a (possibly multi-valued, possibly backslash-joined) ConvolutionKernel, trimmed. */
export function kernelValues(kernel: string | readonly string[] | undefined): string[] {
  const raw = kernel === undefined ? [] : typeof kernel === 'string' ? [kernel] : kernel;
  return raw
    .flatMap((value) => value.split('\\'))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

function classifyAsVendor(vendor: KnownVendor, tokens: string[]): KernelClass {
  for (const token of tokens) {
    const found = CLASSIFIERS[vendor](token);
    if (found) return { vendor, ...found };
  }
  return { vendor, family: 'unknown', kernel: tokens[0] ?? '' };
}

/** With no manufacturer: the vendor whose table alone recognises the first recognisable value. */
function classifyByPattern(tokens: string[]): KernelClass {
  for (const token of tokens) {
    const hits = (Object.keys(CLASSIFIERS) as KnownVendor[])
      .map((vendor) => ({ vendor, found: CLASSIFIERS[vendor](token) }))
      .filter((hit) => hit.found !== undefined);
    if (hits.length === 1) return { vendor: hits[0].vendor, ...hits[0].found! };
    if (hits.length > 1) return { vendor: 'unknown', family: 'unknown', kernel: token };
  }
  return { vendor: 'unknown', family: 'unknown', kernel: tokens[0] ?? '' };
}

/**
 * Classifies a series' kernel. A known manufacturer selects its vendor's table; a missing one lets
 * the kernel's pattern decide when exactly one vendor's table knows it; a manufacturer we do not
 * know gives 'unknown' (another vendor may reuse a letter such as 'B').
 */
export function classifyKernel(
  manufacturer: string | undefined,
  kernel: string | readonly string[] | undefined,
): KernelClass {
  const tokens = kernelValues(kernel);
  const vendor = vendorFromManufacturer(manufacturer);
  if (vendor !== 'unknown') return classifyAsVendor(vendor, tokens);
  const manufacturerGiven = (manufacturer ?? '').trim() !== '';
  if (manufacturerGiven) return { vendor: 'unknown', family: 'unknown', kernel: tokens[0] ?? '' };
  return classifyByPattern(tokens);
}
