/**
 * The job queue as its front doors see it. InProcessJobQueue (this folder) runs jobs in this process;
 * a distributed queue (BullMQ workers, say) can implement the same interface: requests and views are
 * plain JSON, and refusals are DistilleryErrors whose codes http/ maps to statuses:
 *   INVALID_INPUT / NOT_FOUND  the request names something that is not there (422 / 404)
 *   CONFLICT                   another job, or a `distillery run`, writes the same dataset (409)
 *   OVERLOADED                 the queue is full (429)
 *   CANCELLED                  the queue is shutting down (503)
 */
import type { JobState, JobStatus } from '../runner/job-handle.ts';

export interface JobView extends Omit<JobStatus, 'id' | 'state'> {
  id: string;
  state: JobState | 'queued';
  /** 1 = next to start; only while queued */
  queuePosition?: number;
  submitted: string;
  started?: string;
  finished?: string;
}

export interface JobQueue {
  /** Validates a job and starts or queues it; a job that starts at once settles once its teachers load. */
  submit(request: unknown): Promise<JobView>;
  get(id: string): JobView | undefined;
  /** Jobs known to the queue (queued, running and recent), in submission order. */
  list(): JobView[];
  /** A queued job never starts; a running one stops after its chunk in flight is committed. */
  cancel(id: string): JobView | undefined;
  /** Queues again the jobs that were queued or running when the queue last stopped; returns their ids. */
  resumeInterrupted(): Promise<string[]>;
  /** Checkpoints running jobs (they resume on the next start); safe to call twice. */
  close(): Promise<void>;
}
