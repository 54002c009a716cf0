import type { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { Destination } from '../config/schema.js';
import type { KnownRuleReferences } from '../route/load-rules.js';
import type { RoutedSeries } from '../route/route-series.js';
import type { ModelCardSource } from './model-card.js';
import type { Logger } from '../log.js';

/** What the node tells about itself on /api/health. */
export interface NodeInfo {
  aeTitle: string;
  dicomPort: number;
  version: string;
  databaseKind: 'postgres' | 'embedded';
}

/**
 * Everything the REST API needs, handed in by the composition root. The API imports no queue:
 * retrying is a function given here (the node binds src/jobs/retry-job.ts and src/deliver/retry-delivery.ts to its pg-boss).
 */
export interface ApiDeps {
  db: Database;
  /**
   * Sends a failed or done job through the pipeline again, with its own copy of its rule or (with
   * currentRule) as a new job made from the rule as it is now; returns the id of the job that will
   * run. Throws InvalidInputError when not allowed.
   */
  retryJob(jobId: string, options?: { currentRule?: boolean }): Promise<string>;
  /** Sends a failed delivery again; throws InvalidInputError when not allowed. */
  retryDelivery(deliveryId: string): Promise<void>;
  /**
   * Routes a complete series again by the current rules, its new jobs superseding the earlier ones
   * (route/route-series.ts); undefined for an unknown series, InvalidInputError for one not complete.
   */
  routeAgain(seriesInstanceUid: string): Promise<RoutedSeries | undefined>;
  /**
   * A finished job's key slice: input | output | difference, as a PNG in a window (jobs/job-preview.ts);
   * undefined for an unknown job, InvalidInputError while it has no derived series. Absent: 404.
   */
  jobPreview?(jobId: string, window: 'lung' | 'mediastinal' | 'bone'): Promise<Buffer | undefined>;
  /** Destinations (as stored now) and step kinds a rule may name, checked when a rule is saved. */
  ruleReferences: () => KnownRuleReferences | Promise<KnownRuleReferences>;
  node: NodeInfo;
  /** Registry that /metrics serves; the API adds its gauges (and default metrics if missing). */
  metrics?: Registry;
  /** Folders whose free disk space /metrics reports (spool, derived), by name. */
  diskPaths?: Readonly<Record<string, string>>;
  /** Model manifests for /api/models; without it that route answers 404. */
  models?: () => Promise<unknown[]>;
  /** C-ECHO to a configured destination; throws (UnavailableError) when it is down or refuses. Absent: 404. */
  echoDestination?: (name: string, destination: Destination) => Promise<void>;
  /** A model's manifest and card (its README), for /api/models/:id/card; undefined for an unknown model. */
  modelCard?: (id: string) => Promise<ModelCardSource | undefined>;
  /**
   * How the node recognises its own output, so that the rules dry run says "never routed again"
   * exactly as routing would. Without it only the derived_series table tells.
   */
  ownOutput?: { uidRoot: string; nodeName: string };
  /** Unexpected errors (HTTP 500) are logged here; without it, on stderr. */
  log?: Logger;
}
