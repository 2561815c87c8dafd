/**
 * How a layer's attention is built. The Llama graph builder computes the Q/K/V projections and the output
 * projection; a variant does everything between (RoPE, KV cache I/O, masking, softmax), so another
 * attention implementation (e.g. a fused com.microsoft kernel) plugs in without touching the rest.
 */
import type { LlamaConfig } from '../llama-config.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import type { DataTypeCode } from '../onnx/onnx-proto.js';
import type { Rope } from './rope-graph.js';

/** The graph's inputs and the model's shape: what every attention and RoPE builder starts from. */
export interface GraphInputs {
  config: LlamaConfig;
  /** The model's float type: weights, activations, KV cache. */
  floatType: DataTypeCode;
  inputIds: string;
  attentionMask: string;
  positionIds: string;
}

export interface AttentionContext extends GraphInputs {
  /** How queries and keys get their positions (plain ops or the fused kernel). */
  rope: Rope;
  /** Output this run's keys and values alone, new_key_values.{i}.key|value [B, kv_heads, S, hd], instead of present. */
  newKeyValues: boolean;
}

/** Projections of one layer, each [batch, sequence, heads · head_dim], in the model's float type. */
export interface LayerProjections {
  layer: number;
  query: string;
  key: string;
  value: string;
}

export interface AttentionVariant {
  /**
   * Builds what every layer shares (masks, lengths) once and returns the per-layer builder, which
   * declares that layer's past_key_values inputs and present outputs and returns [batch, sequence, hidden].
   */
  prepare(g: GraphBuilder, context: AttentionContext): (projections: LayerProjections) => string;
}
