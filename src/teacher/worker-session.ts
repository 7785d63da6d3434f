/**
 * A teacher session that lives in its own worker thread (src/teacher/session-worker.mjs).
 * onnxruntime-node's `session.run` computes on the thread that calls it; here that thread is the
 * worker's, so the HTTP server keeps answering while a batch runs. Feed buffers are transferred in
 * and output buffers transferred back, so no tensor is copied on the way.
 *
 * The worker is referenced only while a call is pending: an idle teacher does not keep a finished
 * process alive, and a process awaiting a run does not exit early. If the thread dies, every pending
 * call rejects with a MODEL_LOAD_FAILED error and `failure` says why (the registry then reports the
 * teacher as failed, and its routes answer 503).
 */
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { DistilleryError } from '../core/errors.ts';
import type { SessionTensor, TeacherSession } from './session-handle.ts';

const WORKER_URL = new URL('./session-worker.mjs', import.meta.url);

interface Reply {
  id: number;
  ok: boolean;
  message?: string;
  inputNames?: string[];
  outputNames?: string[];
  outputMetadata?: InferenceSession.ValueMetadata[];
  outputs?: Record<string, SessionTensor>;
}

interface Pending {
  resolve(reply: Reply): void;
  reject(err: Error): void;
}

export class WorkerSession implements TeacherSession {
  /** the thread itself, for diagnostics (threadId) and tests (which post it a `crash` message) */
  readonly thread: Worker;
  inputNames: readonly string[] = [];
  outputNames: readonly string[] = [];
  outputMetadata: readonly InferenceSession.ValueMetadata[] = [];
  readonly #label: string;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners: ((err: DistilleryError) => void)[] = [];
  #nextId = 0;
  #failure: DistilleryError | undefined;
  #exited = false;
  #released: Promise<void> | undefined;

  constructor(label: string) {
    this.#label = label;
    // execArgv: [] so the thread starts the same way whether the process runs under tsx or not
    // (the worker script is plain JavaScript and needs no loader).
    this.thread = new Worker(WORKER_URL, { execArgv: [] });
    this.thread.unref();
    this.thread.on('message', (reply: Reply) => {
      const p = this.#pending.get(reply.id);
      if (!p) return;
      this.#settled(reply.id);
      if (reply.ok) p.resolve(reply);
      else p.reject(new Error(reply.message ?? 'onnxruntime worker call failed'));
    });
    this.thread.on('error', (err) => this.#fail(`crashed: ${err.message}`, err));
    this.thread.on('messageerror', (err) => this.#fail(`sent a message that could not be read: ${err.message}`, err));
    this.thread.on('exit', (code) => {
      this.#exited = true;
      this.#fail(`stopped unexpectedly (exit code ${code})`);
    });
  }

  /** Why the thread can no longer run the model; undefined while it can. */
  get failure(): DistilleryError | undefined {
    return this.#failure;
  }

  onFailure(listener: (err: DistilleryError) => void): void {
    if (this.#failure) listener(this.#failure);
    else this.#listeners.push(listener);
  }

  /** Opens (or replaces) the thread's session; ORT's error message comes back as a plain Error. */
  async open(onnxPath: string, options: InferenceSession.SessionOptions): Promise<this> {
    const reply = await this.#call({ op: 'open', path: onnxPath, options });
    this.inputNames = reply.inputNames ?? [];
    this.outputNames = reply.outputNames ?? [];
    this.outputMetadata = reply.outputMetadata ?? [];
    return this;
  }

  /** The feed buffers move to the worker: callers must not read them afterwards. */
  async run(
    feeds: Record<string, SessionTensor>,
    fetches: readonly string[],
    graph?: string,
  ): Promise<Record<string, SessionTensor>> {
    const transfer = [...new Set(Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer))];
    const reply = await this.#call({ op: 'run', feeds, fetches, graph }, transfer);
    return reply.outputs ?? {};
  }

  async openGraph(graph: string, onnxPath: string): Promise<void> {
    await this.#call({ op: 'open-graph', graph, path: onnxPath });
  }

  async closeGraph(graph?: string): Promise<void> {
    await this.#call({ op: 'close-graph', graph });
  }

  /**
   * Frees the session and ends the thread; safe to call twice, and after a crash. The thread is
   * stopped only once it has answered: stopping it inside a native run makes onnxruntime-node abort
   * the whole process when the run returns (the same holds for process.exit() during a run).
   */
  release(): Promise<void> {
    this.#released ??= (async () => {
      const released = new DistilleryError('MODEL_LOAD_FAILED', `The session for ${this.#label} was released`);
      if (!this.#exited) {
        const last = this.#post({ op: 'release' });
        this.#failure ??= released;
        await last.catch(() => {});
      }
      this.#failure ??= released;
      await this.thread.terminate();
    })();
    return this.#released;
  }

  #call(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.#failure) return Promise.reject(this.#failure);
    return this.#post(msg, transfer);
  }

  #post(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.thread.ref();
      try {
        this.thread.postMessage({ ...msg, id }, transfer);
      } catch (err) {
        this.#settled(id);
        reject(err as Error);
      }
    });
  }

  #settled(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.thread.unref();
  }

  /** Rejects every pending call; the first failure is the one reported. */
  #fail(reason: string, cause?: unknown): void {
    const first = !this.#failure;
    this.#failure ??= new DistilleryError(
      'MODEL_LOAD_FAILED',
      `The onnxruntime worker thread for ${this.#label} ${reason}`,
      {
        hint: 'the teacher is marked failed and answers 503; see the server log, then restart the service',
        ...(cause !== undefined ? { cause } : {}),
      },
    );
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.thread.unref();
    for (const p of pending) p.reject(this.#failure);
    if (first) for (const l of this.#listeners.splice(0)) l(this.#failure);
  }
}
