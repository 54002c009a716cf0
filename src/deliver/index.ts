/**
 * deliver/ — sending a job's derived series to each destination by C-STORE, with retries; in an
 * Orthanc destination, removing the derived series a newer generation replaced; a person's retry.
 * May import: store, queue, config (destination type), errors, log. Sending itself is given to it.
 */
export { startDeliveries } from './start-deliveries.js';
export { retryDelivery } from './retry-delivery.js';
export { orthancRest } from './orthanc-rest.js';
export type { SendFiles } from './deliver-series.js';
