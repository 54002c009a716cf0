/**
 * jobs/ — running a job: load the series, apply the rule's steps (steps/: a kind per file), write
 * the derived series, queue its deliveries; a person's retry; offline processing of folders.
 * May import: store, queue, imaging, inference, derive, dicom/file, route (rules, own output),
 * calibrate (the kernel-transfer step's catalog), errors, log, validation.
 */
export { startJobs } from './start-jobs.js';
export { retryJob } from './retry-job.js';
export { runProcessFolder } from './process-folder.js';
export { defaultStepKinds, stepSpecProblems, type StepRegistry } from './steps/index.js';
export { renderJobPreview } from './job-preview.js';
