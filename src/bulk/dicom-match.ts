/**
 * DICOM attribute matching as PS3.4 C.2.2.2 defines it, for checking what a PACS answers against
 * the query: single values and wild cards ('*' any run of characters, '?' one character),
 * case-sensitive (no person names are matched here), and date ranges. A PACS may ignore a key it
 * does not support; checking its answers again keeps such a PACS from widening the query.
 */

/** The values of an attribute as the identifier decoder gives it: one string, a multi-value array, or absent. */
export function valuesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(valuesOf);
  if (typeof value === 'number') return [String(value)];
  if (typeof value !== 'string') return [];
  return value.split('\\').map((part) => part.trim()).filter((part) => part !== '');
}

/** Whether any value matches the pattern (single value or wild card matching). */
export function matchesPattern(pattern: string, value: unknown): boolean {
  return valuesOf(value).some((text) => wildcardMatch(pattern, text));
}

/** Whether any value matches any of the patterns (a list of alternatives). */
export function matchesAnyPattern(patterns: readonly string[], value: unknown): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, value));
}

export interface DateRange {
  /** YYYYMMDD, inclusive; absent: open. */
  from?: string;
  to?: string;
}

/** A DA value (YYYYMMDD) inside the range; an absent value is outside every range. */
export function inDateRange(range: DateRange, value: unknown): boolean {
  const [date] = valuesOf(value);
  if (!date || !/^\d{8}$/.test(date)) return false;
  return (range.from === undefined || date >= range.from) && (range.to === undefined || date <= range.to);
}

/** The range as DICOM writes it for range matching: 20200101-20201231, 20200101-, -20201231, or one date. */
export function dateRangeText(range: DateRange): string {
  if (range.from !== undefined && range.from === range.to) return range.from;
  return `${range.from ?? ''}-${range.to ?? ''}`;
}

/** '*' and '?' matching in O(pattern x text) steps: on a mismatch, go back to just after the last '*' only. */
function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
