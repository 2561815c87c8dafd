/**
 * Which export a model directory holds, from its files alone (the server checks it before it starts, so a
 * directory of the wrong kind is a usage error, not a worker that fails to load).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * 'optimum': model.onnx + config.json (optimum-cli export onnx, and our own writer); 'optimum-merged':
 * decoder_model_merged.onnx with use_cache_branch + config.json (older Optimum exports); 'genai': the
 * onnxruntime-genai builder's genai_config.json and the decoder it names; 'llama2-onnx': the
 * microsoft/Llama-2-Onnx release, ONNX/LlamaV2_<variant>.onnx and tokenizer.model at its root.
 */
export const MODEL_LAYOUTS = ['optimum', 'optimum-merged', 'genai', 'llama2-onnx'] as const;
export type ModelLayout = (typeof MODEL_LAYOUTS)[number];

export interface ModelFiles {
  layout: ModelLayout;
  /** The decoder graph; ONNX Runtime finds its external data beside it. */
  modelPath: string;
}

const NEEDS =
  'optimum needs model.onnx + config.json; optimum-merged needs decoder_model_merged.onnx + config.json; ' +
  'genai needs genai_config.json + the decoder it names; llama2-onnx needs ONNX/LlamaV2_<variant>.onnx + ' +
  'tokenizer.model';

/** A directory that holds none of the layouts: what it holds and what each layout needs, in one line. */
export class UnknownModelLayoutError extends Error {}

const LLAMA2_ONNX_GRAPH = /^LlamaV2_.+\.onnx$/;

/** genai_config.json's model.decoder.filename (default model.onnx). */
function genaiDecoderFile(dir: string): string {
  const path = join(dir, 'genai_config.json');
  let config: { model?: { decoder?: { filename?: unknown } } };
  try {
    config = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const filename = config.model?.decoder?.filename;
  return typeof filename === 'string' ? filename : 'model.onnx';
}

export function findModelFiles(dir: string): ModelFiles {
  const has = (name: string) => existsSync(join(dir, name));
  if (has('genai_config.json')) {
    const modelPath = join(dir, genaiDecoderFile(dir));
    if (existsSync(modelPath)) return { layout: 'genai', modelPath };
  }
  if (has('config.json')) {
    if (has('model.onnx')) return { layout: 'optimum', modelPath: join(dir, 'model.onnx') };
    if (has('decoder_model_merged.onnx')) {
      return { layout: 'optimum-merged', modelPath: join(dir, 'decoder_model_merged.onnx') };
    }
  }
  const releaseGraphs = has('ONNX')
    ? readdirSync(join(dir, 'ONNX')).filter((f) => LLAMA2_ONNX_GRAPH.test(f))
    : [];
  if (releaseGraphs.length === 1 && has('tokenizer.model')) {
    return { layout: 'llama2-onnx', modelPath: join(dir, 'ONNX', releaseGraphs[0]!) };
  }
  const found = readdirSync(dir).sort();
  const several = releaseGraphs.length > 1 ? ` (several graphs in ONNX/: ${releaseGraphs.join(', ')})` : '';
  throw new UnknownModelLayoutError(
    `${dir} matches no model layout: found [${found.join(', ')}]${several}; ${NEEDS}`,
  );
}
