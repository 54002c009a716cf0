/**
 * dicom/file/ — DICOM files: the Part 10 file meta, the one header reader (a prefix, parsed up to
 * PixelData), the tags the index keeps, the loader's per-image headers (Enhanced CT frames
 * flattened), pixel formats, reading and decoding pixel data, the check of a received dataset, and
 * transcoding for a peer that refuses a transfer syntax.
 * May import: validation, errors. Imports nothing else of the node.
 */
export { readHeaderBytes, readPrefix } from './header-bytes.js';
export { readImageHeaders, readImageHeader, type ImageHeader } from './image-headers.js';
export { readIndexHeader, type IndexHeader } from './index-header.js';
export { readFramePixels, type LocatedFrame } from './read-pixels.js';
export { checkReceivedDataset, RejectedDatasetError } from './received-dataset.js';
