/**
 * The weights of a Hugging Face Llama checkpoint directory as a WeightSource: `model.safetensors`, or the
 * shards `model.safetensors.index.json` maps each tensor to. Every tensor the config implies is checked
 * (present, of the implied shape, of a float dtype) when the checkpoint is opened, before anything is
 * written; each is then read from its shard only when the model writer asks for it.
 *
 * Hugging Face's q_proj and k_proj rows are already in the rotate-half order the graph's RoPE uses (Meta's
 * weights were permuted when converted to this format), so they are used as they are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaConfig } from './llama-config.js';
import { llamaTensorShapes, type WeightSource } from './llama-weights.js';
import { ModelInputError } from './model-input-error.js';
import { FLOAT_DTYPES, isFloatDtype, SafetensorsFile } from './safetensors.js';

export const SINGLE_FILE = 'model.safetensors';
export const SHARD_INDEX = 'model.safetensors.index.json';

export interface HfWeights extends WeightSource {
  /** Closes the shards. */
  close(): void;
}

/** Tensor name → the file that holds it, from the shard index (or the single file's own header). */
function readShardIndex(dir: string): Map<string, string> {
  const path = join(dir, SHARD_INDEX);
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(readFileSync(path, 'utf8')) as { weight_map?: unknown };
  } catch (err) {
    throw new ModelInputError(`${path}: ${(err as Error).message}`);
  }
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new ModelInputError(`${path}: 'weight_map' must map tensor names to file names`);
  }
  const files = new Map<string, string>();
  for (const [name, file] of Object.entries(map)) {
    // A file name only: the index must not send the reader outside the checkpoint directory.
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
      throw new ModelInputError(`${path}: tensor ${name} maps to ${JSON.stringify(file)}, not a file name`);
    }
    files.set(name, file);
  }
  return files;
}

const formatShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

export function openHfWeights(dir: string, config: LlamaConfig): HfWeights {
  const sharded = existsSync(join(dir, SHARD_INDEX));
  if (!sharded && !existsSync(join(dir, SINGLE_FILE))) {
    throw new ModelInputError(
      `${dir} has no ${SINGLE_FILE} or ${SHARD_INDEX} (only safetensors checkpoints are read, not pytorch_model.bin)`,
    );
  }
  const index = sharded ? readShardIndex(dir) : undefined;
  const opened = new Map<string, SafetensorsFile>();
  const open = (file: string) => {
    let shard = opened.get(file);
    if (!shard) {
      const path = join(dir, file);
      if (!existsSync(path)) throw new ModelInputError(`${path} is missing (named by ${SHARD_INDEX})`);
      shard = SafetensorsFile.open(path);
      opened.set(file, shard);
    }
    return shard;
  };
  const close = () => {
    for (const shard of opened.values()) shard.close();
  };

  const location = new Map<string, SafetensorsFile>();
  try {
    for (const { name, shape } of llamaTensorShapes(config)) {
      const file = index ? index.get(name) : SINGLE_FILE;
      const shard = file === undefined ? undefined : open(file);
      const entry = shard?.tensors.get(name);
      if (!shard || !entry) {
        const where = shard ? shard.path : join(dir, sharded ? SHARD_INDEX : SINGLE_FILE);
        throw new ModelInputError(`tensor ${name} is missing from ${where}`);
      }
      if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
        throw new ModelInputError(
          `tensor ${name} is ${formatShape(entry.shape)} in ${shard.path}, but config.json implies ${formatShape(shape)}`,
        );
      }
      if (!isFloatDtype(entry.dtype)) {
        throw new ModelInputError(
          `tensor ${name} in ${shard.path} is ${entry.dtype}: only ${FLOAT_DTYPES.join(', ')} are supported`,
        );
      }
      location.set(name, shard);
    }
  } catch (err) {
    close();
    throw err;
  }

  return {
    tensor(name) {
      const shard = location.get(name);
      if (!shard) throw new Error(`weight ${name} is not part of this model`);
      return shard.readFloat32(name);
    },
    close,
  };
}
