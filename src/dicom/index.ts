/**
 * dicom/ — the DICOM network: the C-STORE/C-ECHO listener (SCP, plain and TLS), association
 * negotiation and its limits, who may call, DIMSE commands and PDUs, the sender (SCU) that
 * delivers derived series, and query/retrieve as a user (C-FIND, C-MOVE) for bulk runs. Owns the
 * bytes on the wire; hands each durable, checked instance to a function it is given and answers
 * with the status it returns.
 * May import: dicom/file, validation, errors, timers. Imports no stage (ingest, route, jobs, ...).
 */
export { startDicomListener } from './listener.js';
export type { AssociationEnd, AssociationRejection, DicomListener, DicomListenerHandlers, DicomListenerOptions, ReceivedInstance } from './listener-types.js';
export { echoDestination, sendInstances, type DicomPeer, type SendResult } from './sender.js';
export { FindSession, move, type MoveResult, type QueryLevel } from './query-retrieve.js';
