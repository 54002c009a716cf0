import type { AssociateRejectPdu } from './association-pdu.js';

const SOURCES: Record<number, string> = { 1: 'service user', 2: 'service provider (ACSE)', 3: 'service provider (presentation)' };
const REASONS: Record<string, string> = {
  '1:1': 'no reason given',
  '1:2': 'application context not supported',
  '1:3': 'calling AE title not recognized',
  '1:7': 'called AE title not recognized',
  '2:1': 'no reason given',
  '2:2': 'protocol version not supported',
  '3:1': 'temporary congestion',
  '3:2': 'local limit exceeded',
};

/** An A-ASSOCIATE-RJ in words, e.g. "permanent, service user: calling AE title not recognized". */
export function describeRejection(reject: AssociateRejectPdu): string {
  const reason = REASONS[`${reject.source}:${reject.reason}`] ?? `reason ${reject.reason}`;
  return `${reject.result === 1 ? 'permanent' : 'transient'}, ${SOURCES[reject.source]}: ${reason}`;
}
