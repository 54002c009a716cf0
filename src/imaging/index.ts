/**
 * imaging/ — series as stacks of slices in Hounsfield units: loading (lazily, slice by slice),
 * geometry, classical filters (Gaussian, bicubic), quality metrics, masks, PNG rendering.
 * May import: dicom/file, errors. Plain values in, plain values out: no sockets, HTTP or SQL.
 */
export { openSeries, openSeriesFromHeaders, type LoadedSeries } from './load-series.js';
export type { SliceSource } from './slice-source.js';
