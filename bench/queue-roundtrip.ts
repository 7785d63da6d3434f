/**
 * What Redis and BullMQ cost per chunk, without any labelling: a flow of --chunks empty children and a
 * parent, as `run --queue` builds it, drained by --workers no-op BullMQ workers (one process, concurrency
 * 1 each) on a real redis-server (AOF, appendfsync always). Prints chunks/s and ms per chunk, the figure
 * the scaling estimate in docs/SCALE.md divides by.
 *
 *   npx tsx bench/queue-roundtrip.ts [--chunks 2000] [--workers 1,4]
 */
import { parseArgs } from 'node:util';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { startRedis } from '../test/helpers/redis-server.ts';
import { PREFIX, redisConnection } from '../src/jobs/scale/connection.ts';

const { values } = parseArgs({
  options: { chunks: { type: 'string', default: '2000' }, workers: { type: 'string', default: '1,4' } },
});
const chunks = Number(values.chunks);
const redis = await startRedis();
const connection = redisConnection(redis.url);
try {
  for (const n of values.workers.split(',').map(Number)) {
    const tag = `rt${n}`;
    const flow = new FlowProducer({ connection, prefix: PREFIX });
    const t0 = performance.now();
    await flow.add({
      name: 'finalize',
      queueName: `finalize.${tag}`,
      opts: { jobId: tag },
      children: Array.from({ length: chunks }, (_, i) => ({
        name: 'label-chunk',
        queueName: `chunks-${tag}`,
        data: { chunk: i, partsDir: '/shared/parts', sha256: 'x'.repeat(64) },
        opts: { jobId: `${tag}.chunk-${i}`, attempts: 3, ignoreDependencyOnFailure: true },
      })),
    });
    const added = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const workers = Array.from(
      { length: n },
      () =>
        new Worker(`chunks-${tag}`, async (j) => ({ chunk: j.data.chunk, part: 'p', sha256: 'x'.repeat(64) }), {
          connection,
          prefix: PREFIX,
          concurrency: 1,
        }),
    );
    const parentQueue = new Queue(`finalize.${tag}`, { connection, prefix: PREFIX });
    while ((await parentQueue.getJobState(tag)) === 'waiting-children') await new Promise((r) => setTimeout(r, 20));
    const drained = (performance.now() - t1) / 1000;
    const t2 = performance.now();
    const values_ = await (await parentQueue.getJob(tag))!.getChildrenValues();
    const read = (performance.now() - t2) / 1000;
    console.log(
      `${n} workers: add ${chunks} chunks ${added.toFixed(2)} s; drain ${drained.toFixed(2)} s = ` +
        `${Math.round(chunks / drained)} chunks/s, ${((drained / chunks) * 1000 * n).toFixed(2)} ms per chunk per worker; ` +
        `finalize reads ${Object.keys(values_).length} results in ${read.toFixed(2)} s`,
    );
    await Promise.all([...workers.map((w) => w.close()), parentQueue.close(), flow.close()]);
  }
} finally {
  await redis.stop();
}
