/**
 * Composition root: config -> store -> teachers -> soft labeller -> HTTP app -> listening server.
 * close() shuts down in order (stop accepting, finish in-flight requests and batches, release the
 * teachers, close the database) and is safe to call twice.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import { refuseOpenRemote } from './http/open-remote.ts';
import { createApp, type RouteModule } from './http/app.ts';
import { ServiceMetrics } from './http/metrics.ts';
import { queueMetrics } from './http/queue-metrics.ts';
import type { ReadinessCheck } from './http/routes/health.ts';
import { augmentModule } from './http/routes/augment.ts';
import { jobRequestValidator } from './http/job-request.ts';
import { publicMessage } from './http/public-paths.ts';
import { InProcessJobQueue, type JobQueue, AugmentModels, AugmentPool, serverConfigHint } from './jobs/index.ts';
import { jobsModule } from './http/routes/jobs.ts';
import { loadQueueRuntime, sequenceDatasetOf, sequenceExportStream } from './jobs/index.ts';
import { datasetsModule } from './http/routes/datasets.ts';
import { listen } from './http/server.ts';
import { CausalLabeler, SoftLabeler, StoreLabelCache } from './labels/index.ts';
import { sequenceLogprobsModule } from './http/routes/sequence-logprobs.ts';
import { trlTeacherModule } from './http/routes/trl-teacher.ts';
import { openStore, type Store, IntegrityProbe } from './store/index.ts';
import { TeacherRegistry } from './teacher/registry.ts';
import { configureS3 } from './storage/s3-settings.ts';
import { createDashboard } from './http/dashboard/create-dashboard.ts';

/** The store's database and the files SQLite and the job journal keep beside it. */
const storeFiles = (db: string): string[] => ['', '-wal', '-shm', '-journal', '-jobs.json'].map((s) => db + s);

export interface Service {
  readonly url: string;
  readonly port: number;
  readonly config: Config;
  readonly logger: Logger;
  readonly registry: TeacherRegistry;
  readonly store: Store;
  readonly jobs: JobQueue;
  readonly labeler: SoftLabeler;
  readonly causal: CausalLabeler;
  readonly metrics: ServiceMetrics;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** default: JSON lines on stdout at config.logLevel */
  logger?: Logger;
  /** grace period for in-flight requests on close */
  graceMs?: number;
}

export async function startService(config: Config, opts: ServiceOptions = {}): Promise<Service> {
  refuseOpenRemote(config);
  const logger = opts.logger ?? pino({ level: config.logLevel, base: { service: 'distillery' } });
  configureS3(config.s3);
  const registry = TeacherRegistry.fromConfig(config, (msg) => logger.info(msg));
  mkdirSync(path.dirname(config.db), { recursive: true });
  const store = openStore(config.db);
  const cache = new StoreLabelCache(store);
  let labeler: SoftLabeler | undefined;
  let causal: CausalLabeler | undefined;
  const metrics = new ServiceMetrics(
    () => new Map([...(labeler?.queueDepths() ?? []), ...(causal?.queueDepths() ?? [])]),
  );
  labeler = new SoftLabeler(registry, {
    batching: config.batching,
    queueBound: config.limits.queueBound,
    cache,
    onBatch: (teacher, s) => metrics.recordBatch(teacher, s),
    onCache: (teacher, hits, misses) => metrics.recordCache(teacher, hits, misses),
  });
  causal = new CausalLabeler(registry, {
    batching: config.batching,
    queueBound: config.limits.queueBound,
    store,
    onBatch: (teacher, s) => metrics.recordBatch(teacher, s),
    onCache: (teacher, hits, misses) => metrics.recordCache(teacher, hits, misses),
  });
  const defaultTeacher = config.defaultTeacher ?? config.teachers[0]!.name;
  let shuttingDown = false;
  const integrity = new IntegrityProbe(config.db);

  const readiness = async (): Promise<Record<string, ReadinessCheck>> => {
    const checks: Record<string, ReadinessCheck> = {
      accepting: { ok: !shuttingDown, ...(shuttingDown ? { detail: 'shutting down' } : {}) },
      database: store.closed ? { ok: false, detail: 'closed' } : await integrity.status(),
    };
    try {
      // a causal-LM default teacher loads through its own labeler (the classifier path refuses it)
      const info = registry.isCausal(defaultTeacher)
        ? (await causal.teacher(defaultTeacher)).info
        : await labeler.info(defaultTeacher);
      checks[`teacher:${defaultTeacher}`] = { ok: true, detail: `${info.device} ${info.dtype}` };
    } catch (err) {
      checks[`teacher:${defaultTeacher}`] = { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
    return checks;
  };

  const augmentModels = new AugmentModels(config.augmentModels, {
    modelsDir: config.modelsDir,
    missing: serverConfigHint,
  });
  const compile = { lexicons: config.lexicons, maxLexiconBytes: config.limits.maxLexiconBytes };
  const augmentPool = new AugmentPool({
    size: config.workers,
    maxQueued: config.workers * 16,
    deadlineMs: config.limits.augmentDeadlineMs,
    compile,
  });
  const jobs = new InProcessJobQueue({
    store,
    teachers: registry,
    validate: jobRequestValidator({
      corporaDirs: config.corporaDirs,
      modelsDir: config.modelsDir,
      protectedFiles: storeFiles(config.db),
      maxCorpusBytes: config.limits.maxCorpusBytes,
      s3Corpora: config.s3.httpCorpora,
      teachers: registry,
      augmentModels,
      compile,
    }),
    publicMessage: (message) => publicMessage(message, config.corporaDirs),
    modelsDir: config.modelsDir,
    compile,
    augmentModels,
    // "-jobs.json" so the default data/*.db-* ignore rule covers it
    journalPath: `${config.db}-jobs.json`,
    maxRunning: config.limits.maxRunningJobs,
    maxQueued: config.limits.maxQueuedJobs,
    logger,
  });
  const queueRuntime = config.queue ? await loadQueueRuntime() : undefined;
  const queue = config.queue && queueRuntime ? new queueRuntime.QueueClient(config.queue) : undefined;
  const { readStatus, readQueueOverview } = queueRuntime ?? {};
  if (queue && readQueueOverview) metrics.addSource(async () => queueMetrics(await readQueueOverview(queue)));
  const modules: RouteModule[] = [
    jobsModule(
      jobs,
      queue && readStatus && readQueueOverview
        ? { status: (id) => readStatus(queue, id), overview: () => readQueueOverview(queue) }
        : undefined,
    ),
    datasetsModule(store, [...config.corporaDirs, path.dirname(config.db)], {
      exportStream: (id, format) => sequenceExportStream(store, id, format),
      rows: (id) =>
        sequenceDatasetOf(store, id)
          ? { ...store.datasetSequences.counts(id), refusedRows: store.datasetSequences.refused(id) }
          : undefined,
    }),
    augmentModule({
      labeler,
      teacherNames: registry.names(),
      defaultTeacher: config.augmentModels.scorer ?? defaultTeacher,
      models: augmentModels,
      maxTexts: config.limits.maxTextsPerRequest,
      maxChars: config.limits.maxCharsPerText,
      compile,
      ...(config.workers > 0 ? { pool: augmentPool } : {}),
      costBudget: config.limits.augmentCostBudget,
      retryAfterSeconds: config.limits.retryAfterSeconds,
    }),
    sequenceLogprobsModule({ labeler: causal, catalog: registry, defaultTeacher, limits: config.limits }),
    trlTeacherModule({ labeler: causal, catalog: registry, defaultTeacher, limits: config.limits }),
    createDashboard({ store, registry, corporaDirs: config.corporaDirs, augmentModels }).module,
  ];
  const app = createApp({
    config,
    logger,
    metrics,
    labeler,
    teachers: registry,
    readiness,
    modules,
    onStoreDamage: (reason) => integrity.markDamaged(reason),
  });
  let server;
  try {
    server = await listen(app, {
      host: config.host,
      port: config.port,
      ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
    });
  } catch (err) {
    await Promise.all([labeler.close(), causal.close(), jobs.close(), augmentPool.close(), queue?.close()]);
    await Promise.all([registry.close(), augmentModels.dispose()]);
    store.close();
    throw err;
  }

  await jobs.resumeInterrupted();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      await server.close();
      await Promise.all([labeler.close(), causal.close(), jobs.close(), augmentPool.close(), queue?.close()]);
      await Promise.all([registry.close(), augmentModels.dispose()]);
      store.close();
      logger.info('distillery stopped');
    })();
    return closing;
  };
  return { url: server.url, port: server.port, config, logger, registry, store, jobs, labeler, causal, metrics, close };
}
