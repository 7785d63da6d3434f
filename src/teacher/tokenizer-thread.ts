/**
 * A teacher's tokenizer in its own worker thread (src/teacher/tokenizer-worker.mjs). Large labelling
 * calls tokenize here, chunk by chunk, while the session thread runs the previous chunk's batches, so
 * tokenizing costs the main thread nothing and no longer sits between batches. Like WorkerSession, the
 * thread is referenced only while a call is pending, so it never keeps a finished process alive.
 */
import { Worker } from 'node:worker_threads';
import type { TextInput } from '../core/types.ts';
import type { EncodedText } from './text-encoder.ts';

const WORKER_URL = new URL('./tokenizer-worker.mjs', import.meta.url);

interface Reply {
  id: number;
  ok: boolean;
  message?: string;
  encoded?: EncodedText[];
}

export class TokenizerThread {
  readonly thread: Worker;
  readonly #pending = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  /** settles once the tokenizer is loaded in the thread */
  readonly ready: Promise<void>;
  #ready = false;
  #nextId = 0;
  #failure: Error | undefined;

  constructor(dir: string, maxLength: number) {
    this.thread = new Worker(WORKER_URL, { execArgv: [] });
    this.thread.unref();
    this.thread.on('message', (reply: Reply) => {
      const p = this.#pending.get(reply.id);
      if (!p) return;
      this.#settled(reply.id);
      if (reply.ok) p.resolve(reply);
      else p.reject(new Error(`tokenizer thread: ${reply.message}`));
    });
    this.thread.on('error', (err) => this.#fail(new Error(`tokenizer thread crashed: ${err.message}`)));
    this.thread.on('exit', (code) => this.#fail(new Error(`tokenizer thread stopped (exit code ${code})`)));
    this.ready = this.#call({ op: 'open', dir, maxLength }).then(() => {
      this.#ready = true;
    });
    this.ready.catch(() => {});
  }

  /** true once the tokenizer is loaded and the thread has not failed since */
  get isReady(): boolean {
    return this.#ready && !this.#failure;
  }

  /** Why the thread cannot tokenize; undefined while it can. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  async encode(inputs: readonly TextInput[]): Promise<EncodedText[]> {
    await this.ready;
    const reply = await this.#call({ op: 'encode', inputs });
    return reply.encoded ?? [];
  }

  async release(): Promise<void> {
    this.#fail(new Error('tokenizer thread released'));
    await this.thread.terminate();
  }

  #call(msg: Record<string, unknown>): Promise<Reply> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.thread.ref();
      this.thread.postMessage({ ...msg, id });
    });
  }

  #settled(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.thread.unref();
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.thread.unref();
    for (const p of pending) p.reject(this.#failure);
  }
}
