import type { z } from 'zod';
import type { SliceSource } from '../../imaging/slice-source.js';
import type { SeriesDescriptor } from '../../inference/accepts.js';
import type { InferenceEngine } from '../../inference/engine.js';
import type { CalibrationCatalog } from '../../calibrate/catalog.js';
import type { StepSpec } from '../../route/rule.js';

export type { SeriesDescriptor };

/** What a step may use besides its input; filled in by whatever runs the steps (a job, offline processing). */
export interface StepContext {
  readonly signal?: AbortSignal;
  /** Where models run; absent on a node without one (model steps then refuse to be created). */
  readonly inference?: InferenceEngine;
  /** Where kernel-transfer steps find the site's calibrations (the database, or config/calibrations/ offline). */
  readonly calibrations?: CalibrationCatalog;
  /** Creates another step from its spec (a fallback, or with `refining` a refinement); set by createSteps. */
  readonly createStep?: (spec: StepSpec, role?: { readonly refining: string }) => Promise<Step>;
  /** The kind of the step whose output this step refines, when it was created as a refinement. */
  readonly refining?: string;
}

/** A series on its way through the steps: its slices, and what it is (kernel, vendor) after the steps so far. */
export interface SeriesData {
  readonly source: SliceSource;
  readonly series: SeriesDescriptor;
}

/**
 * One processing step of a rule, created from its options for one job. apply() takes the series and
 * returns the step's output lazily (slices are computed when read), with what the series is then
 * (a harmonizer's output has its target kernel); it throws an InvalidInputError (not retryable)
 * when the step refuses the series, e.g. a model whose manifest does not accept it.
 */
export interface Step {
  /** Short tag for the derived SeriesDescription, e.g. "SOFT-GAUSS1.2" or "SR2X-BICUBIC". */
  readonly label: string;
  /** One line for DerivationDescription: the method, its parameters, model id and version. */
  readonly derivation: string;
  /** True when the output is made by a trained generator (not for primary diagnosis). */
  readonly generated: boolean;
  apply(input: SeriesData): Promise<SeriesData>;
  /** Facts to record on the job once the step has run, e.g. { backend: 'cpu' }. */
  report?(): Record<string, unknown>;
  close?(): Promise<void>;
}

/** A kind of step that rules can name; new kinds are new files registered in steps/index.ts. */
export interface StepKind<Options> {
  readonly kind: string;
  readonly options: z.ZodType<Options>;
  create(options: Options, context: StepContext): Promise<Step>;
  /**
   * Checked when a rule is saved, beyond the options' schema: what would make this step fail on
   * every series (a model the registry lacks, say), each with the option path it concerns, and the
   * steps it holds (a fallback), checked the same way.
   */
  check?(options: Options, known: KnownReferences): { problems?: { path: string[]; message: string }[]; nested?: { path: string[]; spec: StepSpec; refining?: string }[] };
}

/** What a saved rule's steps may name: the registry's models and their status (absent: not checked). */
export interface KnownReferences {
  readonly models?: ReadonlyMap<string, { readonly status: string; readonly refines?: string }>;
  /** The kind of the step whose refinement is being checked (see StepContext.refining). */
  readonly refining?: string;
}
