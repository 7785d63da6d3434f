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
  run(feeds: Record<string, SessionTensor>, fetches: readonly string[]): Promise<Record<string, SessionTensor>>;
  release(): Promise<void>;
}
