/**
 * Graph surgery: a copy of an encoder whose graph also outputs every layer's hidden states as
 * `hidden_states.0..L` (0 = embeddings), like a model exported with output_hidden_states=True.
 * No re-export, no Python: Identity nodes and graph outputs are appended to the ONNX protobuf.
 */
import { DistilleryError } from '../../core/errors.ts';
import { ProtoWriter } from './protobuf-writer.ts';
import { concatBytes } from './protobuf-reader.ts';
import { parseOnnxModel, type OnnxNode } from './onnx-graph.ts';

export interface HiddenTensor {
  layer: number;
  tensor: string;
}

/**
 * Finds the residual-stream tensors. Exports from transformers/optimum name their nodes by module
 * path (`/bert/embeddings/LayerNorm/...`, `/bert/encoder/layer.3/output/LayerNorm/...`,
 * DistilBERT `.../layer.3/output_layer_norm/...`); graphs without such names fall back to the
 * post-LN structure: the embedding LayerNormalization, then two per layer, the second ending it.
 */
export function findHiddenStateTensors(nodes: readonly OnnxNode[]): HiddenTensor[] {
  const lastInScope = (re: RegExp): Map<number, string> => {
    const found = new Map<number, string>();
    for (const n of nodes) {
      const m = re.exec(n.name);
      if (m && n.outputs[0]) found.set(m[1] === undefined ? 0 : Number(m[1]) + 1, n.outputs[0]);
    }
    return found;
  };
  const byName = new Map([
    ...lastInScope(/embeddings\/LayerNorm\//),
    ...lastInScope(/layer\.(\d+)\/(?:output\/LayerNorm|output_layer_norm)\//),
  ]);
  if (byName.size >= 2 && byName.has(0)) {
    return [...byName.entries()].sort((a, b) => a[0] - b[0]).map(([layer, tensor]) => ({ layer, tensor }));
  }
  const norms = nodes.filter((n) => n.opType === 'LayerNormalization');
  if (norms.length >= 3 && norms.length % 2 === 1) {
    return norms.filter((_, i) => i % 2 === 0).map((n, layer) => ({ layer, tensor: n.outputs[0]! }));
  }
  throw new DistilleryError('UNSUPPORTED_OUTPUT', 'Cannot find the per-layer hidden states in this graph', {
    hint: 'expose-hidden understands BERT-family encoders (post-LayerNorm); re-export with output_hidden_states=True instead',
  });
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, name);
  w.message(2, (tw) =>
    tw.message(1, (tt) => {
      tt.int(1, elemType);
      tt.message(2, (sw) => {
        for (const d of dims) sw.message(1, (dw) => (typeof d === 'number' ? dw.int(1, d) : dw.string(2, d)));
      });
    }),
  );
  return w.finish();
}

function identityNode(input: string, output: string): Uint8Array {
  return new ProtoWriter()
    .string(1, input)
    .string(2, output)
    .string(3, `expose_${output}`)
    .string(4, 'Identity')
    .finish();
}

export interface ExposeResult {
  bytes: Uint8Array;
  added: string[];
  alreadyPresent: boolean;
}

export function exposeHiddenStates(model: Uint8Array, hiddenSize: number): ExposeResult {
  const parsed = parseOnnxModel(model);
  if (parsed.outputNames.some((n) => n.startsWith('hidden_states.'))) {
    return { bytes: model, added: [], alreadyPresent: true };
  }
  const hidden = findHiddenStateTensors(parsed.nodes);
  const extraNodes: Uint8Array[] = [];
  const extraOutputs: Uint8Array[] = [];
  const added: string[] = [];
  for (const h of hidden) {
    const name = `hidden_states.${h.layer}`;
    extraNodes.push(identityNode(h.tensor, name));
    extraOutputs.push(valueInfo(name, parsed.floatType, ['batch_size', 'sequence_length', hiddenSize]));
    added.push(name);
  }
  const graph = new ProtoWriter();
  const graphBody = concatBytes([
    ...parsed.graphFields.map((f) => f.raw),
    ...extraNodes.map((n) => new ProtoWriter().bytes(1, n).finish()),
    ...extraOutputs.map((o) => new ProtoWriter().bytes(12, o).finish()),
  ]);
  graph.bytes(7, graphBody);
  const parts = parsed.modelFields.map((f) => (f === parsed.graphField ? graph.finish() : f.raw));
  return { bytes: concatBytes(parts), added, alreadyPresent: false };
}
