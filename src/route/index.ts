/**
 * route/ — where a complete series goes: the rule model and its validation, matching on tags, the
 * kernel taxonomy across vendors, linear-time patterns, the own-output check, and routing a
 * series (one job per matching rule, superseding older generations) in one transaction.
 * May import: store, queue, validation, errors, log. Matching itself (match-rules, conditions) is
 * pure: plain values in, plain values out.
 */
export { routeCompleteSeries, routeSeriesAgain, type RoutedSeries, type RoutingDeps } from './route-series.js';
export { routeSeries } from './match-rules.js';
export { isOwnOutput, type OwnOutputMarks } from './own-output.js';
