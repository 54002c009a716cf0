import { compilePattern, type Pattern } from './pattern.js';
import { classifyKernel, vendorFromManufacturer } from './kernel-taxonomy.js';
import type { KernelCondition, NumericRange, RuleMatch, SizeCondition } from './rule.js';
import type { SeriesTags } from './series-tags.js';

/** Each check returns undefined when the condition holds, else why it does not. */
type Failure = string | undefined;

const missing = (keyword: string): string => `series has no ${keyword}`;

function same(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function asList(value: string | string[]): string[] {
  return typeof value === 'string' ? [value] : value;
}

function describeList(values: string[]): string {
  return values.length === 1 ? values[0] : `one of [${values.join(', ')}]`;
}

function regex(pattern: string): Pattern {
  return compilePattern(pattern);
}

function checkOneOf(name: string, keyword: string, wanted: string | string[], actual: string | undefined): Failure {
  if (actual === undefined) return missing(keyword);
  const list = asList(wanted);
  if (list.some((value) => same(value, actual))) return undefined;
  return `${name} ${describeList(list)} required, got ${actual}`;
}

function checkRange(name: string, keyword: string, range: NumericRange, actual: number | undefined, unit = ''): Failure {
  if (actual === undefined) return missing(keyword);
  if ((range.min === undefined || actual >= range.min) && (range.max === undefined || actual <= range.max)) {
    return undefined;
  }
  const bounds =
    range.min !== undefined && range.max !== undefined
      ? `in [${range.min}, ${range.max}]`
      : range.min !== undefined
        ? `>= ${range.min}`
        : `<= ${range.max}`;
  return `${name} ${bounds}${unit} required, got ${actual}`;
}

function checkSize(name: string, keyword: string, size: SizeCondition, actual: number | undefined): Failure {
  if (typeof size !== 'number') return checkRange(name, keyword, size, actual);
  if (actual === undefined) return missing(keyword);
  return actual === size ? undefined : `${name} ${size} required, got ${actual}`;
}

function checkManufacturer(condition: NonNullable<RuleMatch['manufacturer']>, actual: string | undefined): Failure {
  if (actual === undefined) return missing('Manufacturer');
  if (typeof condition === 'object' && !Array.isArray(condition)) {
    return regex(condition.pattern).test(actual)
      ? undefined
      : `manufacturer matching /${condition.pattern}/i required, got ${actual}`;
  }
  const list = asList(condition);
  const vendor = vendorFromManufacturer(actual);
  const matches = (wanted: string): boolean =>
    same(wanted, actual) || (vendor !== 'unknown' && vendorFromManufacturer(wanted) === vendor);
  return list.some(matches) ? undefined : `manufacturer ${describeList(list)} required, got ${actual}`;
}

function checkKernel(condition: KernelCondition, tags: SeriesTags): Failure {
  const values = tags.convolutionKernel;
  if (values === undefined || values.length === 0) return missing('ConvolutionKernel');
  const shown = values.join('\\');
  const { equals, in: anyOf, pattern, family } = condition;
  if (equals !== undefined && !values.some((value) => same(value, equals))) {
    return `convolutionKernel ${equals} required, got ${shown}`;
  }
  if (anyOf !== undefined && !values.some((value) => anyOf.some((wanted) => same(wanted, value)))) {
    return `convolutionKernel ${describeList(anyOf)} required, got ${shown}`;
  }
  if (pattern !== undefined && !regex(pattern).test(shown) && !values.some((value) => regex(pattern).test(value))) {
    return `convolutionKernel matching /${pattern}/i required, got ${shown}`;
  }
  if (family !== undefined) {
    const kernel = classifyKernel(tags.manufacturer, values);
    if (!(family as string[]).includes(kernel.family)) {
      return `convolutionKernel family ${family.join(' or ')} required, got ${kernel.family} (${kernel.kernel || shown})`;
    }
  }
  return undefined;
}

function checkText(name: string, keyword: string, pattern: string, actual: string | undefined): Failure {
  if (actual === undefined) return missing(keyword);
  return regex(pattern).test(actual) ? undefined : `${name} matching /${pattern}/i required, got ${actual}`;
}

type Conditions = Omit<RuleMatch, 'anyOf'>;

function* failures(match: Conditions, tags: SeriesTags): Generator<Failure> {
  const { modality, callingAeTitle, manufacturer, bodyPartExamined, seriesDescription, protocolName, studyDescription } = match;
  const { convolutionKernel, rows, columns, sliceThickness } = match;
  if (modality) yield checkOneOf('modality', 'Modality', modality, tags.modality);
  if (callingAeTitle) yield checkOneOf('callingAeTitle', 'calling AE title', callingAeTitle, tags.callingAeTitle);
  if (manufacturer) yield checkManufacturer(manufacturer, tags.manufacturer);
  if (bodyPartExamined) yield checkOneOf('bodyPartExamined', 'BodyPartExamined', bodyPartExamined, tags.bodyPartExamined);
  if (seriesDescription) yield checkText('seriesDescription', 'SeriesDescription', seriesDescription.pattern, tags.seriesDescription);
  if (protocolName) yield checkText('protocolName', 'ProtocolName', protocolName.pattern, tags.protocolName);
  if (studyDescription) yield checkText('studyDescription', 'StudyDescription', studyDescription.pattern, tags.studyDescription);
  if (convolutionKernel) yield checkKernel(convolutionKernel, tags);
  if (rows !== undefined) yield checkSize('rows', 'Rows', rows, tags.rows);
  if (columns !== undefined) yield checkSize('columns', 'Columns', columns, tags.columns);
  if (sliceThickness) yield checkRange('sliceThickness', 'SliceThickness', sliceThickness, tags.sliceThickness, ' mm');
}

function firstFailure(conditions: Conditions, tags: SeriesTags): Failure {
  for (const failure of failures(conditions, tags)) {
    if (failure !== undefined) return failure;
  }
  return undefined;
}

/** The first condition of `match` that the series fails, or undefined when all hold. */
export function firstFailedCondition(match: RuleMatch, tags: SeriesTags): Failure {
  const { anyOf, ...conditions } = match;
  const failure = firstFailure(conditions, tags);
  if (failure !== undefined || !anyOf) return failure;
  const reasons: string[] = [];
  for (const alternative of anyOf) {
    const reason = firstFailure(alternative, tags);
    if (reason === undefined) return undefined;
    reasons.push(reason);
  }
  return `none of the alternatives holds: ${reasons.join('; or ')}`;
}
