/**
 * node/ — the composition root: starts the stages in the order a series goes through them and
 * hands each what it needs. The only place that knows all of them.
 */
export { startNode, type RunningNode, type NodeOptions } from './start-node.js';
export { startWorker, type RunningWorker } from './start-worker.js';
