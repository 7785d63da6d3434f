/**
 * Creates onnxruntime-node sessions on the requested device; the only place that picks providers.
 * onnxruntime-node is imported when a session is opened on the main thread, so commands that run no
 * model never load it (the worker thread imports it itself).
 */
import os from 'node:os';
import type * as ort from 'onnxruntime-node';
import { DistilleryError } from '../core/errors.ts';
import { DEVICE_CANDIDATES, DEVICE_INSTALL_HINT, type Device } from './devices.ts';
import type { SessionTensor, TeacherSession } from './session-handle.ts';
import { WorkerSession } from './worker-session.ts';

/**
 * `worker` (default): the session runs in its own thread, so the main thread (HTTP, timers) keeps
 * going during a batch. `main`: in-process, as onnxruntime-node does by itself; kept for the
 * benchmarks' baseline and for debugging a native crash without a thread in between.
 */
export type SessionThread = 'worker' | 'main';

export interface SessionRequest {
  onnxPath: string;
  device: Device;
  /** intra-op threads; default: all cores */
  threads?: number;
  thread?: SessionThread;
  /**
   * keep onnxruntime's CPU memory arena (default off): for graphs that allocate the same large
   * tensors over and over within a run (the causal head's chunks), where fresh memory costs page faults
   */
  arena?: boolean;
  /** names the session in errors, e.g. `teacher "demo"`; default: the ONNX path */
  label?: string;
  /** called once when `auto` settles on a device, so the choice is logged */
  onDevice?: (device: string, tried: string[]) => void;
}

export interface OpenedSession {
  session: TeacherSession;
  device: 'cpu' | 'cuda' | 'webgpu';
}

/** The session on the calling thread (thread: 'main'). */
class MainThreadSession implements TeacherSession {
  readonly #ort: typeof ort;
  #session: ort.InferenceSession | undefined;
  readonly #options: ort.InferenceSession.SessionOptions;
  /** the main model's names, kept when it is closed */
  readonly #names: Pick<ort.InferenceSession, 'inputNames' | 'outputNames' | 'outputMetadata'>;
  /** other graphs of the same model (TeacherSession.openGraph) */
  readonly #graphs = new Map<string, ort.InferenceSession>();
  readonly failure = undefined;

  constructor(runtime: typeof ort, session: ort.InferenceSession, options: ort.InferenceSession.SessionOptions) {
    this.#ort = runtime;
    this.#session = session;
    this.#options = options;
    this.#names = {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      outputMetadata: session.outputMetadata,
    };
  }

  get inputNames(): readonly string[] {
    return this.#names.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.#names.outputNames;
  }

  get outputMetadata(): readonly ort.InferenceSession.ValueMetadata[] {
    return this.#names.outputMetadata;
  }

  onFailure(): void {}

  async run(
    feeds: Record<string, SessionTensor>,
    fetches: readonly string[],
    graph?: string,
  ): Promise<Record<string, SessionTensor>> {
    const target = graph === undefined ? this.#session : this.#graphs.get(graph);
    if (!target) throw new Error(graph === undefined ? 'the main graph is not open' : `no graph ${graph} is open`);
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds))
      tensors[name] = new this.#ort.Tensor(t.type as 'int64', t.data as BigInt64Array, t.dims);
    const out = await target.run(tensors, [...fetches]);
    const result: Record<string, SessionTensor> = {};
    for (const name of fetches) {
      const t = out[name]!;
      result[name] = { type: t.type, data: t.data as SessionTensor['data'], dims: t.dims };
    }
    return result;
  }

  async openGraph(graph: string, onnxPath: string): Promise<void> {
    await this.closeGraph(graph);
    this.#graphs.set(graph, await this.#ort.InferenceSession.create(onnxPath, this.#options));
  }

  async closeGraph(graph?: string): Promise<void> {
    if (graph === undefined) {
      await this.#session?.release();
      this.#session = undefined;
      return;
    }
    await this.#graphs.get(graph)?.release();
    this.#graphs.delete(graph);
  }

  async release(): Promise<void> {
    for (const graph of [...this.#graphs.keys()]) await this.closeGraph(graph);
    await this.closeGraph();
  }
}

export async function openSession(req: SessionRequest): Promise<OpenedSession> {
  const candidates = DEVICE_CANDIDATES[req.device];
  if (!candidates) {
    throw new DistilleryError('CONFIG_INVALID', `Unknown device "${req.device}"`, {
      hint: 'use cpu, cuda, webgpu or auto',
    });
  }
  const onWorker = (req.thread ?? 'worker') === 'worker';
  let worker: WorkerSession | undefined;
  const failures: string[] = [];
  for (const device of candidates) {
    try {
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: [device],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: req.threads ?? os.availableParallelism(),
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // Batches come in many shapes; ORT's arena keeps the largest of each and grew RSS by ~1 GB
        // on BERT-base (bench/teacher.ts), for no measurable speed gain.
        enableCpuMemArena: req.arena ?? false,
        // A GPU probe that fails under `auto` is expected; only the final fallback line should show.
        ...(req.device === 'auto' && device !== 'cpu' ? { logSeverityLevel: 4 as const } : {}),
      };
      let session: TeacherSession;
      if (onWorker) {
        // One thread tries each candidate in turn; a probe that killed it gets a fresh one.
        if (!worker || worker.failure)
          worker = new WorkerSession(req.label ? `${req.label} (${req.onnxPath})` : req.onnxPath);
        session = await worker.open(req.onnxPath, options);
      } else {
        const runtime = await import('onnxruntime-node');
        session = new MainThreadSession(runtime, await runtime.InferenceSession.create(req.onnxPath, options), options);
      }
      if (req.device === 'auto') req.onDevice?.(device, failures);
      return { session, device };
    } catch (err) {
      const msg = (err as Error).message.split('\n')[0] ?? String(err);
      failures.push(`${device}: ${msg}`);
      if (device === 'cpu' || req.device !== 'auto') {
        await worker?.release();
        const hint =
          device === 'cpu'
            ? 'check that the ONNX file is valid (distillery models inspect DIR)'
            : DEVICE_INSTALL_HINT[device];
        throw new DistilleryError(
          device === 'cpu' ? 'MODEL_LOAD_FAILED' : 'DEVICE_UNAVAILABLE',
          `Cannot start ${req.onnxPath} on ${device}: ${msg}`,
          { hint, cause: err },
        );
      }
    }
  }
  await worker?.release();
  throw new DistilleryError('DEVICE_UNAVAILABLE', `No device could run ${req.onnxPath}: ${failures.join('; ')}`);
}
