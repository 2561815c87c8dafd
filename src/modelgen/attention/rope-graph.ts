/**
 * RoPE in the graph, Hugging Face rotate_half layout, driven by position_ids: either plain opset-17 ops or
 * the fused com.microsoft RotaryEmbedding kernel. Both take and return [batch, sequence, heads · head_dim].
 */
import { headDim } from '../llama-config.js';
import { floatTensorBytes } from '../onnx/float-tensor.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { DataType, type DataTypeCode } from '../onnx/onnx-proto.js';
import { castTo } from '../onnx/ops.js';
import { ropeTables } from '../rope.js';
import type { GraphInputs } from './attention-variant.js';

export const MICROSOFT_DOMAIN = 'com.microsoft';

export interface Rope {
  /** x: [batch, sequence, heads · head_dim] → the same, rotated by position. */
  rotate(x: string, heads: number): string;
}

/** The half-width tables [maxPositions, head_dim/2] as initializers of `dataType`. */
function ropeCaches(g: GraphBuilder, context: GraphInputs, dataType: DataTypeCode) {
  const { config } = context;
  const tables = ropeTables(config.maxPositions, headDim(config), config.ropeTheta);
  const dims = [config.maxPositions, headDim(config) / 2];
  const cache = (name: string, values: Float64Array) =>
    g.initializer(name, dataType, dims, () => floatTensorBytes(Float32Array.from(values), dataType));
  return { cos: cache('rope.cos_cache', tables.cos), sin: cache('rope.sin_cache', tables.sin) };
}

/** x·cos + rotate_half(x)·sin, where rotate_half(x) = concat(−x[half:], x[:half]), per head. */
export function plainRope(g: GraphBuilder, context: GraphInputs): Rope {
  const hd = headDim(context.config);
  const { cos, sin } = g.scope('rope', () => {
    const caches = ropeCaches(g, context, DataType.FLOAT);
    // Rows gathered by position, widened to the full head and given a heads axis: [B, S, 1, hd].
    const rows = (cache: string) => {
      const half = g.op('Gather', [cache, context.positionIds], { attrs: { axis: { i: 0 } } });
      const full = g.op('Concat', [half, half], { attrs: { axis: { i: -1 } } });
      return castTo(g, g.op('Unsqueeze', [full, g.int64([2])]), DataType.FLOAT, context.floatType);
    };
    return { cos: rows(caches.cos), sin: rows(caches.sin) };
  });
  return {
    rotate(x, heads) {
      const perHead = g.op('Reshape', [x, g.int64([0, 0, heads, hd])]);
      const [first, second] = g.node('Split', [perHead, g.int64([hd / 2, hd / 2])], {
        attrs: { axis: { i: -1 } },
        outputs: 2,
      });
      const rotated = g.op('Concat', [g.op('Neg', [second!]), first!], { attrs: { axis: { i: -1 } } });
      const out = g.op('Add', [g.op('Mul', [perHead, cos]), g.op('Mul', [rotated, sin])]);
      return g.op('Reshape', [out, g.int64([0, 0, heads * hd])]);
    },
  };
}

/** com.microsoft RotaryEmbedding (non-interleaved = rotate_half), caches in the model's float type. */
export function fusedRope(g: GraphBuilder, context: GraphInputs): Rope {
  g.domains.set(MICROSOFT_DOMAIN, 1);
  const caches = g.scope('rope', () => ropeCaches(g, context, context.floatType));
  return {
    rotate(x, heads) {
      return g.op('RotaryEmbedding', [x, context.positionIds, caches.cos, caches.sin], {
        domain: MICROSOFT_DOMAIN,
        attrs: { interleaved: { i: 0 }, num_heads: { i: heads } },
      });
    },
  };
}
