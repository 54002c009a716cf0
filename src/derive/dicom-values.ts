/** Formatting of values for the DICOM value representations the derived series writes. */

/** DA: YYYYMMDD in the node's local time, as a modality would write it. */
export function dicomDate(date: Date): string {
  return `${date.getFullYear()}${pad(date.getMonth() + 1, 2)}${pad(date.getDate(), 2)}`;
}

/** TM: HHMMSS.FFFFFF in the node's local time. */
export function dicomTime(date: Date): string {
  return `${pad(date.getHours(), 2)}${pad(date.getMinutes(), 2)}${pad(date.getSeconds(), 2)}.${pad(date.getMilliseconds() * 1000, 6)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Cuts text to a VR's maximum length (LO 64, ST 1024, LT 10240), marking the cut with '...'. */
export function fitText(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 3)}...`;
}

export const VR_LIMIT = { LO: 64, SH: 16, ST: 1024, LT: 10240 } as const;

/** True when some string in the (nested) value is outside ASCII and needs a UTF-8 declaration. */
export function hasNonAscii(value: unknown): boolean {
  if (typeof value === 'string') return /[^\x00-\x7f]/.test(value);
  if (Array.isArray(value)) return value.some(hasNonAscii);
  if (value && typeof value === 'object' && !(value instanceof ArrayBuffer)) return Object.values(value).some(hasNonAscii);
  return false;
}
