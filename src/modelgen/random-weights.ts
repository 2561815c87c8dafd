/**
 * Seeded random Llama weights. Each tensor is generated from its own stream (seed + tensor name), so a
 * tensor can be produced alone, in any order, and is the same whether the model is built in memory or
 * streamed to disk. Linear weights are generated directly in the [in, out] layout the graph stores, so
 * writing a 13B model costs no transposes; their HF-layout view is the transpose.
 */
import type { LlamaConfig } from './llama-config.js';
import { type LlamaWeights, llamaTensorShapes, transpose, type WeightSource } from './llama-weights.js';
import { Prng } from './prng.js';

/** Standard deviation of linear and embedding weights (as HF's initializer_range). */
const WEIGHT_STD = 0.02;

const isLinear = (name: string) => name.endsWith('_proj.weight') || name === 'lm_head.weight';

/** The tensor in its stream order: [in, out] for linear weights, HF layout otherwise. */
function streamTensor(seed: number, name: string, size: number): Float32Array {
  const out = new Float32Array(size);
  // RMSNorm weights are 1, as a freshly initialized Llama has them.
  if (name.endsWith('norm.weight')) return out.fill(1);
  // Uniform with the target standard deviation: as good as normal for a test model, and cheap enough
  // to generate 13 billion of.
  new Prng(seed, name).fillUniform(out, WEIGHT_STD * Math.sqrt(12));
  return out;
}

export function randomWeightSource(config: LlamaConfig, seed: number): WeightSource {
  const shapes = new Map(llamaTensorShapes(config).map((t) => [t.name, t.shape]));
  const shapeOf = (name: string) => {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`no weight named ${name}`);
    return shape;
  };
  return {
    tensor(name) {
      const shape = shapeOf(name);
      const values = streamTensor(
        seed,
        name,
        shape.reduce((a, b) => a * b, 1),
      );
      return isLinear(name) ? transpose(values, shape[1]!, shape[0]!) : values;
    },
    transposed(name) {
      const [out, inFeatures] = shapeOf(name) as [number, number];
      return isLinear(name)
        ? streamTensor(seed, name, out * inFeatures)
        : transpose(this.tensor(name), out, inFeatures);
    },
  };
}

export function randomLlamaWeights(config: LlamaConfig, seed: number): LlamaWeights {
  const source = randomWeightSource(config, seed);
  return new Map(llamaTensorShapes(config).map((t) => [t.name, source.tensor(t.name)]));
}
