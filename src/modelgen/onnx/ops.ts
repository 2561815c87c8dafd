/** Small graph idioms used by several builders. */
import type { GraphBuilder } from './graph-builder.js';
import type { DataTypeCode } from './onnx-proto.js';

/** Cast unless already of that type. */
export function castTo(g: GraphBuilder, value: string, from: DataTypeCode, to: DataTypeCode): string {
  return from === to ? value : g.op('Cast', [value], { attrs: { to: { i: to } } });
}

/** Dimension `axis` of a value's shape, as an int64 tensor of shape [1]. */
export function dimOf(g: GraphBuilder, value: string, axis: number): string {
  const shape = g.op('Shape', [value]);
  return g.op('Slice', [shape, g.int64([axis]), g.int64([axis + 1])]);
}
