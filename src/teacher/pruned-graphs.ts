/**
 * Runs each request on a copy of the teacher's graph pruned to the outputs it asks for
 * (src/teacher/onnx/prune-outputs.ts). onnxruntime runs every node of a graph whatever the fetches, and
 * cannot fuse away a tensor that is a graph output, so a graph exposing every layer's hidden states and
 * attentions is slower even for a job that reads only the logits.
 *
 * One pruned graph per set of outputs, opened beside the teacher's session on first use and cached: a
 * given spec always runs on the same graph, whatever came before, so its outputs never depend on the
 * request history. The pruned graph computes exactly what a model exported with only those outputs
 * computes (bit for bit on the fixtures); against the whole graph, the fusions onnxruntime can now apply
 * change the float rounding (fp32: within 1e-6 on the fixtures, 4e-6 on BERT-base, inside the 1e-5
 * batch-invariance contract). Quantized graphs move much more (their fused kernels quantize
 * differently), so OnnxTeacher prunes them only when asked.
 *
 * Each open graph holds its own copy of the weights, so at most MAX_OPEN_GRAPHS stay open; the least
 * recently used one is closed to make room. The whole graph loaded to describe the teacher counts as
 * one, and is closed before another graph opens while it has run nothing: a job with one spec keeps one
 * copy of the weights.
 * Callers run `graphFor` and the run it names inside the same task of the teacher's queue, so no graph
 * closes under a run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writePrunedModel } from './onnx/prune-outputs.ts';
import type { TeacherSession } from './session-handle.ts';

export const MAX_OPEN_GRAPHS = 2;
/** the session's own (whole) graph, loaded with the teacher */
const MAIN = '';
/** the whole graph reopened by name after MAIN was closed */
const WHOLE = '*';

export class PrunedGraphs {
  readonly #session: TeacherSession;
  readonly #onnxPath: string;
  readonly #all: readonly string[];
  readonly #log: ((msg: string) => void) | undefined;
  /** open graph -> last use (MAIN starts at -1: it has run nothing yet) */
  readonly #open = new Map<string, number>([[MAIN, -1]]);
  /** output sets whose pruning was skipped or failed: they run on the whole graph */
  readonly #whole = new Set<string>();
  #uses = 0;

  constructor(session: TeacherSession, onnxPath: string, log?: (msg: string) => void) {
    this.#session = session;
    this.#onnxPath = onnxPath;
    this.#all = [...session.outputNames];
    this.#log = log;
  }

  /** Names of the open graphs: the outputs each computes (`*` = every output). */
  get open(): string[] {
    return [...this.#open.keys()].map((k) => (k === MAIN || k === WHOLE ? '*' : k)).sort();
  }

  /** The graph to run `fetches` on (undefined: the session's main graph), opened first when needed. */
  async graphFor(fetches: readonly string[]): Promise<string | undefined> {
    const want = this.#all.filter((o) => fetches.includes(o));
    const key = want.join(',');
    if (want.length < this.#all.length && !this.#whole.has(key)) {
      if (this.#open.has(key) || (await this.#openPruned(key, want))) return this.#use(key);
    }
    if (this.#open.has(MAIN)) return this.#use(MAIN);
    if (!this.#open.has(WHOLE)) {
      await this.#makeRoom();
      await this.#session.openGraph(WHOLE, this.#onnxPath);
    }
    return this.#use(WHOLE);
  }

  #use(key: string): string | undefined {
    this.#open.set(key, ++this.#uses);
    return key === MAIN ? undefined : key;
  }

  async #openPruned(key: string, want: readonly string[]): Promise<boolean> {
    let why: string;
    // The pruned copy goes through a temporary file (under TMPDIR, as large as the model, gone once the
    // session has loaded it): onnxruntime loads it as it loads the original, and no copy of the weights
    // is held by JavaScript on either thread.
    let dir: string | undefined;
    try {
      dir = await mkdtemp(path.join(os.tmpdir(), 'distillery-pruned-'));
      const file = path.join(dir, 'model.onnx');
      const pruned = await writePrunedModel(this.#onnxPath, want, file);
      if (!('skipped' in pruned)) {
        await this.#makeRoom();
        await this.#session.openGraph(key, file);
        this.#open.set(key, this.#uses);
        return true;
      }
      why = pruned.skipped;
    } catch (err) {
      why = `the pruned graph failed: ${(err as Error).message}`;
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
    // An engine that cannot prune or load the pruned copy still runs the original.
    this.#log?.(`${this.#onnxPath}: computing every output for ${key} (${why})`);
    this.#whole.add(key);
    return false;
  }

  async #makeRoom(): Promise<void> {
    // The whole graph only described the teacher so far: free its weights before loading a second copy.
    if (this.#open.get(MAIN) === -1) {
      await this.#session.closeGraph(undefined);
      this.#open.delete(MAIN);
    }
    while (this.#open.size >= MAX_OPEN_GRAPHS) {
      const [lru] = [...this.#open.entries()].reduce((a, b) => (b[1] < a[1] ? b : a));
      await this.#session.closeGraph(lru === MAIN ? undefined : lru);
      this.#open.delete(lru);
    }
  }
}
