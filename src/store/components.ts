/**
 * Output components: the unit of caching. A spec asks for several components ('logits', 'topk:5',
 * 'hidden:12:cls', 'attn:3'); each is stored and looked up on its own, so asking for more than is
 * cached computes only the missing ones. Probabilities are derived from logits and never stored.
 */
import { DistilleryError } from '../core/errors.ts';
import type { Encoding, OutputSpec, Pooling } from '../core/types.ts';

/** Layer counts of a teacher graph, needed to resolve 'all' / 'last'. */
export interface LayerCounts {
  hiddenLayers: number;
  attentionLayers: number;
  /** the teacher's name, for error messages */
  teacher?: string;
}

export type Component =
  | { kind: 'logits' }
  | { kind: 'topk'; k: number }
  | { kind: 'hidden'; layer: number; pooling: Pooling }
  | { kind: 'attn'; layer: number };

export function componentName(c: Component): string {
  switch (c.kind) {
    case 'logits':
      return 'logits';
    case 'topk':
      return `topk:${c.k}`;
    case 'hidden':
      return `hidden:${c.layer}:${c.pooling}`;
    case 'attn':
      return `attn:${c.layer}`;
  }
}

const POOLINGS = new Set<string>(['cls', 'mean', 'none']);

export function parseComponent(name: string): Component {
  const parts = name.split(':');
  const int = (s: string | undefined): number => (s !== undefined && /^\d+$/.test(s) ? Number(s) : NaN);
  if (name === 'logits') return { kind: 'logits' };
  if (parts[0] === 'topk' && parts.length === 2 && int(parts[1]) > 0) return { kind: 'topk', k: int(parts[1]) };
  if (parts[0] === 'hidden' && parts.length === 3 && int(parts[1]) >= 0 && POOLINGS.has(parts[2]!)) {
    return { kind: 'hidden', layer: int(parts[1]), pooling: parts[2] as Pooling };
  }
  if (parts[0] === 'attn' && parts.length === 2 && int(parts[1]) >= 0) return { kind: 'attn', layer: int(parts[1]) };
  throw new DistilleryError('INVALID_INPUT', `unknown output component '${name}'`, {
    hint: "use 'logits', 'topk:K', 'hidden:LAYER:cls|mean|none' or 'attn:LAYER'",
  });
}

function resolveLayers(
  layers: 'all' | 'last' | number[],
  count: number | undefined,
  what: 'hidden' | 'attention',
  teacher = 'the teacher',
): number[] {
  if (Array.isArray(layers)) {
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || (count !== undefined && l >= count)) {
        throw new DistilleryError(
          'INVALID_INPUT',
          `${what} layer ${l} is out of range${count === undefined ? '' : ` (the teacher has ${count})`}`,
        );
      }
    }
    return [...new Set(layers)].sort((a, b) => a - b);
  }
  if (count === undefined) {
    throw new DistilleryError(
      'INVALID_INPUT',
      `${what} layers '${layers}' cannot be resolved for an unregistered teacher`,
      {
        hint: 'call store.registerTeacher(info) first, or name the layers explicitly',
      },
    );
  }
  if (count === 0) {
    throw new DistilleryError('UNSUPPORTED_OUTPUT', `${teacher} exposes no ${what} outputs`, {
      hint:
        what === 'hidden'
          ? `add them with \`distillery models expose-hidden MODEL_DIR OUT_DIR\`, MODEL_DIR being the teacher's folder, then point the teacher's path at OUT_DIR`
          : 'export the model with attention outputs (output_attentions=True)',
    });
  }
  return layers === 'last' ? [count - 1] : Array.from({ length: count }, (_, i) => i);
}

/** The components a spec needs, in a stable order. */
export function componentsForSpec(spec: OutputSpec, counts?: LayerCounts): Component[] {
  const out: Component[] = [];
  if (spec.logits || spec.temperatures.length > 0) out.push({ kind: 'logits' });
  if (spec.topK !== undefined) {
    if (!Number.isInteger(spec.topK) || spec.topK <= 0)
      throw new DistilleryError('INVALID_INPUT', `topK must be a positive integer, got ${spec.topK}`);
    out.push({ kind: 'topk', k: spec.topK });
  }
  if (spec.hidden) {
    for (const layer of resolveLayers(spec.hidden.layers, counts?.hiddenLayers, 'hidden', counts?.teacher)) {
      out.push({ kind: 'hidden', layer, pooling: spec.hidden.pooling });
    }
  }
  if (spec.attentions) {
    for (const layer of resolveLayers(spec.attentions.layers, counts?.attentionLayers, 'attention', counts?.teacher))
      out.push({ kind: 'attn', layer });
  }
  return out;
}

/** Layer counts from a teacher's metadata, so 'all' / 'last' resolve without the store. */
export function layerCountsOf(info: { name: string; hiddenLayers: number; attentionLayers: number }): LayerCounts {
  return { hiddenLayers: info.hiddenLayers, attentionLayers: info.attentionLayers, teacher: `teacher "${info.name}"` };
}

/** The sub-spec that computes exactly these components (layers named, never 'all'): the way back from names. */
export function specForComponents(names: readonly string[], encoding: Encoding): OutputSpec {
  const spec: OutputSpec = { logits: false, temperatures: [], encoding };
  const hidden: number[] = [];
  const attn: number[] = [];
  for (const name of names) {
    const c = parseComponent(name);
    if (c.kind === 'logits') spec.logits = true;
    else if (c.kind === 'topk') spec.topK = c.k;
    else if (c.kind === 'hidden') {
      hidden.push(c.layer);
      spec.hidden = { layers: hidden, pooling: c.pooling };
    } else attn.push(c.layer);
  }
  if (attn.length > 0) spec.attentions = { layers: attn };
  return spec;
}

/** Higher is more precise. A cached component satisfies a request of equal or lower precision. */
export const ENCODING_RANK: Readonly<Record<Encoding, number>> = Object.freeze({ int8: 1, fp16: 2, fp32: 3 });

/** K of a 'topk:K' component name, else undefined. */
export function topkOf(name: string): number | undefined {
  return name.startsWith('topk:') ? Number(name.slice(5)) : undefined;
}

/**
 * Whether a cached component can answer a wanted one: the same name, or a top-k of at least as
 * many entries (rows are sorted, so the first k of a top-K are the top-k).
 */
export function serves(cached: string, wanted: string): boolean {
  if (cached === wanted) return true;
  const k = topkOf(wanted);
  const have = topkOf(cached);
  return k !== undefined && have !== undefined && have >= k;
}
