/**
 * Named teachers from the configuration. Loads each lazily on first use and keeps it; a teacher
 * that failed to load, or whose session thread died later, stays failed (its error is reported)
 * until the registry is rebuilt.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DistilleryError } from '../core/errors.ts';
import type { TeacherInfo } from '../core/types.ts';
import { CausalGenerator } from './causal/causal-generator.ts';
import { CausalTeacher, type CausalTeacherInfo } from './causal/causal-teacher.ts';
import { isCausalLm } from './causal/causal-task.ts';
import { fetchHubModel, setRemoteModelsAllowed } from './hf-env.ts';
import { OnnxTeacher } from './onnx-teacher.ts';
import type { TeacherConfig } from './teacher-config.ts';

export interface RegistryOptions {
  /** folder that relative teacher paths resolve against */
  modelsDir: string;
  allowRemote: boolean;
  /** where hub downloads are cached when remote models are allowed */
  hubCacheDir?: string;
  log?: (msg: string) => void;
}

export interface TeacherListing {
  name: string;
  source: string;
  dtype: string;
  device: string;
  state: 'not-loaded' | 'loading' | 'ready' | 'failed';
  error?: string;
  info?: TeacherInfo | CausalTeacherInfo;
}

export class TeacherRegistry {
  readonly #configs = new Map<string, TeacherConfig>();
  readonly #loading = new Map<string, Promise<OnnxTeacher>>();
  readonly #ready = new Map<string, OnnxTeacher>();
  readonly #failed = new Map<string, DistilleryError>();
  /** text-generation teachers (config.json names a causal LM), loaded on first use and kept, failed or not */
  readonly #causal = new Map<string, Promise<CausalTeacher>>();
  readonly #causalSettled = new Map<string, CausalTeacher | Error>();
  readonly #generators = new Map<string, Promise<CausalGenerator>>();
  readonly #opts: RegistryOptions;
  #closing: Promise<void> | undefined;

  constructor(configs: readonly TeacherConfig[], opts: RegistryOptions) {
    this.#opts = opts;
    setRemoteModelsAllowed(opts.allowRemote, opts.hubCacheDir);
    for (const c of configs) {
      if (this.#configs.has(c.name))
        throw new DistilleryError('CONFIG_INVALID', `Teacher "${c.name}" is configured twice`);
      if (!c.path && !c.hubId) {
        throw new DistilleryError('CONFIG_INVALID', `Teacher "${c.name}" has neither path nor hubId`, {
          hint: 'set path: to a model folder',
        });
      }
      this.#configs.set(c.name, c);
    }
  }

  /** The registry a service or command builds from the validated config (structurally typed). */
  static fromConfig(
    config: { teachers: readonly TeacherConfig[]; modelsDir: string; allowRemoteModels: boolean; db: string },
    log?: (msg: string) => void,
  ): TeacherRegistry {
    return new TeacherRegistry(config.teachers, {
      modelsDir: config.modelsDir,
      allowRemote: config.allowRemoteModels,
      hubCacheDir: path.join(path.dirname(config.db), 'hub-cache'),
      log,
    });
  }

  names(): string[] {
    return [...this.#configs.keys()];
  }

  has(name: string): boolean {
    return this.#configs.has(name);
  }

  config(name: string): TeacherConfig {
    const c = this.#configs.get(name);
    if (!c) {
      throw new DistilleryError('NOT_FOUND', `Unknown teacher "${name}"`, {
        hint: `configured teachers: ${this.names().join(', ') || 'none'}`,
      });
    }
    return c;
  }

  resolveDir(c: TeacherConfig): string | undefined {
    return c.path ? path.resolve(this.#opts.modelsDir, c.path) : undefined;
  }

  async get(name: string): Promise<OnnxTeacher> {
    const c = this.config(name);
    const ready = this.#ready.get(name);
    if (ready && !ready.failure) return ready;
    if (ready) this.#markFailed(name, ready);
    const failed = this.#failed.get(name);
    if (failed) throw failed;
    let loading = this.#loading.get(name);
    if (!loading) {
      loading = this.#load(c);
      this.#loading.set(name, loading);
    }
    return loading;
  }

  /** Whether the teacher's config.json names a causal LM (a local folder; hub teachers read as false). */
  isCausal(name: string): boolean {
    const c = this.#modelConfig(name);
    return c !== undefined && isCausalLm(c);
  }

  /** The vocabulary size config.json declares, without loading the model (validating requests); undefined if unknown. */
  vocabSize(name: string): number | undefined {
    const v = Number(this.#modelConfig(name)?.vocab_size);
    return Number.isInteger(v) && v > 0 ? v : undefined;
  }

  #modelConfig(name: string): Record<string, unknown> | undefined {
    const dir = this.resolveDir(this.config(name));
    const file = dir && path.join(dir, 'config.json');
    if (!file || !existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** A text-generation teacher (src/teacher/causal/); get() is for classifiers and masked LMs. */
  getCausal(name: string): Promise<CausalTeacher> {
    const c = this.config(name);
    let loading = this.#causal.get(name);
    if (!loading) {
      loading = (async () => {
        return CausalTeacher.load(await this.#loadOptions(c));
      })();
      this.#causal.set(name, loading);
      // settled state for list(): the promise itself cannot be inspected
      loading.then(
        (t) => this.#causalSettled.set(name, t),
        (err: unknown) => this.#causalSettled.set(name, err instanceof Error ? err : new Error(String(err))),
      );
    }
    return loading;
  }

  /** The same text-generation teacher as a writer (a with-past export): jobs with `sequence.generate`. */
  getGenerator(name: string): Promise<CausalGenerator> {
    const c = this.config(name);
    let loading = this.#generators.get(name);
    if (!loading) {
      loading = (async () => {
        const { name, dir, dtype, device, threads, thread, maxLength } = await this.#loadOptions(c);
        return CausalGenerator.load({ name, dir, dtype, device, threads, thread, maxLength });
      })();
      // a failed load is retried by the next job that needs it
      loading.catch(() => this.#generators.delete(name));
      this.#generators.set(name, loading);
    }
    return loading;
  }

  /** What every kind of teacher is loaded with: the model folder (fetched from the hub if named so) and the config's knobs. */
  async #loadOptions(c: TeacherConfig) {
    return {
      name: c.name,
      dir: this.resolveDir(c) ?? (await fetchHubModel(c.hubId!, c.dtype ?? 'fp32')),
      dtype: c.dtype,
      device: c.device,
      threads: c.threads,
      thread: c.thread,
      maxLength: c.maxLength,
      limits: {
        ...(c.tokenBudget ? { tokenBudget: c.tokenBudget } : {}),
        ...(c.maxBatchSize ? { maxBatchSize: c.maxBatchSize } : {}),
      },
      log: this.#opts.log,
    };
  }

  async #load(c: TeacherConfig): Promise<OnnxTeacher> {
    try {
      const teacher = await OnnxTeacher.load(await this.#loadOptions(c));
      this.#ready.set(c.name, teacher);
      teacher.onFailure((err) => {
        this.#opts.log?.(`teacher ${c.name} failed: ${err.message}`);
        this.#markFailed(c.name, teacher);
      });
      return teacher;
    } catch (err) {
      const e =
        err instanceof DistilleryError
          ? err
          : new DistilleryError('MODEL_LOAD_FAILED', `Teacher "${c.name}" failed to load: ${(err as Error).message}`, {
              cause: err,
            });
      this.#failed.set(c.name, e);
      throw e;
    } finally {
      this.#loading.delete(c.name);
    }
  }

  #markFailed(name: string, teacher: OnnxTeacher): void {
    if (this.#ready.get(name) !== teacher || !teacher.failure) return;
    this.#ready.delete(name);
    this.#failed.set(name, teacher.failure);
    void teacher.dispose().catch(() => {});
  }

  list(): TeacherListing[] {
    return [...this.#configs.values()].map((c) => {
      const causal = this.#causal.has(c.name) ? this.#causalSettled.get(c.name) : undefined;
      if (this.#causal.has(c.name)) return this.#causalListing(c, causal);
      const ready = this.#ready.get(c.name);
      const failed = this.#failed.get(c.name);
      return {
        name: c.name,
        source: c.path ? this.resolveDir(c)! : `hub:${c.hubId}`,
        dtype: c.dtype ?? 'fp32',
        device: ready?.info.device ?? c.device ?? 'cpu',
        state: ready ? 'ready' : failed ? 'failed' : this.#loading.has(c.name) ? 'loading' : 'not-loaded',
        ...(failed ? { error: failed.toLine() } : {}),
        ...(ready ? { info: ready.info } : {}),
      };
    });
  }

  #causalListing(c: TeacherConfig, settled: CausalTeacher | Error | undefined): TeacherListing {
    const base = { name: c.name, source: c.path ? this.resolveDir(c)! : `hub:${c.hubId}`, dtype: c.dtype ?? 'fp32' };
    if (settled === undefined) return { ...base, device: c.device ?? 'cpu', state: 'loading' };
    if (settled instanceof Error) {
      const line = settled instanceof DistilleryError ? settled.toLine() : settled.message;
      return { ...base, device: c.device ?? 'cpu', state: 'failed', error: line };
    }
    return { ...base, device: settled.info.device, state: 'ready', info: settled.info };
  }

  /** Safe to call twice: the second call gets the same promise. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#loading.values()]);
      await Promise.all([...this.#ready.values()].map((t) => t.dispose()));
      const causal = await Promise.allSettled([...this.#causal.values()]);
      await Promise.all(causal.map((r) => (r.status === 'fulfilled' ? r.value.dispose() : undefined)));
      const writers = await Promise.allSettled([...this.#generators.values()]);
      await Promise.all(writers.map((r) => (r.status === 'fulfilled' ? r.value.dispose() : undefined)));
      this.#ready.clear();
    })();
    return this.#closing;
  }
}
