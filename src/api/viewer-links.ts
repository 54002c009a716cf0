import type { Destination } from '../config/schema.js';
import { expandViewerUrl } from '../config/viewer-url.js';
import type { DeliverySummary } from '../store/job-queries.js';
import { DeliveryState } from '../store/states.js';

interface JobWithDeliveries {
  derivedSeriesUid: string | null;
  deliveries: DeliverySummary[];
}

/**
 * Each delivery of a job with, where its destination has a viewer URL and the derived series is
 * there (delivered), the link that opens it; null otherwise.
 */
export function withViewerLinks<Job extends JobWithDeliveries>(
  job: Job,
  studyInstanceUid: string,
  destinations: Readonly<Record<string, Destination>>,
): Job & { deliveries: (DeliverySummary & { viewerUrl: string | null })[] } {
  const deliveries = job.deliveries.map((delivery) => {
    const template = Object.hasOwn(destinations, delivery.destination) ? destinations[delivery.destination].viewerUrl : undefined;
    const delivered = delivery.state === DeliveryState.Done && job.derivedSeriesUid !== null;
    const viewerUrl = template && delivered ? expandViewerUrl(template, { StudyInstanceUID: studyInstanceUid, SeriesInstanceUID: job.derivedSeriesUid! }) : null;
    return { ...delivery, viewerUrl };
  });
  return { ...job, deliveries };
}
