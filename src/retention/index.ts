/**
 * retention/ — the last stage: once a derived series is delivered, its files and its source's
 * spool files are removed after configured ages, or sooner while the disk is above its high-water
 * mark; what is still to be delivered or retried is never removed.
 * May import: store, errors, log, metrics, timers.
 */
export { cleanUp, type CleanUpResult, type RetentionDeps, type RetentionSettings } from './clean-up.js';
export { startRetention } from './start-retention.js';
