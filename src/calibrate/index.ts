/**
 * calibrate/ — a site's own kernel transfers, measured on natural pairs (a sharp and a soft
 * reconstruction of one acquisition): detecting a pair (natural-pair.ts), fitting the radial
 * frequency response and residual noise (fit-transfer.ts), measuring it on held-back slices
 * (calibrate-pair.ts), the calibration record (calibration.ts) and where steps find one
 * (catalog.ts: the database, or config/calibrations/*.json). In the node, each complete series
 * queues a calibration with each series that may be its pair (start-calibrations.ts).
 * May import: dicom/file, imaging, store, queue, validation, errors, log.
 */
export { calibratePair, calibrateOn, openNaturalPair, type CalibrationOutcome, type OpenedPair } from './calibrate-pair.js';
export { calibrationSchema, describeCalibration, NO_CALIBRATION, type Calibration, type CalibrationKey } from './calibration.js';
export { databaseCatalog, memoryCatalog, readCalibrationFile, readCalibrationFolder, writeCalibrationFile, type CalibrationCatalog } from './catalog.js';
export { naturalPair, type PairVerdict } from './natural-pair.js';
export { calibrateSeries, queueNaturalPairs, startCalibrations } from './start-calibrations.js';
