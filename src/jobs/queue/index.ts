/** The job queue: the interface the HTTP service depends on, and the in-process implementation. */
export type { JobQueue, JobView } from './job-queue.ts';
export { InProcessJobQueue, type InProcessJobQueueOptions } from './in-process-queue.ts';
