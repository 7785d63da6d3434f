/** Folder-level model tools behind `distillery models inspect | expose-hidden | list`. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { DistilleryError } from '../core/errors.ts';
import { FP16_ON_CPU_NOTE, type Device } from './devices.ts';
import { type CausalDescription, describeCausal, isCausalLm } from './causal/causal-task.ts';
import { exposeTargets } from './causal/expose-targets.ts';
import { teacherFingerprint } from './fingerprint.ts';
import { locateModelFiles } from './model-files.ts';
import { exposeHiddenStates } from './onnx/expose-hidden.ts';
import { modelDirConfig, rewriteModelDir } from './onnx/rewrite-model-dir.ts';
import { graphOutputs } from './output-names.ts';
import { openSession } from './session.ts';

export interface ValueDescription {
  name: string;
  type: string;
  shape: (number | string)[];
}

export interface ModelInspection {
  dir: string;
  dtype: string;
  task: string;
  architecture: string;
  labels: string[];
  maxLength: number;
  inputs: ValueDescription[];
  outputs: ValueDescription[];
  distillationOutputs: { logits: boolean; hiddenStates: number[]; attentions: number[]; hint?: string };
  fingerprint: string;
  onnxFiles: string[];
  /** where a teacher with this device setting would run, and why (what `auto` passed over, fp16 on cpu) */
  device: string;
  deviceNotes: string[];
  /** execution providers this onnxruntime-node build knows; the ones not bundled need their libraries */
  providers: string[];
  /** text-generation models: vocabulary, context, chat template and the per-position outputs on offer */
  causal?: CausalDescription;
}

/** Opens the graph the way a teacher would, to learn which device `device` settles on. */
async function probeDevice(
  onnxPath: string,
  device: Device,
  dtype: string,
): Promise<{ device: string; notes: string[] }> {
  const notes: string[] = [];
  let chosen: string = 'cpu';
  if (device !== 'cpu') {
    const opened = await openSession({
      onnxPath,
      device,
      thread: 'main',
      onDevice: (_d, tried) => notes.push(...tried.map((t) => `auto passed over ${t}`)),
    });
    chosen = opened.device;
    await opened.session.release();
  }
  if (dtype === 'fp16' && chosen === 'cpu') notes.push(FP16_ON_CPU_NOTE);
  return { device: chosen, notes };
}

/** Whether the teacher can rewrite this graph's LM head (expose-targets.ts); false with a reason logged nowhere. */
function headRewritable(onnxPath: string): boolean {
  try {
    exposeTargets(readFileSync(onnxPath));
    return true;
  } catch {
    return false;
  }
}

function describe(meta: readonly ort.InferenceSession.ValueMetadata[]): ValueDescription[] {
  return meta.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : 'non-tensor',
    shape: m.isTensor ? [...m.shape].map((d) => (typeof d === 'number' && d < 0 ? '?' : d)) : [],
  }));
}

export async function inspectModel(dir: string, dtype = 'fp32', device: Device = 'cpu'): Promise<ModelInspection> {
  const files = locateModelFiles(dir, dtype);
  const probe = await probeDevice(files.onnxPath, device, dtype);
  const { InferenceSession, listSupportedBackends } = await import('onnxruntime-node');
  const session = await InferenceSession.create(files.onnxPath);
  try {
    const outputs = graphOutputs(session.outputNames);
    const logits = session.outputMetadata.find((m) => m.name === 'logits');
    const rank = logits && logits.isTensor ? logits.shape.length : 0;
    const arch = String((files.config.architectures as string[] | undefined)?.[0] ?? 'unknown');
    const id2label = (files.config.id2label ?? {}) as Record<string, string>;
    const maxLength = Math.min(
      Number(files.tokenizerConfig.model_max_length ?? Infinity),
      Number(files.config.max_position_embeddings ?? Infinity),
    );
    const causal = isCausalLm(files.config)
      ? describeCausal(
          files.config,
          files.tokenizerConfig,
          session.inputNames,
          session.outputNames,
          headRewritable(files.onnxPath),
        )
      : undefined;
    return {
      dir: path.resolve(dir),
      dtype,
      task: causal
        ? 'text-generation'
        : arch.endsWith('ForMaskedLM') || rank === 3
          ? 'fill-mask'
          : rank === 2
            ? 'text-classification'
            : 'feature-extraction',
      architecture: arch,
      labels: Object.keys(id2label)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => id2label[k]!),
      maxLength: causal ? causal.contextLength : maxLength,
      inputs: describe(session.inputMetadata),
      outputs: describe(session.outputMetadata),
      distillationOutputs: {
        logits: outputs.logits,
        hiddenStates: outputs.hiddenLayers,
        attentions: outputs.attentionLayers,
        ...(outputs.hiddenLayers.length === 0 && !causal
          ? { hint: `add hidden states with: distillery models expose-hidden ${dir} OUT_DIR` }
          : {}),
      },
      fingerprint: await teacherFingerprint(files, dtype, maxLength),
      onnxFiles: readdirSync(path.join(dir, 'onnx'))
        .filter((f) => f.endsWith('.onnx'))
        .sort(),
      device: probe.device,
      deviceNotes: probe.notes,
      providers: listSupportedBackends().map((b) =>
        b.bundled ? b.name : `${b.name} (needs its runtime libraries installed)`,
      ),
      ...(causal ? { causal } : {}),
    };
  } finally {
    await session.release();
  }
}

export interface ExposeHiddenReport {
  outDir: string;
  files: { file: string; added: string[]; alreadyPresent: boolean }[];
}

/** Copies a model folder, rewriting every onnx/*.onnx so it also outputs hidden_states.0..L. */
export function exposeHiddenDir(inDir: string, outDir: string): ExposeHiddenReport {
  const config = modelDirConfig(inDir, outDir);
  const hiddenSize = Number(config.hidden_size ?? config.dim ?? config.d_model);
  if (!Number.isInteger(hiddenSize)) {
    throw new DistilleryError('INVALID_INPUT', `config.json in ${inDir} has no hidden_size`, {
      hint: 'expose-hidden needs the encoder width',
    });
  }
  return rewriteModelDir(inDir, outDir, (model) => {
    const { bytes, added, alreadyPresent } = exposeHiddenStates(model, hiddenSize);
    return { bytes, facts: { added, alreadyPresent } };
  });
}
