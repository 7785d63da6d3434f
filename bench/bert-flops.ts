/**
 * Floating-point operations a BERT encoder performs on a batch, from its config.json: what the device
 * computes, so padded positions count. Per token and layer: 2 x (4 h^2 + 2 h ffn) for the projections
 * and the feed-forward, plus 2 x 2 x S x h for the attention scores and their weighted sum over S
 * positions. Embedding lookups, LayerNorm, softmax and the small head are left out (under 1%).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface EncoderShape {
  hidden: number;
  layers: number;
  ffn: number;
}

export function encoderShape(modelDir: string): EncoderShape {
  const c = JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, number>;
  return { hidden: c.hidden_size!, layers: c.num_hidden_layers!, ffn: c.intermediate_size! };
}

/** FLOPs of one padded batch of `rows` sequences of `seq` positions. */
export function batchFlops(shape: EncoderShape, rows: number, seq: number): number {
  const { hidden: h, layers, ffn } = shape;
  const perToken = layers * (2 * (4 * h * h + 2 * h * ffn) + 2 * 2 * seq * h);
  return rows * seq * perToken;
}
