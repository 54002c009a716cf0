/** Every bound on what the DICOM upper layer reads and writes (PS3.8 section 9.3), in one place. */

/** Largest P-DATA-TF we announce as acceptor: dataset bytes stream to disk, so larger PDUs gain nothing. */
export const MAX_RECEIVE_PDU_LENGTH = 256 * 1024;
/** Smallest maximum PDU length the listener may be configured with. */
export const MIN_RECEIVE_PDU_LENGTH = 4096;
/** What we announce as requestor: we only receive responses (command sets, small identifiers). */
export const REQUESTOR_RECEIVE_PDU_LENGTH = 256 * 1024;
/** Largest P-DATA-TF we send when the peer announces no limit. */
export const MAX_SEND_PDU_LENGTH = 256 * 1024;
/** Any PDU but P-DATA-TF (association request/accept with all their items, release, abort). */
export const MAX_CONTROL_PDU_LENGTH = 1024 * 1024;
/** A DIMSE command set, over however many PDVs it arrives in (a real one is ~200 bytes). */
export const MAX_COMMAND_SET_LENGTH = 64 * 1024;
/**
 * The dataset of a response (a C-FIND match, a C-MOVE's list of failed instances), over however
 * many PDVs it arrives in: a few hundred bytes, or ~65 bytes per failed instance of a series.
 */
export const MAX_RESPONSE_DATASET_LENGTH = 4 * 1024 * 1024;

/** What a PduReader accepts. */
export interface PduLimits {
  /** Largest P-DATA-TF PDU accepted (its variable part, as negotiated as Maximum Length). */
  maxDataPduLength: number;
  /** Largest other PDU accepted. */
  maxControlPduLength: number;
}
