/**
 * One validated, frozen configuration. This is the only module that reads process.env.
 *
 * Precedence, lowest first: embedded defaults < config file (DISTILLERY_CONFIG or --config, YAML or JSON)
 * < environment variables < explicit overrides (CLI flags).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseYaml } from './core/yaml.ts';
import { z } from 'zod';
import { DistilleryError } from './core/errors.ts';
import { s3SettingsSchema } from './storage/s3-settings.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const teacherConfigSchema = z
  .object({
    name: z.string().regex(NAME, 'letters, digits, ".", "_" or "-", at most 64'),
    /** a local model directory (Hugging Face layout); relative paths resolve against the config file */
    path: z.string().min(1).optional(),
    /** a hub id, only used when allowRemoteModels is true */
    hubId: z.string().min(1).optional(),
    dtype: z.enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'bnb4', 'q4f16']).default('fp32'),
    device: z.enum(['cpu', 'cuda', 'webgpu', 'auto']).default('cpu'),
    threads: z.number().int().min(1).max(256).optional(),
    /** `worker` (default): the session runs in its own thread so HTTP keeps answering during a batch */
    thread: z.enum(['worker', 'main']).optional(),
    maxLength: z.number().int().min(8).max(8192).optional(),
    /** padded tokens per model batch inside the teacher */
    tokenBudget: z.number().int().min(16).optional(),
    maxBatchSize: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((t) => (t.path === undefined) !== (t.hubId === undefined), {
    message: 'give exactly one of `path` or `hubId`',
  });

/** Structurally a src/teacher TeacherConfig; kept here so the config does not import upward. */
export type TeacherEntry = z.infer<typeof teacherConfigSchema>;

const configSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    db: z.string().min(1),
    modelsDir: z.string().min(1),
    sharedDir: z.string().min(1),
    /** folders HTTP jobs may read corpora from (default: <repo>/data and <sharedDir>/data/corpora) */
    corporaDirs: z.array(z.string().min(1)).min(1).optional(),
    allowRemoteModels: z.boolean(),
    /** bearer tokens; empty means no auth, which is only allowed on loopback */
    apiKeys: z.array(z.string().min(16, 'API keys must be at least 16 characters')),
    /** bind a non-loopback host without API keys anyway */
    allowInsecureRemote: z.boolean(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    /** Redis of distributed jobs (`run --queue`, `worker`): GET /v1/jobs/:id shows them too */
    queue: z
      .string()
      .regex(/^redis:\/\//, 'a redis:// URL')
      .optional(),
    /** `s3://` corpora and parts: endpoint, region, addressing, checksums, HTTP jobs' prefixes (src/storage/) */
    s3: s3SettingsSchema,
    teachers: z.array(teacherConfigSchema).min(1, 'configure at least one teacher'),
    /** teacher used when a request names none; defaults to the first one */
    defaultTeacher: z.string().optional(),
    /**
     * Models that model-backed augmentation ops load, by folder relative to modelsDir: masked-lm /
     * tinybert (fillMask), back-translate (one model per direction, e.g. en-de and de-en), generate /
     * paraphrase (generator: a causal LM exported with its KV cache). `scorer`: the
     * configured teacher that scores adversarial edits when a request names none (default: defaultTeacher).
     * Used by POST /v1/augment, by HTTP jobs whose body names no augmentModels, and by `distillery augment`.
     */
    augmentModels: z
      .object({
        fillMask: z.string().min(1).optional(),
        generator: z.string().min(1).optional(),
        translation: z
          .record(z.string().regex(/^[a-z]{2,3}-[a-z]{2,3}$/, 'a direction such as en-de'), z.string().min(1))
          .optional(),
        scorer: z.string().optional(),
      })
      .strict()
      .default({}),
    /**
     * Lexicons requests may name (`{"op": "lexicon", "params": {"lexicon": NAME}}`): name -> JSON or TSV file,
     * relative to the config file. Requests never name files themselves.
     */
    lexicons: z.record(z.string().regex(NAME, 'letters, digits, ".", "_" or "-", at most 64'), z.string().min(1)),
    /** threads that run model-free augmentation off the event loop (0: on the main thread, for benchmark baselines only) */
    workers: z.number().int().min(0).max(64),
    batching: z
      .object({
        /** merge concurrent requests for the same teacher; off = one model call per request */
        enabled: z.boolean(),
        /** a batch closes after this long without a new text... */
        maxWaitMs: z.number().min(0).max(1000),
        /** ...or this long after it opened */
        maxDelayMs: z.number().min(0).max(10_000),
        /** padded tokens per model call (texts x longest text) */
        tokenBudget: z.number().int().min(16),
        maxBatchTexts: z.number().int().min(1),
      })
      .strict(),
    limits: z
      .object({
        maxTextsPerRequest: z.number().int().min(1),
        maxCharsPerText: z.number().int().min(1),
        /** texts waiting per teacher before requests get 429 */
        queueBound: z.number().int().min(1),
        /** express body-parser size, e.g. "1mb" */
        bodyLimit: z.string().regex(/^\d+(b|kb|mb)$/i, 'a size like "512kb" or "1mb"'),
        retryAfterSeconds: z.number().int().min(1),
        /** jobs running at once; more wait in a FIFO queue */
        maxRunningJobs: z.number().int().min(1),
        /** jobs waiting to start; more get 429 (0: no queue, refuse once maxRunningJobs run) */
        maxQueuedJobs: z.number().int().min(0),
        /** largest lexicon file read, in bytes */
        maxLexiconBytes: z.number().int().min(1),
        /** largest corpus file a job may read, in bytes */
        maxCorpusBytes: z.number().int().min(1),
        /** POST /v1/augment: texts x characters x variants a request may ask for (413 past it, before any work) */
        augmentCostBudget: z.number().int().min(1),
        /** a request's augmentation still running after this long is stopped: 503 + Retry-After */
        augmentDeadlineMs: z.number().int().min(100),
      })
      .strict(),
  })
  .strict();

export type Config = Readonly<z.infer<typeof configSchema> & { corporaDirs: string[] }>;

function defaults(): z.input<typeof configSchema> {
  const modelsDir = path.join(REPO_ROOT, 'models');
  return {
    host: '127.0.0.1',
    port: 8080,
    db: path.join(REPO_ROOT, 'data', 'distillery.db'),
    modelsDir,
    sharedDir: path.resolve(REPO_ROOT, '../shared'),
    allowRemoteModels: false,
    apiKeys: [],
    allowInsecureRemote: false,
    logLevel: 'info',
    teachers: [{ name: 'demo', path: path.join(modelsDir, 'demo-sentiment'), dtype: 'fp32', device: 'cpu' }],
    s3: { httpCorpora: [] },
    lexicons: {},
    workers: Math.max(1, Math.min(4, availableParallelism() - 1)),
    batching: { enabled: true, maxWaitMs: 5, maxDelayMs: 50, tokenBudget: 8192, maxBatchTexts: 64 },
    limits: {
      maxTextsPerRequest: 64,
      maxCharsPerText: 4000,
      queueBound: 1024,
      bodyLimit: '1mb',
      retryAfterSeconds: 1,
      maxRunningJobs: 2,
      maxQueuedJobs: 100,
      maxLexiconBytes: 16 * 1024 * 1024,
      maxCorpusBytes: 4 * 1024 * 1024 * 1024,
      augmentCostBudget: 2_000_000,
      augmentDeadlineMs: 30_000,
    },
  };
}

/** What a caller (the CLI) may override; undefined fields are ignored. */
export interface ConfigOverrides {
  host?: string;
  port?: number;
  db?: string;
  configFile?: string;
  /** deep-merged last, for tests and embedding */
  patch?: Record<string, unknown>;
}

type Env = Record<string, string | undefined>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new DistilleryError('CONFIG_INVALID', `cannot read config file ${file}`, {
      cause,
      hint: 'check the --config / DISTILLERY_CONFIG path',
    });
  }
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new DistilleryError(
      'CONFIG_INVALID',
      `config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}`,
      { cause },
    );
  }
  if (parsed == null) return {};
  if (!isPlainObject(parsed))
    throw new DistilleryError('CONFIG_INVALID', `config file ${file} must hold a mapping at the top level`);
  // Paths in a config file are relative to the file, not to wherever the server was started.
  const dir = path.dirname(path.resolve(file));
  const out: Record<string, unknown> = { ...parsed };
  for (const key of ['db', 'modelsDir', 'sharedDir'] as const) {
    if (typeof out[key] === 'string') out[key] = path.resolve(dir, out[key]);
  }
  if (Array.isArray(out.corporaDirs))
    out.corporaDirs = out.corporaDirs.map((d: unknown) => (typeof d === 'string' ? path.resolve(dir, d) : d));
  if (isPlainObject(out.lexicons))
    out.lexicons = Object.fromEntries(
      Object.entries(out.lexicons).map(([k, v]) => [k, typeof v === 'string' ? path.resolve(dir, v) : v]),
    );
  if (Array.isArray(out.teachers)) {
    out.teachers = out.teachers.map((t: unknown) =>
      isPlainObject(t) && typeof t.path === 'string' ? { ...t, path: path.resolve(dir, t.path) } : t,
    );
  }
  return out;
}

function envNumber(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new DistilleryError('CONFIG_INVALID', `${name} must be a number, got "${raw}"`);
  return n;
}

function envBool(env: Env, name: string): boolean | undefined {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new DistilleryError('CONFIG_INVALID', `${name} must be true or false, got "${env[name]}"`);
}

function fromEnv(env: Env): Record<string, unknown> {
  const keys = env.DISTILLERY_API_KEYS?.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  return {
    host: env.DISTILLERY_HOST || undefined,
    port: envNumber(env, 'DISTILLERY_PORT'),
    db: env.DISTILLERY_DB ? path.resolve(env.DISTILLERY_DB) : undefined,
    modelsDir: env.DISTILLERY_MODELS_DIR ? path.resolve(env.DISTILLERY_MODELS_DIR) : undefined,
    sharedDir: env.DISTILLERY_SHARED_DIR ? path.resolve(env.DISTILLERY_SHARED_DIR) : undefined,
    allowRemoteModels: envBool(env, 'DISTILLERY_ALLOW_REMOTE_MODELS'),
    allowInsecureRemote: envBool(env, 'DISTILLERY_ALLOW_INSECURE_REMOTE'),
    apiKeys: keys && keys.length > 0 ? keys : undefined,
    logLevel: env.DISTILLERY_LOG_LEVEL || undefined,
    queue: env.DISTILLERY_QUEUE || undefined,
    // the AWS SDK's own variables for an S3-compatible endpoint, the service-specific one first
    s3: { endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined },
  };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/**
 * DISTILLERY_DEBUG set: the CLI prints a failure's stack after its one line. Apart from loadConfig
 * because the failure may come before a config is loaded, or from loading it.
 */
export const debugStacks = (env: Env = process.env): boolean => Boolean(env.DISTILLERY_DEBUG);

/**
 * Builds the configuration. `env` defaults to process.env; tests pass their own object so that they
 * never depend on the developer's shell.
 */
export function loadConfig(overrides: ConfigOverrides = {}, env: Env = process.env): Config {
  const file = overrides.configFile ?? (env.DISTILLERY_CONFIG || undefined);
  let raw: Record<string, unknown> = defaults() as Record<string, unknown>;
  if (file) raw = deepMerge(raw, readConfigFile(file));
  raw = deepMerge(raw, fromEnv(env));
  raw = deepMerge(raw, {
    host: overrides.host,
    port: overrides.port,
    db: overrides.db === undefined ? undefined : path.resolve(overrides.db),
  });
  if (overrides.patch) raw = deepMerge(raw, overrides.patch);

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DistilleryError('CONFIG_INVALID', `invalid configuration: ${formatIssues(parsed.error)}`, {
      hint: file ? `fix ${file} or the DISTILLERY_* variables` : 'fix the DISTILLERY_* variables or the flags',
    });
  }
  const cfg = parsed.data;
  const names = new Set<string>();
  for (const t of cfg.teachers) {
    if (names.has(t.name)) throw new DistilleryError('CONFIG_INVALID', `teacher "${t.name}" is configured twice`);
    names.add(t.name);
  }
  if (cfg.defaultTeacher !== undefined && !names.has(cfg.defaultTeacher)) {
    throw new DistilleryError(
      'CONFIG_INVALID',
      `defaultTeacher "${cfg.defaultTeacher}" is not among the configured teachers (${[...names].join(', ')})`,
    );
  }
  if (cfg.augmentModels.scorer !== undefined && !names.has(cfg.augmentModels.scorer)) {
    throw new DistilleryError(
      'CONFIG_INVALID',
      `augmentModels.scorer "${cfg.augmentModels.scorer}" is not among the configured teachers (${[...names].join(', ')})`,
    );
  }
  const corporaDirs = cfg.corporaDirs ?? [path.join(REPO_ROOT, 'data'), path.join(cfg.sharedDir, 'data', 'corpora')];
  return deepFreeze({ ...cfg, corporaDirs });
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}
