/**
 * config/ — the configuration file and environment, validated once at start-up (every error names
 * its key path), and the TLS key material it names.
 * May import: validation, dicom (types and its PDU limits), errors.
 */
export { loadConfig, parseConfig } from './load-config.js';
export type { NodeConfig } from './schema.js';
