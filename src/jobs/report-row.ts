import type { QualityReport } from './quality-report.js';

/** One step of a derived series as the report names it. */
export interface ReportStep {
  /** The rule's step kind (kernel-transfer, model, ...). */
  kind: string;
  /** What ran (a fallback may stand in for the kind): the step's label. */
  label: string;
  /** model@version, or the kernel calibration's id. */
  model?: string;
  backend?: string;
  /** Time the job waited on this step's own work (busy seconds, see pipeline-meter.ts). */
  seconds?: number;
}

/** One row per series and rule (a series that no rule matched: one row without a rule). */
export interface ReportRow {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  rule?: string;
  /** done, already-done, no-rule, skipped, failed. */
  state: string;
  reason?: string;
  derivedSeriesInstanceUid?: string;
  steps?: ReportStep[];
  seconds?: number;
  quality?: QualityReport;
}
