/**
 * What a teacher needs from an onnxruntime session, whichever thread runs it: names, output
 * metadata, run and release. Tensors are plain objects so they can cross a thread boundary.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { DistilleryError } from '../core/errors.ts';

export type SessionTensorData =
  BigInt64Array | Float32Array | Uint16Array | Int32Array | Uint8Array | Int8Array | Float64Array;

export interface SessionTensor {
  /** ORT element type: int64, float32, float16, ... */
  type: string;
  data: SessionTensorData;
  dims: readonly number[];
}

export interface TeacherSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly outputMetadata: readonly InferenceSession.ValueMetadata[];
  /** Why the session can no longer run (its thread died); undefined while it can. */
  readonly failure: DistilleryError | undefined;
  /** Called once if the session becomes unusable (immediately if it already is). */
  onFailure(listener: (err: DistilleryError) => void): void;
  /** Runs the session's model, or the other graph `graph` opened beside it. */
  run(
    feeds: Record<string, SessionTensor>,
    fetches: readonly string[],
    graph?: string,
  ): Promise<Record<string, SessionTensor>>;
  /**
   * Opens another graph of the same model (an ONNX file) beside the session, on the same device with the
   * same options, under the name `graph`, replacing one of that name.
   */
  openGraph(graph: string, onnxPath: string): Promise<void>;
  /** Frees graph `graph`, or without a name the main model (names and metadata stay readable). */
  closeGraph(graph?: string): Promise<void>;
  release(): Promise<void>;
}
