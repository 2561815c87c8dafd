/** RoPE as graph ops: rotate_half applied to [batch, sequence, heads, head_dim] by position_ids. */
import { headDim } from '../llama-config.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { DataType } from '../onnx/onnx-proto.js';
import { castTo } from '../onnx/ops.js';
import { ropeTables } from '../rope.js';
import type { AttentionContext } from './attention-variant.js';

export interface RopeValues {
  /** [batch, sequence, 1, head_dim] in the model's float type: broadcast over heads. */
  cos: string;
  sin: string;
}

/** The half-width tables [maxPositions, head_dim/2] as float32 initializers. */
export function ropeCaches(g: GraphBuilder, context: AttentionContext): RopeValues {
  const { config } = context;
  const half = headDim(config) / 2;
  const tables = ropeTables(config.maxPositions, headDim(config), config.ropeTheta);
  const dims = [config.maxPositions, half];
  return {
    cos: g.initializer('rope.cos_cache', DataType.FLOAT, dims, () => new Uint8Array(Float32Array.from(tables.cos).buffer)),
    sin: g.initializer('rope.sin_cache', DataType.FLOAT, dims, () => new Uint8Array(Float32Array.from(tables.sin).buffer)),
  };
}

export function ropeValues(g: GraphBuilder, context: AttentionContext): RopeValues {
  return g.scope('rope', () => {
    const caches = ropeCaches(g, context);
    const rows = (cache: string) => {
      const half = g.op('Gather', [cache, context.positionIds], { attrs: { axis: { i: 0 } } });
      const full = g.op('Concat', [half, half], { attrs: { axis: { i: -1 } } });
      const perHead = g.op('Unsqueeze', [full, g.int64([2])]);
      return castTo(g, perHead, DataType.FLOAT, context.floatType);
    };
    return { cos: rows(caches.cos), sin: rows(caches.sin) };
  });
}

/** x·cos + rotate_half(x)·sin, where rotate_half(x) = concat(−x[half:], x[:half]). */
export function applyRope(g: GraphBuilder, x: string, rope: RopeValues, headDimension: number): string {
  const half = headDimension / 2;
  const [first, second] = g.node('Split', [x, g.int64([half, half])], { attrs: { axis: { i: -1 } }, outputs: 2 });
  const rotated = g.op('Concat', [g.op('Neg', [second!]), first!], { attrs: { axis: { i: -1 } } });
  return g.op('Add', [g.op('Mul', [x, rope.cos]), g.op('Mul', [rotated, rope.sin])]);
}
