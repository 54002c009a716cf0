import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReportRow, ReportStep } from '../jobs/report-row.js';

export type { ReportRow, ReportStep } from '../jobs/report-row.js';


const CSV_COLUMNS = [
  'study_instance_uid',
  'series_instance_uid',
  'rule',
  'state',
  'reason',
  'derived_series_instance_uid',
  'steps',
  'seconds',
  'noise_before_hu',
  'noise_after_hu',
  'laa950_before_pct',
  'laa950_after_pct',
  'data_consistency_hu',
  'calibration',
] as const;

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, its quotes doubled. */
export function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Lines end in CRLF, as RFC 4180 says. */
export function csvText(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return [header, ...rows].map((fields) => `${fields.map(csvField).join(',')}\r\n`).join('');
}

function describeStep(step: ReportStep): string {
  return [`${step.kind}:${step.label}`, step.model, step.backend, step.seconds === undefined ? undefined : `${step.seconds.toFixed(2)}s`].filter(Boolean).join(' ');
}

function csvRow(row: ReportRow): (string | number | null | undefined)[] {
  const q = row.quality;
  return [
    row.studyInstanceUid,
    row.seriesInstanceUid,
    row.rule,
    row.state,
    row.reason,
    row.derivedSeriesInstanceUid,
    row.steps?.map(describeStep).join('; '),
    row.seconds,
    q?.noiseHu.before,
    q?.noiseHu.after,
    q?.laa950.before,
    q?.laa950.after,
    q?.dataConsistencyHu,
    q?.calibration?.id,
  ];
}

/** Writes <prefix>.csv (quality flattened into columns) and <prefix>.json (the rows whole); returns both paths. */
export async function writeRunReport(prefix: string, meta: Record<string, unknown>, rows: readonly ReportRow[]): Promise<string[]> {
  await mkdir(path.dirname(path.resolve(prefix)), { recursive: true });
  const csv = `${prefix}.csv`;
  const json = `${prefix}.json`;
  await writeFile(csv, csvText(CSV_COLUMNS, rows.map(csvRow)));
  await writeFile(json, `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
  return [csv, json];
}

/** done / skipped / failed, from a row's state. */
export function summaryClass(state: string): 'done' | 'skipped' | 'failed' {
  return state === 'done' || state === 'failed' ? state : 'skipped';
}

/** The end of a run on stderr: counts, each failure with its reason, seconds, `notes` (what else was left out), where the reports are. */
export function printSummary(label: string, rows: readonly ReportRow[], seconds: number, reportFiles: readonly string[], notes: readonly string[] = []): void {
  const counts = { done: 0, skipped: 0, failed: 0 };
  for (const row of rows) counts[summaryClass(row.state)]++;
  const lines = [`${label}: ${counts.done} done, ${counts.skipped} skipped, ${counts.failed} failed in ${seconds.toFixed(1)} s`];
  for (const row of rows.filter((r) => r.state === 'failed')) lines.push(`  failed ${row.seriesInstanceUid}${row.rule ? ` (${row.rule})` : ''}: ${row.reason ?? 'no reason given'}`);
  lines.push(...notes.map((note) => `  ${note}`), `  report: ${reportFiles.join(', ')}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}
