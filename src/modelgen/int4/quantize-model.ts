/**
 * `llama-endpoint quantize`: a model directory this project wrote (float32 or float16 MatMul weights) → the
 * same graph with every linear layer as int4 MatMulNBits. The graph is rebuilt by buildLlamaGraph with the
 * options read off the old one, and its weights are read back one tensor at a time, so memory stays at about
 * one tensor whatever the model's size.
 */
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJson } from '../../tokenizer/tokenizer-files.js';
import { fromHfConfig, type LlamaConfig } from '../llama-config.js';
import { buildLlamaGraph, type LlamaGraphOptions } from '../llama-graph.js';
import type { WeightSource } from '../llama-weights.js';
import { type ReadModel, type ReadTensor, readModel } from '../onnx/model-reader.js';
import { writeModel } from '../onnx/model-writer.js';
import { DataType } from '../onnx/onnx-proto.js';
import { readFloatTensor } from '../onnx/tensor-data.js';
import { type Int4Options, quantizationConfig } from './matmul-nbits.js';

/** The input is not something quantize can rewrite: the user's to fix (exit 2). */
export class QuantizeInputError extends Error {
  override name = 'QuantizeInputError';
}

export interface QuantizeOptions {
  inDir: string;
  outDir: string;
  int4: Int4Options;
}

/** Not copied: rewritten (config.json gains a quantization_config) or replaced. */
const REWRITTEN = new Set(['model.onnx', 'model.onnx.data', 'model.onnx_data', 'config.json']);

/** The options buildLlamaGraph was given, read off the graph it wrote. */
export function graphOptionsOf(model: ReadModel, where: string): LlamaGraphOptions {
  const logits = model.outputs.find((o) => o.name === 'logits');
  if (!logits) throw new QuantizeInputError(`${where} has no 'logits' output`);
  if (model.opTypes.includes('MatMulNBits')) throw new QuantizeInputError(`${where} is already quantized`);
  return {
    dtype: logits.elemType === DataType.FLOAT16 ? 'float16' : 'float32',
    logits: logits.dims[1] === 1 ? 'last' : 'all',
    attention: model.opTypes.includes('GroupQueryAttention') ? 'gqa' : 'eager',
    fused: model.opTypes.includes('SimplifiedLayerNormalization'),
    kvOutputs: model.outputs.some((o) => o.name.startsWith('new_key_values.')) ? 'new' : 'present',
  };
}

/** The weights of a model written by buildLlamaGraph: `<name>` for vectors and the embedding, `<name>.T` [in, out] for linear layers. */
function modelWeightSource(modelPath: string, model: ReadModel): WeightSource {
  const tensors = new Map<string, ReadTensor>(model.initializers.map((t) => [t.name, t]));
  const read = (name: string) => {
    const tensor = tensors.get(name);
    if (!tensor) throw new QuantizeInputError(`--in: ${modelPath} has no initializer ${name}`);
    return readFloatTensor(modelPath, tensor);
  };
  return { tensor: read, transposed: (name) => read(`${name}.T`) };
}

export interface QuantizedModel {
  config: LlamaConfig;
  graph: LlamaGraphOptions;
  weightBytes: number;
  externalData: boolean;
}

export async function quantizeModelDirectory(options: QuantizeOptions): Promise<QuantizedModel> {
  const modelPath = join(options.inDir, 'model.onnx');
  const configPath = join(options.inDir, 'config.json');
  let model: ReadModel;
  let hfConfig: Record<string, unknown>;
  try {
    model = readModel(modelPath);
    hfConfig = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new QuantizeInputError(`--in: ${(err as Error).message}`);
  }
  if (model.producerName !== 'llama-endpoint') {
    throw new QuantizeInputError(
      `--in: ${modelPath} was written by '${model.producerName || 'an unknown producer'}'; quantize rewrites ` +
        'the graphs llama-endpoint writes (convert, create-random)',
    );
  }
  const config = fromHfConfig(hfConfig, configPath);
  const graph = { ...graphOptionsOf(model, modelPath), int4: options.int4 };
  const built = buildLlamaGraph(config, modelWeightSource(modelPath, model), graph);
  await mkdir(options.outDir, { recursive: true });
  const written = writeModel(built, join(options.outDir, 'model.onnx'));
  await writeJson(join(options.outDir, 'config.json'), {
    ...hfConfig,
    quantization_config: quantizationConfig(options.int4),
  });
  // The tokenizer files and generation_config.json, as they are.
  for (const entry of await readdir(options.inDir, { withFileTypes: true })) {
    if (entry.isFile() && !REWRITTEN.has(entry.name)) {
      await copyFile(join(options.inDir, entry.name), join(options.outDir, entry.name));
    }
  }
  return { config, graph, weightBytes: written.weightBytes, externalData: written.dataPath !== undefined };
}
