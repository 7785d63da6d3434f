/**
 * The parts of scale-out that need BullMQ and ioredis, loaded on demand through `loadQueueRuntime()`
 * (src/jobs/index.ts): every other command starts without parsing those packages (about 0.3 s).
 */
export { startChunkWorker, workerId } from './chunk-worker.ts';
export { runCoordinator } from './coordinator.ts';
export { QueueClient, readStatus } from './job-status.ts';
export { readQueueOverview } from './queue-overview.ts';
