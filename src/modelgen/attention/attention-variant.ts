/**
 * How a layer's attention is built. The Llama graph builder computes the Q/K/V projections and the output
 * projection; a variant does everything between (RoPE, KV cache I/O, masking, softmax), so another
 * attention implementation (e.g. a fused com.microsoft kernel) plugs in without touching the rest.
 */
import type { LlamaConfig } from '../llama-config.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import type { DataTypeCode, Dim } from '../onnx/onnx-proto.js';
import type { Rope } from './rope-graph.js';

/** The graph's inputs and the model's shape: what every attention and RoPE builder starts from. */
export interface GraphInputs {
  config: LlamaConfig;
  /** The model's float type: weights, activations, KV cache. */
  floatType: DataTypeCode;
  inputIds: string;
  attentionMask: string;
  /** Absent: the attention derives positions itself (GroupQueryAttention with rotary inside). */
  positionIds?: string;
}

export interface AttentionContext extends GraphInputs {
  /** How queries and keys get their positions (plain ops or the fused kernel); absent without positionIds. */
  rope?: Rope;
  /** Output this run's keys and values alone, new_key_values.{i}.key|value [B, kv_heads, S, hd], instead of present. */
  newKeyValues: boolean;
  /** false: no past inputs; present is this run's K/V (a first run). */
  past: boolean;
  /**
   * Eager attention only: a cache of fixed width under other names (the microsoft/Llama-2-Onnx release):
   * present = past without its S oldest columns, then this run's K/V, so rows stay right-aligned.
   */
  fixedWidthCache?: FixedWidthCache;
}

export interface FixedWidthCache {
  pastName(layer: number, kind: 'key' | 'value'): string;
  presentName(layer: number, kind: 'key' | 'value'): string;
  dims: readonly Dim[];
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
