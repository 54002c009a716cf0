/**
 * store/ — every SQL statement of the node, a module per table (jobs, deliveries, series,
 * instances, rules, audit events, instance conflicts, calibrations) and the read queries the API serves and bulk runs follow (series-progress); the one
 * list of states. Nothing outside store/ (and db/, queue/'s pg-boss adapter) writes SQL.
 * May import: db, route (rule and tag types), calibrate (the calibration type), errors.
 */
export * from './states.js';
