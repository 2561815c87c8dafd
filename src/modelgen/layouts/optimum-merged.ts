/**
 * Optimum's merged decoder (decoder_model_merged.onnx): one file holding both the first-run graph (no past)
 * and the with-past graph as the branches of an If node on the input `use_cache_branch` (bool [1]), the
 * weights stored once in the outer graph. The caller runs it with use_cache_branch false and an empty past
 * first, then true.
 */
import type { LlamaConfig } from '../llama-config.js';
import { buildLlamaGraph, type LlamaGraphOptions } from '../llama-graph.js';
import type { WeightSource } from '../llama-weights.js';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { ifBranch } from '../onnx/if-branch.js';
import { DataType } from '../onnx/onnx-proto.js';

export const MERGED_DECODER_FILE = 'decoder_model_merged.onnx';

export function buildMergedDecoder(
  config: LlamaConfig,
  weights: WeightSource,
  options: LlamaGraphOptions = {},
): GraphBuilder {
  const graph = { ...options, attention: 'eager', kvOutputs: 'present' } as const;
  const withPast = buildLlamaGraph(config, weights, graph);
  const withoutPast = buildLlamaGraph(config, weights, { ...graph, past: false });
  const g = new GraphBuilder('llama_merged');
  g.inputs.push(...withPast.inputs);
  const useCacheBranch = g.input('use_cache_branch', DataType.BOOL, [1]);
  g.outputs.push(...withPast.outputs);
  for (const [domain, version] of withPast.domains) g.domains.set(domain, version);
  const shared = withPast.initializers.filter((init) => !withPast.isConstant(init.name));
  g.initializers.push(...shared);
  const outer = new Set([...withPast.inputs.map((input) => input.name), ...shared.map((init) => init.name)]);
  g.node('If', [useCacheBranch], {
    attrs: {
      then_branch: { g: ifBranch(withPast, '/with_past', outer) },
      else_branch: { g: ifBranch(withoutPast, '/without_past', outer) },
    },
    outputs: withPast.outputs.map((output) => output.name),
  });
  return g;
}
