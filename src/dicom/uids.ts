/** UIDs the protocol layer negotiates with, spelled once. */

export const SopClass = {
  Verification: '1.2.840.10008.1.1',
  CtImageStorage: '1.2.840.10008.5.1.4.1.1.2',
  EnhancedCtImageStorage: '1.2.840.10008.5.1.4.1.1.2.1',
  MrImageStorage: '1.2.840.10008.5.1.4.1.1.4',
  StudyRootFind: '1.2.840.10008.5.1.4.1.2.2.1',
  StudyRootMove: '1.2.840.10008.5.1.4.1.2.2.2',
} as const;

export const TransferSyntax = {
  ImplicitVrLittleEndian: '1.2.840.10008.1.2',
  ExplicitVrLittleEndian: '1.2.840.10008.1.2.1',
  JpegLosslessProcess14: '1.2.840.10008.1.2.4.57',
  JpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  JpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  RleLossless: '1.2.840.10008.1.2.5',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
} as const;

/** Storage SOP classes the listener accepts unless told otherwise. */
export const DEFAULT_ACCEPTED_STORAGE_CLASSES: readonly string[] = [
  SopClass.CtImageStorage,
  SopClass.EnhancedCtImageStorage,
];

/** Transfer syntaxes the listener accepts; datasets are stored as received, never decoded here. */
export const ACCEPTED_TRANSFER_SYNTAXES: readonly string[] = [
  TransferSyntax.ImplicitVrLittleEndian,
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.JpegLosslessProcess14,
  TransferSyntax.JpegLosslessSv1,
  TransferSyntax.JpegLsLossless,
  TransferSyntax.JpegLsNearLossless,
  TransferSyntax.RleLossless,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.Jpeg2000,
];

export const UNCOMPRESSED_TRANSFER_SYNTAXES: readonly string[] = [
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.ImplicitVrLittleEndian,
];

/**
 * Implementation Class UID written into the file meta of stored files: a UUID-derived UID
 * (ISO/IEC 9834-8, root 2.25) so that it needs no registered organisation root.
 */
export const IMPLEMENTATION_CLASS_UID = '2.25.202158811599201108821462265024121577925';
export const IMPLEMENTATION_VERSION_NAME = 'CTPREP_0_1';
