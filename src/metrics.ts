import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The node's Prometheus counters and histograms, moved where the events happen (so that rate()
 * means something), beside the gauges read from the database at scrape time (api/database-metrics.ts).
 * Every stage takes these as an optional dependency: a test or a CLI without a registry passes none.
 */
export interface NodeMetrics {
  readonly instancesReceived: Counter<'calling_ae'>;
  readonly bytesReceived: Counter<'calling_ae'>;
  readonly associations: Counter<'outcome'>;
  readonly seriesCompleted: Counter;
  readonly jobs: Counter<'rule' | 'outcome'>;
  readonly jobSeconds: Histogram<'rule' | 'steps'>;
  readonly slicesWritten: Counter<'rule'>;
  readonly stepSeconds: Histogram<'kind' | 'backend'>;
  readonly stepVoxelsPerSecond: Histogram<'kind' | 'backend'>;
  readonly deliveries: Counter<'destination' | 'outcome'>;
  readonly retentionRemovedBytes: Counter<'kind'>;
}

const PREFIX = 'ctprep_';

export function createNodeMetrics(registry: Registry): NodeMetrics {
  const registers = [registry];
  return {
    instancesReceived: new Counter({ name: `${PREFIX}instances_received_total`, help: 'Instances received and acknowledged, by calling AE.', labelNames: ['calling_ae'], registers }),
    bytesReceived: new Counter({ name: `${PREFIX}received_bytes_total`, help: 'Bytes of the instances received, by calling AE.', labelNames: ['calling_ae'], registers }),
    associations: new Counter({ name: `${PREFIX}associations_total`, help: 'DICOM associations by how they ended: released, aborted, lost, rejected.', labelNames: ['outcome'], registers }),
    seriesCompleted: new Counter({ name: `${PREFIX}series_completed_total`, help: 'Series found complete and routed.', registers }),
    jobs: new Counter({ name: `${PREFIX}jobs_total`, help: 'Jobs by rule and outcome: started, succeeded (derived series written), retried, failed.', labelNames: ['rule', 'outcome'], registers }),
    jobSeconds: new Histogram({
      name: `${PREFIX}job_processing_seconds`,
      help: 'Seconds from loading the series to the derived series written, by rule and steps (kinds joined with +).',
      labelNames: ['rule', 'steps'],
      buckets: [1, 2, 5, 10, 20, 40, 80, 160, 320, 640],
      registers,
    }),
    stepSeconds: new Histogram({
      name: `${PREFIX}step_seconds`,
      help: 'Seconds a job waited on a step of its own work (its input excluded), by step kind and backend (cpu, cuda, webgpu).',
      labelNames: ['kind', 'backend'],
      buckets: [0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320, 640],
      registers,
    }),
    stepVoxelsPerSecond: new Histogram({
      name: `${PREFIX}step_voxels_per_second`,
      help: 'Voxels of a step\'s output per second of its own work, one observation per step run, by step kind and backend (cpu, cuda, webgpu).',
      labelNames: ['kind', 'backend'],
      buckets: [1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8, 3e8, 1e9],
      registers,
    }),
    slicesWritten: new Counter({ name: `${PREFIX}derived_slices_total`, help: 'Slices of derived series written, by rule.', labelNames: ['rule'], registers }),
    retentionRemovedBytes: new Counter({ name: `${PREFIX}retention_removed_bytes_total`, help: 'Bytes of delivered files removed by retention: derived series, spool.', labelNames: ['kind'], registers }),
    deliveries: new Counter({ name: `${PREFIX}deliveries_total`, help: 'Deliveries by destination and outcome: attempted, succeeded, retried, failed.', labelNames: ['destination', 'outcome'], registers }),
  };
}
