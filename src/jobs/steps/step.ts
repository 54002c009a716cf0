import type { z } from 'zod';
import type { SliceSource } from '../../imaging/slice-source.js';
import type { SeriesDescriptor } from '../../inference/accepts.js';

export type { SeriesDescriptor };

/** What a step may use besides its input; filled in by the worker that runs the pipeline. */
export interface StepContext {
  /** Tags of the series this job processes, for steps that check what they accept (a model's manifest). */
  readonly series?: SeriesDescriptor;
  readonly signal?: AbortSignal;
  /** Present when the node has an inference engine configured (see src/inference). */
  readonly inference?: unknown;
}

/**
 * One processing step of a rule, created from its options for one job. apply() takes the input
 * series and returns the output series lazily; it throws an InvalidInputError (not retryable) when
 * the step refuses the series, e.g. a model whose manifest does not accept it.
 */
export interface Step {
  /** Short tag for the derived SeriesDescription, e.g. "SOFT-GAUSS1.2" or "SR2X-BICUBIC". */
  readonly label: string;
  /** One line for DerivationDescription: the method, its parameters, model id and version. */
  readonly derivation: string;
  /** True when the output is made by a trained generator (not for primary diagnosis). */
  readonly generated: boolean;
  apply(input: SliceSource): Promise<SliceSource>;
  /** Facts to record on the job once the step has run, e.g. { backend: 'cpu' }. */
  report?(): Record<string, unknown>;
  close?(): Promise<void>;
}

/** A kind of step that rules can name; new kinds are new files registered in steps/index.ts. */
export interface StepKind<Options> {
  readonly kind: string;
  readonly options: z.ZodType<Options>;
  create(options: Options, context: StepContext): Promise<Step>;
}
