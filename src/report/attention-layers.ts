/** Which attention layers a spec stored, resolved against the teacher's layer count. */
import type { OutputSpec } from '../core/types.ts';

export function storedAttentionLayers(spec: OutputSpec, attentionLayers: number): number[] {
  const want = spec.attentions?.layers;
  if (want === undefined || attentionLayers <= 0) return [];
  if (want === 'all') return Array.from({ length: attentionLayers }, (_, i) => i);
  if (want === 'last') return [attentionLayers - 1];
  return want.filter((l) => l >= 0 && l < attentionLayers);
}
