/** Creates onnxruntime-node sessions on the requested device; the only place that picks providers. */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { DistilleryError } from '../core/errors.ts';
import { DEVICE_CANDIDATES, DEVICE_INSTALL_HINT, type Device } from './devices.ts';

export interface SessionRequest {
  onnxPath: string;
  device: Device;
  /** intra-op threads; default: all cores */
  threads?: number;
  /** called once when `auto` settles on a device, so the choice is logged */
  onDevice?: (device: string, tried: string[]) => void;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  device: 'cpu' | 'cuda' | 'webgpu';
}

export async function openSession(req: SessionRequest): Promise<OpenedSession> {
  const candidates = DEVICE_CANDIDATES[req.device];
  if (!candidates) {
    throw new DistilleryError('CONFIG_INVALID', `Unknown device "${req.device}"`, { hint: 'use cpu, cuda, webgpu or auto' });
  }
  const failures: string[] = [];
  for (const device of candidates) {
    try {
      const session = await ort.InferenceSession.create(req.onnxPath, {
        executionProviders: [device],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: req.threads ?? os.availableParallelism(),
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // Batches come in many shapes; ORT's arena keeps the largest of each and grew RSS by ~1 GB
        // on BERT-base (bench/teacher.ts), for no measurable speed gain.
        enableCpuMemArena: false,
        // A GPU probe that fails under `auto` is expected; only the final fallback line should show.
        ...(req.device === 'auto' && device !== 'cpu' ? { logSeverityLevel: 4 as const } : {}),
      });
      if (req.device === 'auto') req.onDevice?.(device, failures);
      return { session, device };
    } catch (err) {
      const msg = (err as Error).message.split('\n')[0] ?? String(err);
      failures.push(`${device}: ${msg}`);
      if (device === 'cpu' || req.device !== 'auto') {
        const hint = device === 'cpu' ? 'check that the ONNX file is valid (distillery models inspect DIR)' : DEVICE_INSTALL_HINT[device];
        throw new DistilleryError(
          device === 'cpu' ? 'MODEL_LOAD_FAILED' : 'DEVICE_UNAVAILABLE',
          `Cannot start ${req.onnxPath} on ${device}: ${msg}`,
          { hint, cause: err },
        );
      }
    }
  }
  throw new DistilleryError('DEVICE_UNAVAILABLE', `No device could run ${req.onnxPath}: ${failures.join('; ')}`);
}
