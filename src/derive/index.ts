/**
 * derive/ — writing a derived series: UIDs (from the source instances, under the node's root),
 * DERIVED/SECONDARY and provenance tags, geometry, one durable Part 10 file per slice.
 * May import: imaging, dicom/file, validation, errors.
 */
export { writeDerivedSeries, type DerivedSeries } from './write-derived-series.js';
